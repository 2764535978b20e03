"""Issue 17 section 3: `scaffold --gpu` writes a CUDA image, GPU limits and a GPU plan, which
`validate` checks with the real tools; targets without a GPU refuse it. No GPU exists here:
nothing runs CUDA, and the runtime's MODEL_DEVICE=cuda is shown to refuse to start."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy_advisor.lockfile import LOCK_NAME
from deploy_advisor.targets.choice import ScaffoldFlags, choose, write_choice
from deploy_advisor.targets.scaffold import scaffold
from deploy_advisor.targets.validate import validate_dir
from tests.targets.conftest import run_cli

CUDA_IMAGE = "nvidia/cuda:13.0.0-runtime-ubuntu24.04"


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _lock(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / LOCK_NAME).read_text()))


def _check_image(out: Path) -> None:
    """The CUDA base as the build argument's default, CUDA torch, the model on cuda."""
    dockerfile = (out / "Dockerfile").read_text()
    assert f"ARG BASE_IMAGE={CUDA_IMAGE}\n" in dockerfile
    assert "apt-get install -y --no-install-recommends python3 python3-venv" in dockerfile
    assert "ENV MODEL_DEVICE=cuda" in dockerfile and "WORKERS=1 " in dockerfile
    requirements = (out / "requirements.txt").read_text()
    pins = [line.split("  #")[0] for line in requirements.splitlines() if "==" in line]
    assert "torch==2.13.0" in pins
    assert "whl/cpu" not in requirements and "CUDA 13.0 build" in requirements
    assert f"builds FROM `{CUDA_IMAGE}`" in (out / "README.md").read_text()


def _breaks_the_gpu_check(out: Path, rel: str, old: str, new: str) -> None:
    """A hand edit that drops the GPU from `rel` fails `validate`'s gpu check there, only."""
    path = out / rel
    path.write_text(path.read_text().replace(old, new))
    broken = validate_dir(directory=out)
    assert [(f.check, f.file) for f in broken.errors] == [("gpu", rel)]


def test_docker_gpu_scaffold_reserves_the_gpu_and_validates(
    program: Path, tmp_path: Path, with_checkov: str
) -> None:
    out = tmp_path / "d"
    scaffold(model=program, target="docker", out_dir=out, gpu=True)
    _check_image(out)
    service = _yaml(out / "compose.yaml")["services"]["model"]
    devices = service["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert service["build"]["args"]["BASE_IMAGE"] == f"${{BASE_IMAGE:-{CUDA_IMAGE}}}"
    lock = _lock(out)
    assert lock["plan"] == "linode-gpu-rtx4000ada-small"  # the cheapest docker plan with a GPU
    assert lock["gpu"] == {
        "plan": "linode-gpu-rtx4000ada-small", "gpu": "1x RTX 4000 Ada", "count": 1,
        "torch": "2.13.0", "cuda": "13.0", "base_image": CUDA_IMAGE, "python": "3.12",
    }  # fmt: skip

    report = validate_dir(directory=out)
    assert report.ok, [f.line() for f in report.errors]
    ran = {check.name for check in report.checks}
    assert {"hadolint", "checkov", "compose", "gpu"} <= ran
    assert not [f for f in report.findings if f.severity == "warning"], report.findings
    assert "the files ask for 1x RTX 4000 Ada with CUDA 13.0" in [
        f.message for f in report.findings if f.check == "gpu"
    ]

    _breaks_the_gpu_check(out, "compose.yaml", "driver: nvidia", "driver: none")


def test_kubernetes_gpu_scaffold_asks_for_a_gpu_node_and_validates(
    program: Path, tmp_path: Path, with_checkov: str
) -> None:
    out = tmp_path / "k"
    scaffold(model=program, target="kubernetes", out_dir=out, gpu=True)
    _check_image(out)
    pod = _yaml(out / "k8s" / "deployment.yaml")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert pod["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert _lock(out)["plan"] == "lke-gpu-rtx4000ada-small"

    report = validate_dir(directory=out)
    assert report.ok, [f.line() for f in report.errors]
    assert {"kubernetes-schema", "checkov", "gpu"} <= {check.name for check in report.checks}

    _breaks_the_gpu_check(out, "k8s/deployment.yaml", "nvidia.com/gpu.present", "gpu")


def test_gpu_from_a_spec_prices_a_gpu_plan_and_the_bom_matches(
    program: Path, tmp_path: Path, with_checkov: str
) -> None:
    spec = tmp_path / "deploy-advisor.yaml"
    spec.write_text(yaml.safe_dump({
        "traffic": {"requests_per_day": 100_000, "peak_rps": 4}, "latency": {"p95_ms": 300},
    }))  # fmt: skip
    flags = ScaffoldFlags(gpu=True)
    choice = choose(target="kubernetes", mode=None, spec=spec, flags=flags, model=program)
    assert choice.bom is not None and choice.bom.gpu == "1x RTX 4000 Ada"
    assert choice.plan == choice.bom.plan == "lke-gpu-rtx4000ada-small"
    out = tmp_path / "out"
    write_choice(choice, model=program, out_dir=out, flags=flags)
    lock = _lock(out)
    assert lock["bom"]["gpu"] == lock["gpu"]["gpu"] and lock["bom"]["plan"] == lock["plan"]
    report = validate_dir(directory=out)
    assert report.ok, [f.line() for f in report.errors]
    assert {"bom", "gpu"} <= {check.name for check in report.checks}


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("heroku", "Heroku dynos have no GPU"),
        ("edge", "an edge bundle runs on the users' devices, not on a server's GPU"),
        ("cloud-run", "a serverless Cloud Run service is priced and written without a GPU"),
    ],
)
def test_a_target_without_a_gpu_refuses_it_in_one_line(
    program: Path, tmp_path: Path, target: str, why: str
) -> None:
    done = run_cli(
        "scaffold", "--model", str(program), "-o", str(tmp_path / "o"), "--target", target, "--gpu"
    )
    assert done.returncode == 2
    assert done.stderr == (
        f"Error: --gpu does not apply to --target {target}: {why}; drop --gpu, or pass "
        "--target docker or kubernetes\n"
    )
    assert not (tmp_path / "o").exists()


