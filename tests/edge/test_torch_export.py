"""`scaffold --target edge` of a PyTorch program: ONNX export, parity, the bundle's runtime on
N-D input, and one-line refusals of what the exporter cannot take."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from .conftest import scaffold_edge, serving


class Tiny(torch.nn.Module):  # type: ignore[misc]
    """Conv1d over 2 channels of 8 steps, then Linear to 3 outputs."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv1d(2, 4, 3)
        self.linear = torch.nn.Linear(4 * 6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(torch.relu(self.conv(x)).flatten(1))


class Cholesky(torch.nn.Module):  # type: ignore[misc]
    """An op the ONNX exporter has no conversion for."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.linalg.cholesky(x @ x.transpose(-1, -2) + torch.eye(4))


def _program(module: torch.nn.Module, example: torch.Tensor, path: Path) -> Path:
    batch = {0: torch.export.Dim("batch")}
    torch.export.save(torch.export.export(module.eval(), (example,), dynamic_shapes=(batch,)), path)
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Tiny, Path]:
    torch.manual_seed(0)
    model = Tiny().eval()
    path = tmp_path_factory.mktemp("torch") / "tiny.pt2"
    return model, _program(model, torch.randn(2, 2, 8), path)


def test_a_torch_program_becomes_a_bundle_that_predicts_like_torch(
    tiny: tuple[Tiny, Path], tmp_path: Path
) -> None:
    model, path = tiny
    done = scaffold_edge(path, tmp_path / "tiny-edge")

    assert done.returncode == 0, done.stderr
    assert "parity: max abs difference" in done.stderr
    assert "in outputs on 4 sample rows, within tolerance 0.0001" in done.stderr
    bundle = tmp_path / "tiny-edge"
    rows = np.random.default_rng(1).normal(size=(3, 2, 8)).astype(np.float32)
    answered = subprocess.run(
        [sys.executable, "-m", "edge_runtime", "predict"],
        input=json.dumps({"instances": rows.tolist()}), capture_output=True, text=True,
        cwd=bundle, timeout=120,
    )  # fmt: skip
    assert answered.returncode == 0, answered.stderr
    got = np.array([json.loads(line)["output_0"] for line in answered.stdout.splitlines()])
    with torch.inference_mode():
        expected = model(torch.from_numpy(rows)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-4)
    sample = json.loads((bundle / "sample.json").read_text())
    assert np.asarray(sample["instances"]).shape == (1, 2, 8)
    with serving(bundle) as url:
        request = urllib.request.Request(
            f"{url}/predict", data=json.dumps(sample).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            served = json.loads(response.read())["predictions"][0]["output_0"]
    with torch.inference_mode():
        expected_one = model(torch.tensor(sample["instances"], dtype=torch.float32)).numpy()
    np.testing.assert_allclose([served], expected_one, atol=1e-4)


def test_an_op_the_exporter_cannot_convert_is_one_line(tmp_path: Path) -> None:
    path = _program(Cholesky(), torch.randn(2, 4, 4), tmp_path / "chol.pt2")
    done = scaffold_edge(path, tmp_path / "chol-edge")

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        "Error: chol.pt2 (PyTorch program) cannot be exported to ONNX (UnsupportedOperatorError: "
        "Exporting the operator 'aten::linalg_cholesky' to ONNX opset version 20 is not "
        "supported); serve it with --target docker"
    )
    assert not (tmp_path / "chol-edge").exists()


def _torchscript(model: Tiny, tmp_path: Path) -> Path:
    path = tmp_path / "tiny.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript is deprecated
        torch.jit.trace(model, torch.randn(2, 2, 8)).save(str(path))
    return path


def _transformers_directory(model: Tiny, tmp_path: Path) -> Path:
    directory = tmp_path / "bert"
    directory.mkdir()
    (directory / "config.json").write_text("{}")
    return directory


@pytest.mark.parametrize(
    ("make", "kind"),
    [(_torchscript, "TorchScript file"), (_transformers_directory, "transformers directory")],
)
def test_other_deep_formats_are_refused_with_the_fix(
    make: Callable[[Tiny, Path], Path], kind: str, tiny: tuple[Tiny, Path], tmp_path: Path
) -> None:
    path = make(tiny[0], tmp_path)
    done = scaffold_edge(path, tmp_path / "refused-edge")

    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        f"Error: {path.name} is a {kind}, which the edge export does not take yet (it takes "
        "torch.export programs, whose example input gives the shapes); save a .pt2 program or "
        "serve it with --target docker"
    )
    assert not (tmp_path / "refused-edge").exists()
