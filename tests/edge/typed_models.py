"""Pipelines over DataFrames with string, whole-number, boolean and missing values, trained here
(offline), with rows to send and the pipeline's own answer for them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TypedCase:
    """A saved pipeline, rows for it (with missing values) and what the pipeline answers."""

    model: Path
    frame: pd.DataFrame
    expected: np.ndarray
    """predict_proba for a classifier, predict for a regressor."""

    def records(self) -> list[dict[str, Any]]:
        """The rows as JSON records: missing values as null."""
        cells = self.frame.astype(object).where(self.frame.notna(), None)
        return [{k: _plain(v) for k, v in row.items()} for row in cells.to_dict("records")]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def house_frame(rows: int, seed: int) -> pd.DataFrame:
    """colour (string, never missing), rooms (whole number), area (number, some missing), garden
    (boolean) and city (string, some missing)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "colour": rng.choice(["red", "green", "blue"], rows),
        "rooms": rng.integers(1, 6, rows),
        "area": np.where(rng.random(rows) < 0.15, np.nan, rng.normal(80, 20, rows).round(1)),
        "garden": rng.random(rows) < 0.3,
        "city": pd.Series(rng.choice(["oslo", "bergen", "tromso"], rows)).where(
            rng.random(rows) > 0.15
        ),
    })  # fmt: skip


def house_pipeline(folder: Path) -> TypedCase:
    """A price regressor: an encoder that refuses unknown colours, one that ignores unknown
    rooms (whole numbers), an imputed and scaled area, an imputed city, garden passed through."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame = house_frame(400, seed=1)
    price = (
        frame["area"].fillna(80) * 3
        + frame["rooms"] * 20
        + 50 * frame["garden"]
        + frame["colour"].map({"red": 30, "green": 0, "blue": -10})
        + frame["city"].map({"oslo": 100, "bergen": 40, "tromso": 0}).fillna(20)
    ) / 100
    columns = ColumnTransformer(
        [
            ("colour", OneHotEncoder(), ["colour"]),
            ("rooms", OneHotEncoder(handle_unknown="ignore"), ["rooms"]),
            ("area", make_pipeline(SimpleImputer(), StandardScaler()), ["area"]),
            ("city", make_pipeline(
                SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
            ), ["city"]),
        ],
        remainder="passthrough",
    )  # fmt: skip
    model = Pipeline([("columns", columns), ("price", Ridge())]).fit(frame, price)
    path = folder / "house.joblib"
    joblib.dump(model, path)
    probe = house_frame(12, seed=2)
    return TypedCase(model=path, frame=probe, expected=model.predict(probe))


def churn_pipeline(folder: Path) -> TypedCase:
    """`example-model --kind churn`, with unseen rows (strings, missing values) to send."""
    from deploy_advisor.intake.tabular_examples import churn_frame, make_tabular_example

    path = make_tabular_example("churn", folder).model_path
    probe, _ = churn_frame(rows=40, seed=9)
    expected = joblib.load(path).predict_proba(probe)
    return TypedCase(model=path, frame=probe, expected=expected)


def refused_pipeline(folder: Path, kind: str) -> Path:
    """A pipeline whose step no converter can export: an encoder that learned None as a
    category (`"missing-category"`), or a SplineTransformer (`"spline"`)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, SplineTransformer

    frame = house_frame(200, seed=3)
    labels = (frame["area"].fillna(80) > 80).astype(int)
    if kind == "missing-category":
        frame["city"] = frame["city"].astype(object).where(frame["city"].notna(), None)
        branch = ("city", OneHotEncoder(handle_unknown="ignore"), ["city"])
    else:
        branch = ("area", make_pipeline(SimpleImputer(), SplineTransformer()), ["area"])
    model = Pipeline([("columns", ColumnTransformer([branch])), ("classify", LogisticRegression())])
    path = folder / f"{kind}.joblib"
    joblib.dump(model.fit(frame, labels), path)
    return path
