"""`scaffold --target edge`: export, parity, quantisation, size budget and the bundle's files."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import joblib
import numpy as np
import onnxruntime as ort

from .conftest import breast_cancer, scaffold_edge


def test_bundle_holds_the_exported_model_and_a_runtime(bundle: Path, forest_path: Path) -> None:
    names = sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file())
    assert {
        "model.onnx",
        "Dockerfile",
        "README.md",
        "requirements.txt",
        "sample.json",
        "bundle.json",
        "deploy-advisor.lock.json",
        "edge_runtime/__main__.py",
    } <= set(names)
    requirements = (bundle / "requirements.txt").read_text().splitlines()
    assert [line.split("==")[0] for line in requirements] == ["onnxruntime", "numpy"]
    runtime_sources = "".join(p.read_text() for p in (bundle / "edge_runtime").glob("*.py"))
    for heavy in ("sklearn", "fastapi", "uvicorn", "flask", "deploy_advisor"):
        assert f"import {heavy}" not in runtime_sources and f"from {heavy}" not in runtime_sources
    dockerfile = (bundle / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=python:3.11-slim" in dockerfile
    assert "docker buildx build --platform linux/amd64,linux/arm64" in dockerfile
    readme = (bundle / "README.md").read_text()
    assert "Raspberry Pi" in readme and "Jetson" in readme

    features, _ = breast_cancer()
    session = ort.InferenceSession(str(bundle / "model.onnx"), providers=["CPUExecutionProvider"])
    onnx_proba = session.run(None, {session.get_inputs()[0].name: features.astype(np.float32)})[1]
    expected = joblib.load(forest_path).predict_proba(features)
    np.testing.assert_allclose(onnx_proba, expected, atol=1e-5)

    info = json.loads((bundle / "bundle.json").read_text())
    assert info["parity"]["compared"] == "probabilities"
    assert 0 <= info["parity"]["max_abs_diff"] <= info["parity"]["tolerance"] == 1e-4
    with tarfile.open(bundle.with_name("forest-edge.tar.gz")) as tar:
        packed = sorted(m.name for m in tar.getmembers() if m.isfile())
    assert packed == sorted(f"forest-edge/{n}" for n in names if n != "deploy-advisor.lock.json")


def test_parity_is_reported_and_quantisation_of_trees_is_declined(
    forest_path: Path, tmp_path: Path
) -> None:
    done = scaffold_edge(forest_path, tmp_path / "b", "--quantize")

    assert done.returncode == 0, done.stderr
    assert "parity: max abs difference" in done.stderr
    assert "within tolerance 0.0001" in done.stderr
    assert "quantisation: nothing to quantise" in done.stderr
    assert "TreeEnsembleClassifier" in done.stderr


def test_quantisation_shrinks_a_network_and_reports_its_drift(tmp_path: Path) -> None:
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, labels = breast_cancer()
    model = make_pipeline(StandardScaler(), MLPClassifier((64, 64), max_iter=50, random_state=0))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: 50 iterations are enough here
        model.fit(features, labels)
    joblib.dump(model, tmp_path / "mlp.joblib")

    done = scaffold_edge(tmp_path / "mlp.joblib", tmp_path / "b", "--quantize", "--accept-drift")

    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stderr.splitlines() if x.startswith("quantisation:"))
    before, after = (float(v.split()[0]) for v in line.split(": ")[1].split(" -> "))
    assert after < before / 2
    assert "max abs difference" in line
    assert json.loads((tmp_path / "b" / "bundle.json").read_text())["model"]["quantized"] is True


def test_drift_over_the_tolerance_is_refused_unless_accepted(tmp_path: Path) -> None:
    from sklearn.linear_model import LinearRegression

    features, _ = breast_cancer()
    target = features @ np.linspace(100, 3000, features.shape[1]) + 1e6  # float32 loses digits
    joblib.dump(LinearRegression().fit(features, target), tmp_path / "lr.joblib")

    refused = scaffold_edge(tmp_path / "lr.joblib", tmp_path / "refused")

    assert refused.returncode == 2
    message = refused.stderr.strip().splitlines()[-1]
    assert message.startswith("Error: ONNX predictions differ from the original by up to ")
    assert message.endswith("over the tolerance 0.0001; pass --accept-drift to bundle it anyway")
    assert not (tmp_path / "refused").exists()

    accepted = scaffold_edge(tmp_path / "lr.joblib", tmp_path / "accepted", "--accept-drift")
    assert accepted.returncode == 0, accepted.stderr
    parity = json.loads((tmp_path / "accepted" / "bundle.json").read_text())["parity"]
    assert parity["max_abs_diff"] > 1e-4 and parity["accepted_drift"] is True


def test_size_budget_refuses_a_model_over_it(forest_path: Path, tmp_path: Path) -> None:
    done = scaffold_edge(forest_path, tmp_path / "b", "--max-size-mb", "0.01")

    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: model.onnx is ")
    assert "over --max-size-mb 0.01; try --quantize" in last
    assert not (tmp_path / "b").exists()


def test_an_onnx_model_is_taken_as_is(bundle: Path, tmp_path: Path) -> None:
    given = bundle / "model.onnx"

    done = scaffold_edge(given, tmp_path / "b")

    assert done.returncode == 0, done.stderr
    assert (tmp_path / "b" / "model.onnx").read_bytes() == given.read_bytes()
    assert "parity: not checked, the model was given as ONNX" in done.stderr
