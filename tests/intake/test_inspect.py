from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from pathlib import Path

import pytest

from deploy_advisor.errors import ModelError
from deploy_advisor.intake import ExampleModel, inspect_model
from tests.intake.helpers import inspect_cli


def _installed_sklearn() -> str:
    import sklearn

    return str(sklearn.__version__)


def _small_model():  # type: ignore[no-untyped-def]
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    data = load_diabetes()
    return Ridge().fit(data.data, data.target)


def test_joblib_report(example: ExampleModel) -> None:
    report = inspect_model(example.joblib_path)
    assert report.format == "joblib"
    assert report.estimator == "RandomForestClassifier"
    assert report.sha256 == hashlib.sha256(example.joblib_path.read_bytes()).hexdigest()
    assert report.size_bytes == example.joblib_path.stat().st_size
    assert (report.n_features, report.feature_names) == (30, None)
    assert (report.output_kind, report.n_outputs, report.classes) == ("probabilities", 2, [0, 1])
    assert 0 < report.load_seconds < 60
    assert 30 < report.rss_mb < 2000  # a fresh interpreter with numpy and scikit-learn
    assert report.trained_sklearn_version == report.installed_sklearn_version
    assert report.sample_dataset == "breast_cancer"
    assert report.warnings[0].startswith("loading model.joblib unpickles it, which runs code")


def test_onnx_report(example: ExampleModel) -> None:
    report = inspect_model(example.onnx_path)
    assert (report.format, report.n_features, report.output_kind) == ("onnx", 30, "probabilities")
    assert report.n_outputs == 2
    assert report.trained_sklearn_version is None
    assert report.warnings == []  # nothing is unpickled
    assert report.sample_dataset == "breast_cancer"
    assert report.rss_mb > 0


def test_plain_pickle_regression_model(tmp_path: Path) -> None:
    path = tmp_path / "ridge.pkl"
    path.write_bytes(pickle.dumps(_small_model()))
    report = inspect_model(path)
    assert (report.format, report.estimator) == ("pickle", "Ridge")
    assert (report.n_features, report.output_kind, report.n_outputs) == (10, "values", 1)
    assert report.sample_dataset is None


@pytest.mark.parametrize("flavour", ["sklearn", "python_function"])
def test_mlflow_directory(
    example: ExampleModel, tmp_path: Path, flavour: str, mlmodel_text: str
) -> None:
    model_dir = tmp_path / "mlflow-model"
    model_dir.mkdir()
    shutil.copyfile(example.joblib_path, model_dir / "model.pkl")
    mlmodel = mlmodel_text
    if flavour == "python_function":  # only the pyfunc flavour, as a custom save would leave it
        mlmodel = mlmodel[: mlmodel.index("  sklearn:")] + mlmodel[mlmodel.index("mlflow_ver") :]
    (model_dir / "MLmodel").write_text(mlmodel)
    report = inspect_model(model_dir)
    assert (report.format, report.n_features, report.output_kind) == ("mlflow", 30, "probabilities")
    files = [model_dir / "model.pkl", model_dir / "MLmodel"]
    assert report.size_bytes == sum(p.stat().st_size for p in files)


def test_sklearn_version_mismatch_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sklearn.base

    path = tmp_path / "old.joblib"
    model = _small_model()
    monkeypatch.setattr(sklearn.base, "__version__", "1.0.2")  # what __getstate__ records
    path.write_bytes(pickle.dumps(model))
    monkeypatch.undo()
    report = inspect_model(path)
    assert report.trained_sklearn_version == "1.0.2"
    assert report.installed_sklearn_version == _installed_sklearn()
    assert report.sklearn_mismatch
    assert report.warnings[1].startswith(
        f"pickled with scikit-learn 1.0.2 but {_installed_sklearn()} is installed"
    )


def test_cli_json_document(example: ExampleModel, tmp_path: Path) -> None:
    payloads = tmp_path / "samples" / "payloads.json"
    done = inspect_cli(
        str(example.onnx_path), "--json", "--payloads", str(payloads), "--count", "8"
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert set(document) == {
        "path", "format", "estimator", "sha256", "size_bytes", "n_features", "feature_names",
        "output_kind", "n_outputs", "classes", "load_seconds", "rss_mb",
        "trained_sklearn_version", "installed_sklearn_version", "sample_dataset", "warnings",
        "sklearn_mismatch", "sample_payload", "framework", "framework_version", "outputs",
        "output", "schema", "deep",
    }  # fmt: skip
    assert len(document["sample_payload"]["instances"][0]) == 30
    assert len(json.loads(payloads.read_text())) == 8
    assert inspect_cli(str(example.onnx_path), "--payloads", str(payloads)).returncode == 2


def test_cli_table(example: ExampleModel) -> None:
    done = inspect_cli(str(example.joblib_path))
    assert done.returncode == 0, done.stderr
    assert "│ features          │ 30" in done.stdout
    assert "│ output            │ probabilities, 2 columns, classes 0, 1" in done.stdout
    assert done.stderr.count("unpickles it") == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.joblib", None, "Error: Model `{path}` not found; pass the path of a .joblib"),
        ("model.h5", b"\x89HDF", "Error: `{path}` has an unknown model format (.h5); pass a"),
        ("broken.joblib", b"not a pickle", "Error: Cannot load model `{path}`: ModelLoadError:"),
        ("broken.onnx", b"\x08\x07garbage", "Error: Cannot load model `{path}`: ModelLoadError:"),
    ],
)
def test_cli_errors_are_one_line(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    done = inspect_cli(str(path))
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(message.format(path=path))
    assert done.stdout == ""


def test_library_error_names_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "broken.pkl"
    path.write_bytes(b"\x80\x04garbage")
    with pytest.raises(ModelError, match=r"re-save it with joblib.dump\(model, path\)"):
        inspect_model(path)


def test_a_model_that_takes_text_columns_reports_them(tmp_path: Path) -> None:
    import joblib
    import numpy as np
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rows = np.array([["a", 1.0], ["b", 2.0], ["a", 3.0], ["c", 4.0]] * 5, dtype=object)
    pipeline = make_pipeline(
        make_column_transformer((OneHotEncoder(), [0]), remainder="passthrough"),
        LogisticRegression(),
    ).fit(rows, [0, 1] * 10)
    path = tmp_path / "mixed.joblib"
    joblib.dump(pipeline, path)
    report = inspect_model(path)
    first, second = report.schema["columns"]
    assert (first["name"], first["type"], first["categories"]) == ("f0", "string", ["a", "b", "c"])
    assert (second["name"], second["type"]) == ("f1", "float")
    assert report.n_outputs == 2
