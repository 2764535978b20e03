"""A tiny churn-like scikit-learn pipeline fitted on a pandas DataFrame, saved as users do.

Strings (one-hot encoded; `plan` refuses unknown values, `region` ignores them and may be
missing), an integer column, a float column that may be missing (both imputed) and a boolean.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

COLUMNS = ["plan", "region", "tenure", "monthly", "autopay"]
PLANS = ["basic", "pro", "team"]
REGIONS = ["north", "south", "east", "west"]


@dataclass
class Churn:
    path: Path
    pipeline: Any
    frame: Any

    def rows(self, start: int, stop: int) -> list[list[Any]]:
        """Rows as JSON would carry them (None for a missing value)."""
        out = []
        for rec in self.frame.iloc[start:stop].to_dict("records"):
            out.append([None if _missing(rec[c]) else _plain(rec[c]) for c in COLUMNS])
        return out

    def proba(self, rows: list[list[Any]]) -> np.ndarray:
        import pandas as pd

        frame = pd.DataFrame(
            {
                "plan": [r[0] for r in rows],
                "region": [np.nan if r[1] is None else r[1] for r in rows],
                "tenure": np.array([r[2] for r in rows], dtype=np.int64),
                "monthly": np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=float),
                "autopay": np.array([r[4] for r in rows], dtype=bool),
            }
        )
        return np.asarray(self.pipeline.predict_proba(frame))


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def train_churn(directory: Path) -> Churn:
    import joblib
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(7)
    n = 300
    region = rng.choice(REGIONS, n).astype(object)
    region[rng.random(n) < 0.1] = np.nan
    monthly = rng.uniform(10, 120, n).round(2)
    monthly[rng.random(n) < 0.1] = np.nan
    frame = pd.DataFrame(
        {
            "plan": rng.choice(PLANS, n),
            "region": region,
            "tenure": rng.integers(0, 72, n),
            "monthly": monthly,
            "autopay": rng.random(n) < 0.5,
        }
    )
    y = ((frame["tenure"] < 12).to_numpy() & ~frame["autopay"].to_numpy()) ^ (rng.random(n) < 0.2)
    pre = ColumnTransformer(
        [
            ("plan", OneHotEncoder(handle_unknown="error"), ["plan"]),
            (
                "region",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                ["region"],
            ),
            ("tenure", StandardScaler(), ["tenure"]),
            ("monthly", make_pipeline(SimpleImputer(), StandardScaler()), ["monthly"]),
            ("autopay", OneHotEncoder(drop="if_binary"), ["autopay"]),
        ]
    )
    pipe = Pipeline([("pre", pre), ("clf", LogisticRegression())]).fit(frame, y)
    path = directory / "churn.joblib"
    joblib.dump(pipe, path)
    return Churn(path=path, pipeline=pipe, frame=frame)
