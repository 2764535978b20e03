"""The loader: joblib/pickle, ONNX, MLflow directories, scaffold directories."""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import sklearn

from deploy_advisor.runtime.formats import mlflow as mlflow_format
from deploy_advisor.runtime.formats import sklearn as sklearn_format
from deploy_advisor.runtime.loader import ModelLoadError, load_model, resolve_model_path

from .conftest import Models

MLMODEL = """artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict_proba
    python_version: 3.11.7
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: {version}
mlflow_version: 3.17.2
model_uuid: 91a4915f55b44604ba29484ce6891391
utc_time_created: '2026-11-21 10:00:00.000000'
"""


def test_joblib(models: Models) -> None:
    m = load_model(models.rf_joblib)
    assert m.format == "joblib"
    assert m.estimator == "RandomForestClassifier"
    assert m.n_features == 30
    assert m.feature_names is None
    assert m.output_kind == "probabilities"
    assert m.classes == [0, 1]
    assert m.allows_nan is True
    assert m.sha256 == hashlib.sha256(models.rf_joblib.read_bytes()).hexdigest()
    assert m.trained_sklearn_version == sklearn.__version__
    assert m.load_seconds > 0
    np.testing.assert_array_equal(m.predict(models.X[:7]), models.rf.predict_proba(models.X[:7]))
    described = m.describe()
    assert described["n_features"] == 30 and described["format"] == "joblib"
    json.dumps(described)


def test_feature_names_and_no_warning(models: Models) -> None:
    m = load_model(models.rf_named)
    assert m.feature_names == models.feature_names
    # an array has no column names: scikit-learn's warning is silenced (warnings are errors here)
    m.predict(models.X[:2])


def test_onnx(models: Models) -> None:
    m = load_model(models.rf_onnx)
    assert (m.format, m.n_features, m.output_kind) == ("onnx", 30, "probabilities")
    assert m.allows_nan is False
    assert m.trained_sklearn_version is None
    out = m.predict(models.X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, models.rf.predict_proba(models.X), atol=1e-5)


def test_regressor_and_label_models(models: Models, tmp_path: Path) -> None:
    import joblib
    from sklearn.svm import LinearSVC

    reg = load_model(models.regressor)
    assert reg.output_kind == "values"
    assert reg.predict(models.X[:3]).shape == (3,)
    svc = LinearSVC(max_iter=50).fit(models.X[:, :3] / 1000, models.y)
    joblib.dump(svc, tmp_path / "svc.pkl")
    labels = load_model(tmp_path / "svc.pkl")
    assert labels.format == "pickle"
    assert labels.output_kind == "labels"
    assert set(labels.predict(models.X[:20, :3] / 1000).tolist()) <= {0, 1}


def test_trained_version_from_an_older_pickle(models: Models, tmp_path: Path) -> None:
    data = pickle.dumps(models.rf)
    current = sklearn.__version__.encode()
    old = b"0.0.1"[: len(current)].ljust(len(current), b"0")
    assert data.count(current) >= 1
    (tmp_path / "old.pkl").write_bytes(data.replace(current, old))
    m = load_model(tmp_path / "old.pkl")
    assert m.trained_sklearn_version == old.decode()


def test_mlflow_directory(models: Models, tmp_path: Path) -> None:
    d = tmp_path / "mlflow-model"
    d.mkdir()
    (d / "MLmodel").write_text(MLMODEL.format(version="1.5.2"))
    (d / "model.pkl").write_bytes(pickle.dumps(models.rf))
    m = load_model(d)
    assert m.format == "mlflow"
    assert m.path == d / "model.pkl"
    assert m.trained_sklearn_version == "1.5.2"
    np.testing.assert_array_equal(m.predict(models.X[:3]), models.rf.predict_proba(models.X[:3]))


def test_mlmodel_reader_without_pyyaml() -> None:
    data = mlflow_format._read_simple_yaml(MLMODEL.format(version="1.9.1"))
    assert data["flavors"]["sklearn"] == {
        "code": None,
        "pickled_model": "model.pkl",
        "serialization_format": "cloudpickle",
        "sklearn_version": "1.9.1",
    }
    assert data["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
    assert data["utc_time_created"] == "2026-11-21 10:00:00.000000"


def test_mlflow_unsupported_flavour(tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text("flavors:\n  pytorch:\n    model_data: data\n")
    with pytest.raises(ModelLoadError, match="flavours pytorch"):
        load_model(tmp_path)


def test_resolving_directories(models: Models, tmp_path: Path) -> None:
    scaffold = tmp_path / "scaffold"
    (scaffold / "model").mkdir(parents=True)
    shutil.copy(models.rf_joblib, scaffold / "model" / "model.joblib")
    lock = {"version": 1, "model": {"file": "model/model.joblib", "format": "joblib"}}
    (scaffold / "deploy-advisor.lock.json").write_text(json.dumps(lock))
    assert resolve_model_path(scaffold) == scaffold / "model" / "model.joblib"

    single = tmp_path / "single"
    single.mkdir()
    shutil.copy(models.rf_onnx, single / "m.onnx")
    (single / "README.md").write_text("notes")
    assert resolve_model_path(single) == single / "m.onnx"

    nested = tmp_path / "nested"
    (nested / "model").mkdir(parents=True)
    shutil.copy(models.rf_onnx, nested / "model" / "m.onnx")
    assert resolve_model_path(nested) == nested / "model" / "m.onnx"

    shutil.copy(models.rf_joblib, single / "other.joblib")
    with pytest.raises(ModelLoadError, match="several model files"):
        resolve_model_path(single)
    with pytest.raises(ModelLoadError, match="does not exist"):
        resolve_model_path(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelLoadError, match="no model file in"):
        resolve_model_path(empty)
    (scaffold / "deploy-advisor.lock.json").write_text("{}")
    with pytest.raises(ModelLoadError, match="no model.file entry"):
        resolve_model_path(scaffold)


def test_load_errors(tmp_path: Path) -> None:
    (tmp_path / "model.txt").write_text("hi")
    with pytest.raises(ModelLoadError, match=r"unknown model format \.txt"):
        load_model(tmp_path / "model.txt")
    (tmp_path / "junk.onnx").write_bytes(b"junk")
    with pytest.raises(ModelLoadError, match="junk.onnx is not a usable ONNX model"):
        load_model(tmp_path / "junk.onnx")
    (tmp_path / "dict.pkl").write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ModelLoadError, match="holds a dict, which has no predict method"):
        load_model(tmp_path / "dict.pkl")
    # a pickle that needs a module that is not installed
    (tmp_path / "needs.pkl").write_bytes(
        b"\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00\x8c\x0cnot_a_module\x94\x8c\x03Cls\x94\x93\x94."
    )
    with pytest.raises(
        ModelLoadError, match="needs the Python module 'not_a_module'.*scaffold --code PATH"
    ):
        load_model(tmp_path / "needs.pkl")


def test_unpickling_warning_is_logged_once(
    models: Models, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sklearn_format, "_warned", False)
    logger = logging.getLogger("model_server")
    monkeypatch.setattr(logger, "propagate", True)
    with caplog.at_level(logging.WARNING, logger="model_server"):
        load_model(models.rf_joblib)
        load_model(models.rf_joblib)
    hits = [r for r in caplog.records if "runs code stored in the file" in r.getMessage()]
    assert len(hits) == 1
