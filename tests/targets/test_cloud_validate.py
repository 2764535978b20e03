"""`validate` on the managed cloud scaffolds: cfn-lint, the azure-ai-ml loaders, Cloud Run keys."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.targets.conftest import run_cli

CASES = {
    "sagemaker": {},
    "sagemaker-serverless": {"plan": "sagemaker-serverless-2048mb"},
    "cloud-run": {},
    "azure-ml": {},
    "sagemaker-batch": {"mode": "batch"},
    "azure-ml-batch": {"mode": "batch"},
}


def _scaffold(case: str, scaffolded: Callable[..., Path]) -> Path:
    return scaffolded(case.removesuffix("-serverless").removesuffix("-batch"), **CASES[case])


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_managed_scaffold_validates_with_zero_errors(
    case: str, scaffolded: Callable[..., Path], cloud_validators: None
) -> None:
    done = run_cli("validate", str(_scaffold(case, scaffolded)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in done.stdout.split()
    assert "not run" not in done.stdout, "every checker must really run"


def _broken(case: str, scaffolded: Callable[..., Path], tmp_path: Path, rel: str,
            old: str, new: str) -> Path:  # fmt: skip
    out = tmp_path / "copy"
    shutil.copytree(_scaffold(case, scaffolded), out)
    text = (out / rel).read_text()
    assert old in text
    (out / rel).write_text(text.replace(old, new))
    return out


def test_cfn_lint_catches_a_wrong_property_and_type(
    scaffolded: Callable[..., Path], tmp_path: Path, cloud_validators: None
) -> None:
    out = _broken(
        "sagemaker-serverless", scaffolded, tmp_path, "sagemaker/endpoint.yaml",
        "MaxConcurrency: 20", "MaxConcurrency: lots\n            MaxMemory: 1",
    )  # fmt: skip
    done = run_cli("validate", str(out))
    assert done.returncode == 1
    assert "cfn-lint E3012" in done.stdout and "'lots' is not of type 'integer'" in done.stdout
    assert "'MaxMemory' was unexpected" in done.stdout


def test_azure_loader_catches_a_bad_count_and_an_unknown_setting(
    scaffolded: Callable[..., Path], tmp_path: Path, cloud_validators: None
) -> None:
    out = _broken(
        "azure-ml", scaffolded, tmp_path, "azure-ml/deployment.yml",
        "instance_count: 1", "instance_count: many\nmax_replicas: 3",
    )  # fmt: skip
    done = run_cli("validate", str(out))
    assert done.returncode == 1
    line = next(ln for ln in done.stdout.splitlines() if "azure-ai-ml" in ln)
    assert line.startswith("error") and "azure-ml/deployment.yml" in line
    assert "Not a valid integer" in line and "max_replicas" in line


def test_cloud_run_check_catches_an_unknown_key(
    scaffolded: Callable[..., Path], tmp_path: Path, cloud_validators: None
) -> None:
    out = _broken(
        "cloud-run", scaffolded, tmp_path, "cloud-run/service.yaml",
        "containerConcurrency:", "maxConcurrency: 4\n      containerConcurrency:",
    )  # fmt: skip
    done = run_cli("validate", str(out))
    assert done.returncode == 1
    assert "cloud-run-schema" in done.stdout and "'maxConcurrency' was unexpected" in done.stdout


def test_cloud_run_check_catches_what_cloud_run_refuses(
    scaffolded: Callable[..., Path], tmp_path: Path, cloud_validators: None
) -> None:
    out = _broken(
        "cloud-run", scaffolded, tmp_path, "cloud-run/service.yaml",
        "          env:\n",
        "          env:\n            - name: PORT\n              value: '9000'\n",
    )  # fmt: skip
    text = (out / "cloud-run/service.yaml").read_text().replace("memory: 2Gi", "memory: 16Gi")
    (out / "cloud-run/service.yaml").write_text(text)
    done = run_cli("validate", str(out))
    assert done.returncode == 1
    assert "env PORT is set by Cloud Run itself" in done.stdout
    assert "memory 16Gi needs more than 1 CPU" in done.stdout


def test_botocore_model_catches_a_bad_transform_request(
    scaffolded: Callable[..., Path], tmp_path: Path, cloud_validators: None
) -> None:
    out = _broken(
        "sagemaker-batch", scaffolded, tmp_path, "sagemaker/transform-job.json",
        '"BatchStrategy": "MultiRecord"', '"BatchStrategy": "Multi", "MaxPayload": 6',
    )  # fmt: skip
    done = run_cli("validate", str(out))
    assert done.returncode == 1
    line = next(ln for ln in done.stdout.splitlines() if "botocore" in ln)
    assert "sagemaker/transform-job.json" in line and "MaxPayload" in line
    request = out / "sagemaker" / "transform-job.json"
    request.write_text(request.read_text().replace(', "MaxPayload": 6', ""))
    done = run_cli("validate", str(out))
    assert "BatchStrategy: 'Multi' is not one of MultiRecord, SingleRecord" in done.stdout


def test_azure_batch_loader_catches_a_bad_setting(
    scaffolded: Callable[..., Path], tmp_path: Path, cloud_validators: None
) -> None:
    out = _broken(
        "azure-ml-batch", scaffolded, tmp_path, "azure-ml/batch-deployment.yml",
        "mini_batch_size: 1", "mini_batch_size: one",
    )  # fmt: skip
    done = run_cli("validate", str(out))
    assert done.returncode == 1
    line = next(ln for ln in done.stdout.splitlines() if "azure-ai-ml" in ln)
    assert "azure-ml/batch-deployment.yml" in line and "mini_batch_size" in line
