"""Scaffolds of deep-learning models: CPU-only torch pins, the wheelhouse's CPU wheel, and
Heroku's preflight on a torch model (the slug limit, with numbers, and the container path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy_advisor.targets.scaffold import scaffold
from deploy_advisor.targets.wheelhouse import _cpu_torch
from tests.targets.conftest import run_cli

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    batch = torch.export.Dim("batch", min=1, max=256)
    path = tmp_path_factory.mktemp("deep") / "net.pt2"
    torch.export.save(
        torch.export.export(net.eval(), (torch.randn(2, 4),), dynamic_shapes=({0: batch},)),
        path,
    )
    return path


def test_docker_scaffold_pins_cpu_torch_without_an_index_option(
    program: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    scaffold(model=program, target="docker", out_dir=out)
    requirements = (out / "requirements.txt").read_text()
    pins = [line.split("  #")[0] for line in requirements.splitlines() if "==" in line]
    assert f"torch=={torch.__version__.split('+')[0]}" in pins
    assert "scikit-learn" not in requirements and "--extra-index-url" not in requirements
    assert "https://download.pytorch.org/whl/cpu" in requirements  # says how to get the CPU wheel
    first = (out / "samples" / "first.json").read_text()
    assert '"instances"' in first
    assert (out / "model" / "net.pt2").is_file()


def test_wheelhouse_takes_this_machines_cpu_wheel() -> None:
    if torch.version.cuda is not None:
        pytest.skip("this machine has the CUDA build of torch")  # never here: the venv is CPU
    wanted, options = _cpu_torch("numpy==2.0\ntorch==2.13.0  # cpu\n")
    if options[0] == "--extra-index-url":
        assert options[1] == "https://download.pytorch.org/whl/cpu"
    else:
        assert f"torch=={torch.__version__} " in wanted and torch.__version__.endswith("+cpu")
        assert all(o.startswith("--find-links=") for o in options)
        assert any(
            Path(o.split("=", 1)[1]).glob(f"torch-{torch.__version__}-*.whl") for o in options
        )
    assert _cpu_torch("numpy==2.0\n") == ("numpy==2.0\n", [])


def test_heroku_preflight_says_torch_will_not_fit_the_slug(program: Path, tmp_path: Path) -> None:
    done = run_cli(
        "scaffold",
        "--model",
        str(program),
        "-o",
        str(tmp_path / "h"),
        "--target",
        "heroku",
        "--strict",
    )
    assert done.returncode != 0
    assert "over Heroku's 500 MB limit" in done.stderr and "torch " in done.stderr
    assert "container:push" in done.stderr
