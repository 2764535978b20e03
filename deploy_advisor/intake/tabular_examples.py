"""Offline tabular examples: a churn-like table, a scikit-learn pipeline over it, XGBoost, LightGBM.

The data is generated (fixed seed, no download): customers with a contract type, a payment
method and an internet service (strings, some missing), tenure, charges (some missing) and
support calls; churn is more likely on monthly contracts, high charges and many calls.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy_advisor.errors import InputError
from deploy_advisor.files import write_atomic, write_atomic_with

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CHURN_ROWS", "TABULAR_KINDS", "TabularExample", "churn_frame", "make_tabular_example"]

CHURN_ROWS = 2000
SAMPLE_ROWS = 200
SAMPLE_NAME = "sample.csv"
TABULAR_KINDS = {
    "churn": "model.joblib",
    "xgboost": "model.json",
    "lightgbm": "model.txt",
}
CATEGORICAL = ["contract", "payment_method", "internet_service"]
NUMERIC = ["tenure_months", "monthly_charges", "support_calls", "senior"]


@dataclass(frozen=True)
class TabularExample:
    """What `make_tabular_example` wrote and how the model does on its training data."""

    kind: str
    model_path: Path
    sample_path: Path
    description: str
    n_columns: int
    n_rows: int
    train_accuracy: float


def churn_frame(*, rows: int = CHURN_ROWS, seed: int = 0) -> tuple[pd.DataFrame, Any]:
    """A churn-like DataFrame (strings, integers, floats, missing values) and its labels."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    contract = rng.choice(
        ["month-to-month", "one-year", "two-year"], size=rows, p=[0.55, 0.25, 0.2]
    )
    payment = rng.choice(
        ["electronic-check", "mailed-check", "bank-transfer", "credit-card"], size=rows
    ).astype(object)
    payment[rng.random(rows) < 0.05] = None
    service = rng.choice(["dsl", "fiber", "none"], size=rows, p=[0.4, 0.45, 0.15])
    tenure = rng.integers(0, 72, size=rows)
    charges = np.round(rng.normal(65, 25, size=rows).clip(18, 120), 2)
    charges[rng.random(rows) < 0.04] = np.nan
    calls = rng.poisson(1.5, size=rows)
    senior = (rng.random(rows) < 0.16).astype(int)
    score = (
        1.4 * (contract == "month-to-month")
        - 0.04 * tenure
        + 0.02 * (np.nan_to_num(charges, nan=65.0) - 65)
        + 0.45 * calls
        + 0.6 * (service == "fiber")
        + 0.3 * senior
        - 0.8
    )
    churned = (rng.random(rows) < 1 / (1 + np.exp(-score))).astype(int)
    frame = pd.DataFrame({
        "tenure_months": tenure,
        "monthly_charges": charges,
        "support_calls": calls,
        "senior": senior,
        "contract": contract,
        "payment_method": payment,
        "internet_service": service,
    })  # fmt: skip
    return frame, churned


def _churn_pipeline() -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numbers = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categories = Pipeline([
        ("impute", SimpleImputer(strategy="constant", fill_value="unknown")),
        ("encode", OneHotEncoder(handle_unknown="ignore")),
    ])  # fmt: skip
    columns = ColumnTransformer(
        [("numbers", numbers, NUMERIC), ("categories", categories, CATEGORICAL)]
    )
    return Pipeline([("columns", columns), ("classify", LogisticRegression(max_iter=1000))])


def check_tabular_output(kind: str, out_dir: Path, *, force: bool = False) -> tuple[Path, Path]:
    """The model and sample paths for `kind` in `out_dir`; an error if one exists (no force)."""
    if kind not in TABULAR_KINDS:
        raise InputError(
            f"--kind {kind!r} is unknown; use one of forest, {', '.join(TABULAR_KINDS)}"
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} is a file, not a directory; pass -o DIR with a directory path")
    model_path, sample_path = out_dir / TABULAR_KINDS[kind], out_dir / SAMPLE_NAME
    existing = [p for p in (model_path, sample_path) if p.exists()]
    if existing and not force:
        raise InputError(
            f"{existing[0]} already exists; pass --force to overwrite it or choose another -o DIR"
        )
    return model_path, sample_path


def make_tabular_example(kind: str, out_dir: Path, *, force: bool = False) -> TabularExample:
    """Train the `kind` example on generated churn data; save it the way its framework does."""
    model_path, sample_path = check_tabular_output(kind, out_dir, force=force)
    frame, labels = churn_frame()
    out_dir.mkdir(parents=True, exist_ok=True)
    if kind == "churn":
        import joblib

        model = _churn_pipeline().fit(frame, labels)
        accuracy = float(model.score(frame, labels))
        write_atomic_with(model_path, lambda tmp: joblib.dump(model, tmp))
        description = (
            "Pipeline(ColumnTransformer(impute+scale, impute+one-hot), LogisticRegression)"
        )
        columns = frame.columns
    else:
        numbers = frame[NUMERIC]
        if kind == "xgboost":
            import xgboost

            model = xgboost.XGBClassifier(n_estimators=50, max_depth=4, random_state=0)
            description = "XGBClassifier(n_estimators=50, max_depth=4), saved with save_model"
        else:
            import lightgbm

            model = lightgbm.LGBMClassifier(
                n_estimators=50, num_leaves=15, random_state=0, verbose=-1
            )
            description = "LGBMClassifier(n_estimators=50, num_leaves=15), booster saved as text"
        model.fit(numbers, labels)
        accuracy = float((model.predict(numbers) == labels).mean())
        saver = model.save_model if kind == "xgboost" else model.booster_.save_model
        with tempfile.TemporaryDirectory(prefix="da-example-") as folder:
            saved = Path(folder) / model_path.name  # xgboost picks the format by the suffix
            saver(str(saved))
            write_atomic(model_path, saved.read_bytes())
        columns = numbers.columns
    sample = frame[list(columns)].head(SAMPLE_ROWS)
    write_atomic_with(sample_path, lambda tmp: sample.to_csv(tmp, index=False))
    return TabularExample(
        kind=kind,
        model_path=model_path,
        sample_path=sample_path,
        description=description,
        n_columns=len(columns),
        n_rows=len(frame),
        train_accuracy=accuracy,
    )
