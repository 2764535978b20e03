"""Requirement pinning read from the model file, without unpickling it."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import joblib
import numpy as np
import pytest

from deploy_advisor.errors import ModelError
from deploy_advisor.targets.base import ModelFacts, Requirement
from deploy_advisor.targets.pinning import (
    code_modules,
    framework_pins,
    is_xgboost_json,
    model_needs,
    pickle_modules,
)
from deploy_advisor.targets.requirements import render_requirements, serving_requirements
from tests.targets.test_golden import FACTS


def _data(rows: int = 80) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(rows, 4))
    return features, (features[:, 0] + features[:, 1] > 0).astype(int)


@pytest.fixture(scope="module")
def forest(tmp_path_factory: pytest.TempPathFactory) -> object:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=3, random_state=0).fit(*_data())


@pytest.mark.parametrize("compress", [0, ("zlib", 3), ("gzip", 3), ("bz2", 3), ("xz", 3)])
def test_joblib_files_name_their_modules_at_any_compression(
    forest: object, tmp_path: Path, compress: object
) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump(forest, path, compress=compress)
    tops = {m.split(".")[0] for m in pickle_modules(path)}
    assert tops == {"sklearn", "numpy", "joblib"}
    assert "sklearn.ensemble._forest" in pickle_modules(path)


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_plain_pickles_are_read_from_their_opcodes_at_every_protocol(
    forest: object, tmp_path: Path, protocol: int
) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(forest, protocol=protocol))
    assert "sklearn.tree._classes" in pickle_modules(path)


def test_the_example_forest_adds_no_pin_so_requirements_stay_as_they_were(
    forest: object, tmp_path: Path
) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump(forest, path)
    pins = framework_pins(model_needs(path))
    assert pins == ()
    before = render_requirements(serving_requirements(FACTS, gunicorn=True))
    after = render_requirements(serving_requirements(_with(pins), gunicorn=True))
    assert before == after


def _with(pins: tuple[Requirement, ...]) -> ModelFacts:
    return replace(FACTS, pins=pins)


def test_a_pickled_xgbclassifier_pins_xgboost_cpu_at_the_installed_version(tmp_path: Path) -> None:
    import xgboost

    path = tmp_path / "model.joblib"
    joblib.dump(xgboost.XGBClassifier(n_estimators=3, max_depth=2).fit(*_data()), path)
    pins = framework_pins(model_needs(path))
    text = render_requirements(serving_requirements(_with(pins), gunicorn=False))
    assert f"xgboost-cpu=={xgboost.__version__}  #" in text
    assert "nvidia" not in text
    assert model_needs(path).recorded_version == xgboost.__version__, "from the booster"


def test_a_pickled_lgbmregressor_pins_lightgbm_and_its_dependencies(tmp_path: Path) -> None:
    import lightgbm

    features, _ = _data()
    model = lightgbm.LGBMRegressor(n_estimators=3, verbose=-1).fit(features, features[:, 0])
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    pins = {r.name: r for r in framework_pins(model_needs(path))}
    assert pins["lightgbm"].version == metadata.version("lightgbm")
    for dependency in metadata.requires("lightgbm") or []:
        name = dependency.split(";")[0].split(">")[0].split("=")[0].split("<")[0].strip()
        if "extra ==" not in dependency and name not in {"numpy", "scipy"}:
            assert name in pins, f"{name} (needed by lightgbm) is not pinned"
    assert "scikit-learn" not in pins, "the scikit-learn stack is pinned by its own rule"


def test_native_xgboost_files_pin_the_version_they_record(tmp_path: Path) -> None:
    import xgboost

    booster = xgboost.XGBRegressor(n_estimators=2).fit(*_data()).get_booster()
    for name in ("model.json", "model.ubj"):
        booster.save_model(tmp_path / name)
        needs = model_needs(tmp_path / name)
        assert needs.framework == "xgboost"
        assert needs.recorded_version == xgboost.__version__
    document = json.loads((tmp_path / "model.json").read_text())
    document["version"] = [2, 1, 4]
    (tmp_path / "older.json").write_text(json.dumps(document))
    (pin,) = framework_pins(model_needs(tmp_path / "older.json"))[:1]
    assert (pin.name, pin.version) == ("xgboost-cpu", "2.1.4")
    assert pin.reason.startswith("the version the model was saved with")


def test_a_json_file_that_is_not_an_xgboost_model_is_not_taken_for_one(tmp_path: Path) -> None:
    other = tmp_path / "model.json"
    other.write_text(json.dumps({"columns": ["a", "b"], "learner_rate": 0.1}))
    assert not is_xgboost_json(other)


def test_lightgbm_model_txt_and_catboost_cbm_map_to_their_framework(tmp_path: Path) -> None:
    import lightgbm

    features, labels = _data()
    lightgbm.LGBMClassifier(n_estimators=2, verbose=-1).fit(features, labels).booster_.save_model(
        tmp_path / "model.txt"
    )
    assert model_needs(tmp_path / "model.txt").framework == "lightgbm"
    import catboost

    model = catboost.CatBoostClassifier(iterations=2, verbose=False, allow_writing_files=False)
    model.fit(features, labels)
    model.save_model(str(tmp_path / "model.cbm"))
    pins = {r.name: r.version for r in framework_pins(model_needs(tmp_path / "model.cbm"))}
    assert pins["catboost"] == metadata.version("catboost")


def test_skops_files_pin_skops_and_the_modules_their_schema_lists(
    forest: object, tmp_path: Path
) -> None:
    import skops.io as sio

    sio.dump(forest, tmp_path / "model.skops")
    needs = model_needs(tmp_path / "model.skops")
    assert {"skops", "sklearn", "numpy"} <= needs.modules
    assert "skops" in {r.name for r in framework_pins(needs)}
    assert not needs.takes_dataframe


def test_a_skops_pipeline_selecting_columns_by_name_pins_pandas(tmp_path: Path) -> None:
    import skops.io as sio

    from tests.targets.formats import make_case

    model = make_case("skops-pipeline", tmp_path).model
    needs = model_needs(model)
    assert needs.takes_dataframe
    assert {"skops", "pandas"} <= {r.name for r in framework_pins(needs)}
    assert sio.get_untrusted_types(file=str(model)) == []


def write_own_module(folder: Path) -> Path:
    """The user's module: a transformer class scikit-learn does not have."""
    path = folder / "churn_features.py"
    path.write_text(
        "import numpy as np\n"
        "from sklearn.base import BaseEstimator, TransformerMixin\n\n\n"
        "class Log1p(BaseEstimator, TransformerMixin):\n"
        "    def fit(self, X, y=None):\n"
        "        self.n_features_in_ = np.asarray(X).shape[1]\n"
        "        return self\n\n"
        "    def transform(self, X):\n"
        "        return np.log1p(np.abs(X))\n"
    )
    return path


def train_with_own_module(folder: Path, *, module: str = "churn_features") -> Path:
    """A pipeline using the user's transformer, pickled in another process run in `folder`."""
    script = (
        "import joblib, numpy as np\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.pipeline import make_pipeline\n"
        f"from {module} import Log1p\n"
        "X = np.random.default_rng(0).normal(size=(60, 3))\n"
        "y = (X[:, 0] > 0).astype(int)\n"
        "joblib.dump(make_pipeline(Log1p(), LogisticRegression()).fit(X, y), 'model.joblib')\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=folder, check=True)
    return folder / "model.joblib"


def test_a_module_neither_installed_nor_given_is_named_with_the_flag(tmp_path: Path) -> None:
    write_own_module(tmp_path)
    model = train_with_own_module(tmp_path)
    needs = model_needs(model)
    assert "churn_features" in needs.modules
    with pytest.raises(ModelError) as caught:
        framework_pins(needs, model_name=model.name)
    message = str(caught.value)
    assert "'churn_features'" in message and "--code" in message and "\n" not in message
    given = code_modules(tmp_path / "churn_features.py")
    assert framework_pins(needs, given=given) == ()
