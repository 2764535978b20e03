"""The benchmark's models, trained offline with fixed seeds, and the rows each contender is sent.

- forest: the example RandomForest (joblib and ONNX), 30 numeric columns.
- churn: a scikit-learn Pipeline fitted on a pandas DataFrame: imputers, StandardScaler on the
  numeric columns, OneHotEncoder on the string ones, then LogisticRegression.
- xgboost / lightgbm: XGBClassifier and LGBMClassifier on the same 30 numeric columns, pickled
  with joblib (for our server and LitServe) and in their native formats (for MLServer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MODEL_KINDS", "BenchModel", "Column", "make_models"]

MODEL_KINDS = ("forest", "churn", "xgboost", "lightgbm")
CHECK_ROWS = 20
SEED = 0


@dataclass(frozen=True)
class Column:
    """One input column of a DataFrame model: its name and V2 datatype (BYTES for strings)."""

    name: str
    datatype: str


@dataclass(frozen=True)
class BenchModel:
    """A trained model on disk, the rows to check it with, and what it should answer."""

    kind: str
    directory: Path
    rows: list[Any]  # lists of numbers, or dicts keyed by column for a DataFrame model
    expected: list[list[float]]  # predict_proba of `rows`, from the framework itself
    columns: tuple[Column, ...] = ()  # set for a DataFrame model

    @property
    def joblib_path(self) -> Path:
        return self.directory / "model.joblib"

    @property
    def is_frame(self) -> bool:
        return bool(self.columns)


def make_models(work: Path, kinds: tuple[str, ...] = MODEL_KINDS) -> dict[str, BenchModel]:
    """Train and save each wanted model under `work/models/KIND`."""
    makers: dict[str, Callable[[Path], BenchModel]] = {
        "forest": _forest,
        "churn": _churn,
        "xgboost": _xgboost,
        "lightgbm": _lightgbm,
    }
    models = {}
    for kind in kinds:
        directory = work / "models" / kind
        directory.mkdir(parents=True, exist_ok=True)
        models[kind] = makers[kind](directory)
    return models


def _numeric() -> tuple[Any, Any]:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    return data.data, data.target


def _numeric_model(kind: str, directory: Path, model: Any) -> BenchModel:
    features, _ = _numeric()
    rows = features[:CHECK_ROWS]
    return BenchModel(
        kind=kind,
        directory=directory,
        rows=[[float(v) for v in row] for row in rows],
        expected=model.predict_proba(rows).tolist(),
    )


def _forest(directory: Path) -> BenchModel:
    import joblib

    from deploy_advisor.intake import make_example_model

    make_example_model(directory, force=True)
    return _numeric_model("forest", directory, joblib.load(directory / "model.joblib"))


def _xgboost(directory: Path) -> BenchModel:
    import joblib
    from xgboost import XGBClassifier

    features, labels = _numeric()
    model = XGBClassifier(n_estimators=100, max_depth=6, random_state=SEED, n_jobs=1)
    model.fit(features, labels)
    joblib.dump(model, directory / "model.joblib")
    model.save_model(directory / "model.json")
    return _numeric_model("xgboost", directory, model)


def _lightgbm(directory: Path) -> BenchModel:
    import joblib
    from lightgbm import LGBMClassifier

    features, labels = _numeric()
    model = LGBMClassifier(n_estimators=100, random_state=SEED, n_jobs=1, verbose=-1)
    model.fit(features, labels)
    joblib.dump(model, directory / "model.joblib")
    model.booster_.save_model(directory / "model.txt")
    return _numeric_model("lightgbm", directory, model)


CHURN_COLUMNS = (
    Column("tenure_months", "INT64"),
    Column("monthly_charges", "FP64"),
    Column("total_charges", "FP64"),
    Column("support_calls", "INT64"),
    Column("contract", "BYTES"),
    Column("payment_method", "BYTES"),
    Column("internet_service", "BYTES"),
)
_CATEGORIES = {
    "contract": ["month-to-month", "one-year", "two-year"],
    "payment_method": ["card", "bank-transfer", "electronic-check", "mailed-check"],
    "internet_service": ["dsl", "fiber", "none"],
}


def churn_frame(rows: int, *, seed: int = SEED) -> Any:
    """A churn-like customer table: ints, floats with gaps, strings; and who churned."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 72, rows)
    monthly = rng.uniform(18, 120, rows).round(2)
    total = (tenure * monthly).round(2).astype(float)
    total[rng.random(rows) < 0.05] = np.nan
    frame = pd.DataFrame(
        {
            "tenure_months": tenure.astype("int64"),
            "monthly_charges": monthly,
            "total_charges": total,
            "support_calls": rng.poisson(1.5, rows).astype("int64"),
            **{name: rng.choice(values, rows) for name, values in _CATEGORIES.items()},
        }
    )
    risk = (
        -0.04 * frame["tenure_months"]
        + 0.02 * frame["monthly_charges"]
        + 0.4 * frame["support_calls"]
        + 1.2 * (frame["contract"] == "month-to-month")
        + 0.5 * (frame["internet_service"] == "fiber")
        - 1.0
    )
    churned = (rng.random(rows) < 1 / (1 + np.exp(-risk))).astype(int)
    return frame, churned


def _churn(directory: Path) -> BenchModel:
    import joblib
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame, churned = churn_frame(5000)
    numeric = [c.name for c in CHURN_COLUMNS if c.datatype != "BYTES"]
    strings = [c.name for c in CHURN_COLUMNS if c.datatype == "BYTES"]
    prepare = ColumnTransformer(
        [
            ("numbers", make_pipeline(SimpleImputer(), StandardScaler()), numeric),
            (
                "categories",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                strings,
            ),
        ]
    )
    model = Pipeline([("prepare", prepare), ("classify", LogisticRegression(max_iter=1000))])
    model.fit(frame, churned)
    joblib.dump(model, directory / "model.joblib")
    sample = frame.dropna().head(CHECK_ROWS)
    records = [
        {c.name: _plain(record[c.name]) for c in CHURN_COLUMNS}
        for record in sample.to_dict(orient="records")
    ]
    return BenchModel(
        kind="churn",
        directory=directory,
        rows=records,
        expected=model.predict_proba(sample).tolist(),
        columns=CHURN_COLUMNS,
    )


def _plain(value: Any) -> Any:
    """A numpy scalar as the JSON-ready Python value."""
    return value.item() if hasattr(value, "item") else value