def test_gpu_refuses_a_cpu_plan_and_a_cpu_model(
    program: Path, example_model: Path, tmp_path: Path
) -> None:
    base = ["scaffold", "-o", str(tmp_path / "o"), "--target", "docker", "--gpu"]
    cpu_plan = run_cli(*base, "--model", str(program), "--plan", "linode-2gb")
    assert cpu_plan.returncode == 2
    assert cpu_plan.stderr.startswith(
        "Error: --gpu: plan 'linode-2gb' has no GPU; pass --plan with one of "
        "linode-gpu-rtx4000ada-small, "
    )
    forest = run_cli(*base, "--model", str(example_model))
    assert forest.returncode == 2
    error = forest.stderr.splitlines()[-1]  # after the note naming the plan
    assert error == (
        "Error: --gpu: model.joblib is a joblib model, which runs on the CPU; drop --gpu (a GPU "
        "serves PyTorch, transformers and Keras models)"
    )


def test_model_device_cuda_refuses_to_load_without_a_gpu(
    program: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deploy_advisor.runtime.loader import load_model
    from deploy_advisor.runtime.model import ModelLoadError

    assert load_model(program).deep is not None
    assert load_model(program).deep.details["device"] == "cpu"  # type: ignore[union-attr]
    monkeypatch.setenv("MODEL_DEVICE", "cuda")
    with pytest.raises(ModelLoadError, match=r"MODEL_DEVICE=cuda but torch .* sees no GPU"):
        load_model(program)
    monkeypatch.setenv("MODEL_DEVICE", "auto")  # the GPU when there is one: here the CPU
    deep = load_model(program).deep
    assert deep is not None and deep.details["device"] == "cpu"


def test_gpu_check_says_there_is_no_gpu_here(tmp_path: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("nvidia-smi"):
        pytest.skip("a GPU machine runs benchmarks/gpu_check.sh for real, not as a test")
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.sh"
    done = subprocess.run(
        ["bash", str(script), str(tmp_path / "out")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 4
    assert done.stderr == (
        "gpu_check: no NVIDIA GPU here (nvidia-smi is not installed); run it on a machine with an "
        "NVIDIA GPU, its driver and the NVIDIA Container Toolkit\n"
    )
    assert not (tmp_path / "out").exists()
