from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from deploy_advisor.errors import InputError
from deploy_advisor.intake import ExampleModel, make_example_model


def test_example_model_files_predict_alike(example: ExampleModel) -> None:
    import joblib
    import onnxruntime as ort
    from sklearn.datasets import load_breast_cancer

    rows = load_breast_cancer().data
    forest = joblib.load(example.joblib_path)
    assert forest.n_estimators == 100 and forest.random_state == 0
    session = ort.InferenceSession(str(example.onnx_path), providers=["CPUExecutionProvider"])
    (model_input,) = session.get_inputs()
    assert model_input.type == "tensor(float)" and model_input.shape[1] == 30
    probabilities = session.run(["probabilities"], {model_input.name: rows.astype(np.float32)})[0]
    assert probabilities.shape == (569, 2)  # zipmap=False: a plain tensor, not a list of maps
    assert np.abs(probabilities - forest.predict_proba(rows)).max() < 1e-5
    assert (example.n_features, example.n_rows, example.dataset) == (30, 569, "breast_cancer")


def test_refuses_to_overwrite_without_force(example: ExampleModel) -> None:
    before = example.joblib_path.stat().st_mtime_ns
    with pytest.raises(InputError, match="already exists; pass --force"):
        make_example_model(example.joblib_path.parent)
    assert example.joblib_path.stat().st_mtime_ns == before


def test_cli_writes_both_files_then_refuses_then_forces(tmp_path: Path) -> None:
    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "deploy_advisor", "example-model", "-o", str(tmp_path)]
        return subprocess.run([*command, *extra], capture_output=True, text=True, timeout=300)

    first = run()
    assert first.returncode == 0, first.stderr
    assert first.stdout.split() == [str(tmp_path / "model.joblib"), str(tmp_path / "model.onnx")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.joblib", "model.onnx"]

    again = run()
    assert again.returncode == 2
    assert again.stderr.splitlines()[-1] == (
        f"Error: {tmp_path / 'model.joblib'} already exists; pass --force to overwrite it or "
        "choose another -o DIR"
    )
    assert run("--force").returncode == 0
