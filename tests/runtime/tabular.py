"""Tabular models saved the way data scientists save them, trained offline on tiny data."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests.conftest import imported_from

CUSTOM = textwrap.dedent(
    '''
    from sklearn.base import BaseEstimator, TransformerMixin


    class Doubler(TransformerMixin, BaseEstimator):
        """A user's own transformer: doubles every value."""

        def fit(self, X, y=None):
            return self

        def transform(self, X):
            return X * 2.0
    '''
)


@dataclass
class Tabular:
    dir: Path
    frame: Any
    """The churn-like DataFrame (strings, ints, booleans, missing charges)."""
    target: Any
    numeric: Any
    """A DataFrame of four float columns for the boosters."""
    numeric_target: Any
    with_city: Any
    """`numeric` with a string column, for CatBoost's categorical feature."""
    churn: Any
    churn_path: Path
    files: dict[str, Path]
    estimators: dict[str, Any]
    custom_module_dir: Path


def churn_frame(n: int = 240, seed: int = 0) -> tuple[Any, Any]:
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "plan": rng.choice(["basic", "pro", "team"], n),
            "region": rng.choice(["eu", "us", "apac"], n),
            "tenure": rng.integers(0, 72, n),
            "charges": np.round(rng.normal(60.0, 15.0, n), 2),
            "paperless": rng.choice([True, False], n),
        }
    )
    frame.loc[::9, "charges"] = np.nan
    target = ((frame["tenure"] < 24) ^ (frame["plan"] == "team")).astype(int)
    return frame, target


def build(d: Path) -> Tabular:
    import catboost
    import joblib
    import lightgbm
    import pandas as pd
    import skops.io
    import xgboost
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    frame, target = churn_frame()
    pre = ColumnTransformer(
        [
            ("plan", OneHotEncoder(handle_unknown="error"), ["plan"]),
            ("region", OneHotEncoder(handle_unknown="ignore"), ["region"]),
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["tenure", "charges"]),
            ("flag", OrdinalEncoder(), ["paperless"]),
        ]
    )
    churn = Pipeline([("pre", pre), ("clf", LogisticRegression())]).fit(frame, target)
    files: dict[str, Path] = {"churn": d / "churn.joblib"}
    joblib.dump(churn, files["churn"])
    files["churn_skops"] = d / "churn.skops"
    skops.io.dump(churn, files["churn_skops"])

    rng = np.random.default_rng(1)
    numeric = pd.DataFrame(rng.normal(size=(200, 4)), columns=["a", "b", "c", "d"])
    labels = (numeric["a"] + numeric["b"] > 0).astype(int)
    values = numeric["a"] * 2.0 - numeric["c"]
    est: dict[str, Any] = {"churn": churn}
    est["xgb"] = xgboost.XGBClassifier(n_estimators=8, max_depth=3).fit(numeric, labels)
    files["xgb_pickle"] = d / "xgb.joblib"
    joblib.dump(est["xgb"], files["xgb_pickle"])
    for suffix in ("json", "ubj"):
        files[f"xgb_{suffix}"] = d / f"xgb.{suffix}"
        est["xgb"].get_booster().save_model(files[f"xgb_{suffix}"])
    est["lgbm"] = lightgbm.LGBMRegressor(n_estimators=8, verbose=-1).fit(numeric, values)
    files["lgbm_pickle"] = d / "lgbm.pkl"
    joblib.dump(est["lgbm"], files["lgbm_pickle"])
    files["lgbm_txt"] = d / "model.txt"
    est["lgbm"].booster_.save_model(files["lgbm_txt"])
    with_city = numeric.assign(city=rng.choice(["paris", "oslo", "rome"], len(numeric)))
    est["catboost"] = catboost.CatBoostClassifier(
        iterations=8, verbose=0, cat_features=["city"], allow_writing_files=False, thread_count=1
    ).fit(with_city, labels)
    files["catboost_cbm"] = d / "model.cbm"
    est["catboost"].save_model(str(files["catboost_cbm"]))
    files["catboost_pickle"] = d / "catboost.joblib"
    joblib.dump(est["catboost"], files["catboost_pickle"])

    custom_dir = d / "custom"
    custom_dir.mkdir()
    (custom_dir / "user_transforms.py").write_text(CUSTOM)
    with imported_from(custom_dir, "user_transforms") as user_transforms:
        doubled = make_pipeline(user_transforms.Doubler(), LogisticRegression())
        doubled.fit(numeric, labels)
        files["custom_pickle"] = d / "custom.joblib"
        joblib.dump(doubled, files["custom_pickle"])
        files["custom_skops"] = d / "custom.skops"
        skops.io.dump(doubled, files["custom_skops"])
    return Tabular(
        dir=d,
        frame=frame,
        target=target,
        numeric=numeric,
        numeric_target=labels,
        with_city=with_city,
        churn=churn,
        churn_path=files["churn"],
        files=files,
        estimators=est,
        custom_module_dir=custom_dir,
    )


def records(frame: Any) -> list[dict[str, Any]]:
    """JSON-ready records of a DataFrame (NaN as null, numpy scalars unwrapped)."""
    out = []
    for row in frame.to_dict(orient="records"):
        out.append(
            {
                k: None
                if isinstance(v, float) and np.isnan(v)
                else (v.item() if isinstance(v, np.generic) else v)
                for k, v in row.items()
            }
        )
    return out
