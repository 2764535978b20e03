"""Tiny models of every tabular format, saved the way users save them, with a request body and the
framework's own answer for it: for tests that serve them through a scaffold."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import joblib
import numpy as np

from deploy_advisor.intake.tabular_examples import NUMERIC, churn_frame, make_tabular_example

FORMATS = ("xgboost-pickle", "lightgbm-pickle", "churn-pipeline", "xgboost-json", "lightgbm-txt")
"""Pickled scikit-learn wrappers load today; the others need the DataFrame/native loader."""
IMAGE_FORMATS = (*FORMATS, "catboost-cbm", "skops-pipeline")
"""Every format an image is built for: CatBoost's own file (with a string column) and a
pipeline over a DataFrame saved with skops too."""


@dataclass(frozen=True)
class FormatCase:
    """A saved model, a /predict body for it and what the framework itself predicts for it."""

    model: Path
    body: dict[str, Any]
    expected: np.ndarray
    """Probabilities of the positive class (classifiers) or values (regressors), one per row."""


def _rows() -> tuple[Any, Any]:
    frame, labels = churn_frame(rows=300, seed=3)
    return frame, labels


def make_case(name: str, folder: Path) -> FormatCase:
    """Train the model for format `name` in `folder` (tiny, offline) and say what it answers."""
    folder.mkdir(parents=True, exist_ok=True)
    frame, labels = _rows()
    numbers = frame[NUMERIC].fillna(frame[NUMERIC].median())
    probe = numbers.head(6)
    body: dict[str, Any] = {"instances": probe.to_numpy(dtype=float).tolist()}
    if name == "xgboost-pickle":
        import xgboost

        model = xgboost.XGBClassifier(n_estimators=8, max_depth=3).fit(numbers.to_numpy(), labels)
        path = folder / "model.joblib"
        joblib.dump(model, path)
        expected = model.predict_proba(probe.to_numpy())[:, 1]
    elif name == "lightgbm-pickle":
        import lightgbm

        target = numbers["monthly_charges"] * 0.1 + numbers["support_calls"]
        model = lightgbm.LGBMRegressor(n_estimators=8, num_leaves=7, verbose=-1)
        model.fit(numbers.to_numpy(), target.to_numpy())
        path = folder / "model.pkl"
        path.write_bytes(pickle.dumps(model))
        expected = model.predict(probe.to_numpy())
    elif name == "churn-pipeline":
        path = make_tabular_example("churn", folder).model_path
        model = joblib.load(path)
        rows = frame.head(6).astype(object).where(frame.head(6).notna(), None)
        body = {"records": rows.to_dict(orient="records")}
        expected = model.predict_proba(frame.head(6))[:, 1]
    elif name in ("xgboost-json", "lightgbm-txt"):
        kind = name.split("-")[0]
        path = make_tabular_example(kind, folder).model_path
        probe = frame[NUMERIC].head(6)
        body = {"records": probe.astype(object).where(probe.notna(), None).to_dict("records")}
        if kind == "xgboost":
            import xgboost

            booster = xgboost.Booster(model_file=str(path))
            expected = booster.predict(xgboost.DMatrix(probe))
        else:
            import lightgbm

            expected = lightgbm.Booster(model_file=str(path)).predict(probe)
    elif name == "catboost-cbm":
        path, expected, body = _catboost(frame, labels, folder)
    elif name == "skops-pipeline":
        path, expected, body = _skops(frame, labels, folder)
    else:
        raise ValueError(name)
    return FormatCase(model=path, body=body, expected=np.asarray(expected, dtype=float))


def _records(rows: Any) -> list[dict[str, Any]]:
    return list(rows.astype(object).where(rows.notna(), None).to_dict("records"))


def _catboost(frame: Any, labels: Any, folder: Path) -> tuple[Path, Any, dict[str, Any]]:
    """A CatBoostClassifier saved as .cbm, with `contract` as a categorical string column."""
    import catboost

    columns = ["tenure_months", "monthly_charges", "support_calls", "contract"]
    rows = frame[columns].fillna({"monthly_charges": 65.0})
    model = catboost.CatBoostClassifier(
        iterations=8, depth=3, verbose=0, cat_features=["contract"], allow_writing_files=False,
        thread_count=1,
    ).fit(rows, labels)  # fmt: skip
    path = folder / "model.cbm"
    model.save_model(str(path))
    probe = rows.head(6)
    return path, model.predict_proba(probe)[:, 1], {"records": _records(probe)}


def _skops(frame: Any, labels: Any, folder: Path) -> tuple[Path, Any, dict[str, Any]]:
    """A pipeline over a DataFrame (strings one-hot encoded, numbers scaled) saved with skops:
    no imputer, whose fitted dtype skops does not trust by default."""
    import skops.io
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rows = frame[["tenure_months", "support_calls", "contract", "internet_service"]]
    columns = ColumnTransformer([
        ("numbers", StandardScaler(), ["tenure_months", "support_calls"]),
        ("categories", OneHotEncoder(handle_unknown="ignore"), ["contract", "internet_service"]),
    ])  # fmt: skip
    model = Pipeline([("columns", columns), ("classify", LogisticRegression())]).fit(rows, labels)
    path = folder / "model.skops"
    skops.io.dump(model, path)
    probe = rows.head(6)
    return path, model.predict_proba(probe)[:, 1], {"records": _records(probe)}


def assert_serves(base_url: str, case: FormatCase) -> None:
    """POST the case's body; the answer equals the framework's own to 1e-6."""
    answer = httpx.post(f"{base_url}/predict", json=case.body, timeout=20.0)
    assert answer.status_code == 200, answer.text
    got = np.asarray(answer.json()["predictions"], dtype=float)
    if got.ndim == 2 and got.shape[1] == 2:
        got = got[:, 1]  # the positive class of [P(0), P(1)]
    assert got.shape == case.expected.shape, (got, case.expected)
    assert np.allclose(got, case.expected, atol=1e-6), (got, case.expected)
