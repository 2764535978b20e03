"""Fixtures for target tests: the example model, real scaffolds, free ports, checkov on hand."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from deploy_advisor.intake.example import make_example_model
from deploy_advisor.targets.scaffold import scaffold

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def example_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example RandomForest (30 features), trained here with the installed scikit-learn."""
    return make_example_model(tmp_path_factory.mktemp("model")).joblib_path


@pytest.fixture(scope="session")
def checkov() -> str:
    """checkov from its own venv (`make checkov`) or PATH; validate must really run it."""
    own_venv = str(REPO / ".venv-checkov" / "bin" / "checkov")
    for candidate in (os.environ.get("DEPLOY_ADVISOR_CHECKOV"), own_venv):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail("checkov is not installed; run `make checkov` (bash .ci/run does)")


@pytest.fixture
def with_checkov(checkov: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DEPLOY_ADVISOR_CHECKOV", checkov)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return checkov


@pytest.fixture
def cloud_validators(with_checkov: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """cfn-lint and azure-ai-ml from their venv (`make cloud-validators`); validate runs them."""
    bin_dir = Path(os.environ.get("DEPLOY_ADVISOR_CLOUD_VENV", REPO / ".venv-cloud")) / "bin"
    cfn_lint = os.environ.get("DEPLOY_ADVISOR_CFN_LINT") or str(bin_dir / "cfn-lint")
    python = os.environ.get("DEPLOY_ADVISOR_CLOUD_PYTHON") or str(bin_dir / "python")
    for tool in (cfn_lint, python):
        if not Path(tool).is_file():
            pytest.fail(f"{tool} is missing; run `make cloud-validators`")
    monkeypatch.setenv("DEPLOY_ADVISOR_CFN_LINT", cfn_lint)
    monkeypatch.setenv("DEPLOY_ADVISOR_CLOUD_PYTHON", python)


@pytest.fixture(scope="session")
def scaffolded(
    tmp_path_factory: pytest.TempPathFactory, example_model: Path
) -> Callable[..., Path]:
    """Write a real scaffold of the example model once per (target, options)."""
    cache: dict[tuple[str, tuple[tuple[str, object], ...]], Path] = {}

    def make(target: str, **options: object) -> Path:
        key = (target, tuple(sorted(options.items())))
        if key not in cache:
            out = tmp_path_factory.mktemp(f"scaffold-{target}") / "out"
            scaffold(model=example_model, target=target, out_dir=out, **options)  # type: ignore[arg-type]
            cache[key] = out
        return cache[key]

    return make


@pytest.fixture(scope="session")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small torch.export program (4 -> 8 -> 2, any batch size) saved as net.pt2."""
    import torch

    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    batch = torch.export.Dim("batch", min=1, max=256)
    path = tmp_path_factory.mktemp("deep") / "net.pt2"
    torch.export.save(
        torch.export.export(net.eval(), (torch.randn(2, 4),), dynamic_shapes=({0: batch},)),
        path,
    )
    return Path(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command line in a subprocess: exact stdout, stderr and exit code."""
    return subprocess.run(
        [sys.executable, "-m", "deploy_advisor", *args],
        capture_output=True, text=True, check=False, env={**os.environ, **(env or {})},
    )  # fmt: skip


def edited_copy(src: Path, tmp_path: Path, file: str, edits: dict[str, str]) -> Path:
    """A copy of the scaffold `src` whose `file` has each key of `edits` replaced by its value."""
    out = tmp_path / "copy"
    shutil.copytree(src, out)
    path = out / file
    text = path.read_text()
    for old, new in edits.items():
        assert old in text, f"{old!r} is not in {file}"
        text = text.replace(old, new)
    path.write_text(text)
    return out
