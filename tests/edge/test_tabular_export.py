"""Edge export of XGBoost, LightGBM and CatBoost models (native files and pickles), with parity;
a model holding the user's own class is refused with the reason."""

from __future__ import annotations

import pickle
from pathlib import Path

import joblib
import numpy as np
import pytest

from deploy_advisor.edge.bundle import prepare_bundle
from deploy_advisor.edge.export import load_original
from deploy_advisor.edge_runtime.model import load
from deploy_advisor.errors import ModelError
from tests.conftest import imported_from
from tests.targets.test_pinning import train_with_own_module, write_own_module


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    features = rng.uniform(0, 70, size=(200, 4))
    return features, (features[:, 0] + rng.normal(0, 10, 200) > 35).astype(int)


def _save(kind: str, folder: Path) -> Path:
    features, labels = _data()
    if kind == "xgboost-json":
        import xgboost

        model = xgboost.XGBClassifier(n_estimators=10, max_depth=3).fit(features, labels)
        model.save_model(folder / "model.json")
        return folder / "model.json"
    if kind == "xgboost-ubj-regressor":
        import xgboost

        model = xgboost.XGBRegressor(n_estimators=10, max_depth=3).fit(features, features[:, 1])
        model.save_model(folder / "model.ubj")
        return folder / "model.ubj"
    if kind == "xgboost-pickle":
        import xgboost

        model = xgboost.XGBClassifier(n_estimators=10, max_depth=3).fit(features, labels)
        joblib.dump(model, folder / "model.joblib")
        return folder / "model.joblib"
    if kind == "lightgbm-txt":
        import lightgbm

        model = lightgbm.LGBMClassifier(n_estimators=10, num_leaves=7, verbose=-1)
        model.fit(features, labels).booster_.save_model(folder / "model.txt")
        return folder / "model.txt"
    if kind == "lightgbm-pickle":
        import lightgbm

        model = lightgbm.LGBMRegressor(n_estimators=10, num_leaves=7, verbose=-1)
        (folder / "model.pkl").write_bytes(pickle.dumps(model.fit(features, features[:, 2])))
        return folder / "model.pkl"
    import catboost

    model = catboost.CatBoostClassifier(
        iterations=10, depth=3, verbose=False, allow_writing_files=False
    ).fit(features, labels)
    model.save_model(str(folder / "model.cbm"))
    return folder / "model.cbm"


@pytest.mark.parametrize(
    "kind",
    ["xgboost-json", "xgboost-ubj-regressor", "xgboost-pickle", "lightgbm-txt",
     "lightgbm-pickle", "catboost-cbm"],
)  # fmt: skip
def test_boosters_export_to_onnx_within_tolerance_and_the_bundle_predicts_alike(
    kind: str, tmp_path: Path
) -> None:
    path = _save(kind, tmp_path)
    bundle = prepare_bundle(model_path=path, name="bundle")
    assert bundle.parity is not None and bundle.parity.within, bundle.parity
    assert bundle.export.n_features == 4
    onnx_file = tmp_path / "exported.onnx"
    onnx_file.write_bytes(bundle.files["model.onnx"])
    rows = _data()[0][:8].astype(np.float32)
    original = load_original(path)
    outputs = load(onnx_file).predict(rows)
    if hasattr(original, "predict_proba"):
        got = list(outputs.values())[1]
        if got.dtype == object:  # CatBoost keeps its ZipMap: one {class: probability} per row
            got = np.array([[row[k] for k in sorted(row)] for row in got])
        expected = original.predict_proba(rows.astype(np.float64))
    else:
        got = list(outputs.values())[0].reshape(-1)
        expected = original.predict(rows.astype(np.float64))
    assert np.allclose(np.asarray(got, dtype=float), expected, atol=1e-4)


def test_a_pipeline_with_the_users_own_class_is_refused_with_the_reason(tmp_path: Path) -> None:
    module = write_own_module(tmp_path)
    model = train_with_own_module(tmp_path)
    with imported_from(module.parent, "churn_features"), pytest.raises(ModelError) as caught:
        prepare_bundle(model_path=model, name="bundle")
    message = str(caught.value)
    assert "Log1p (churn_features)" in message and "no ONNX converter" in message
    assert "\n" not in message


def test_a_pipeline_selecting_number_columns_by_name_takes_one_input_per_column(
    tmp_path: Path,
) -> None:
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    features, labels = _data()
    frame = pd.DataFrame(features, columns=["a", "b", "c", "d"])
    columns = ColumnTransformer([("scale", StandardScaler(), ["a", "b"])], remainder="drop")
    forest = RandomForestClassifier(n_estimators=5, random_state=0)
    model = Pipeline([("columns", columns), ("forest", forest)]).fit(frame, labels)
    joblib.dump(model, tmp_path / "model.joblib")

    bundle = prepare_bundle(model_path=tmp_path / "model.joblib", name="bundle")

    assert bundle.parity is not None and bundle.parity.within, bundle.parity
    onnx_file = tmp_path / "exported.onnx"
    onnx_file.write_bytes(bundle.files["model.onnx"])
    edge = load(onnx_file)
    assert [c.name for c in edge.columns or []] == ["a", "b", "c", "d"]
    rows = np.empty((8, 4), dtype=object)
    rows[:] = features[:8]
    got = edge.predict(rows)["probabilities"]
    np.testing.assert_allclose(got, model.predict_proba(frame.head(8)), atol=1e-5)
