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
    else:
        raise ValueError(name)
    return FormatCase(model=path, body=body, expected=np.asarray(expected, dtype=float))


def assert_serves(base_url: str, case: FormatCase) -> None:
    """POST the case's body; the answer equals the framework's own to 1e-6."""
    answer = httpx.post(f"{base_url}/predict", json=case.body, timeout=20.0)
    assert answer.status_code == 200, answer.text
    got = np.asarray(answer.json()["predictions"], dtype=float)
    if got.ndim == 2 and got.shape[1] == 2:
        got = got[:, 1]  # the positive class of [P(0), P(1)]
    assert got.shape == case.expected.shape, (got, case.expected)
    assert np.allclose(got, case.expected, atol=1e-6), (got, case.expected)
