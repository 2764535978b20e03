"""`validate` on the managed cloud scaffolds: cfn-lint, the azure-ai-ml loaders, Cloud Run keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.targets.conftest import edited_copy, run_cli

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


# Each break: the case, the file, the edits, the checker whose error line must hold the
# expected texts (or None: the whole output must), and those texts.
BREAKS = [
    pytest.param(
        "sagemaker-serverless", "sagemaker/endpoint.yaml",
        {"MaxConcurrency: 20": "MaxConcurrency: lots\n            MaxMemory: 1"},
        None,
        ["cfn-lint E3012", "'lots' is not of type 'integer'", "'MaxMemory' was unexpected"],
        id="cfn-lint-wrong-property-and-type",
    ),
    pytest.param(
        "azure-ml", "azure-ml/deployment.yml",
        {"instance_count: 1": "instance_count: many\nmax_replicas: 3"},
        "azure-ai-ml",
        ["azure-ml/deployment.yml", "Not a valid integer", "max_replicas"],
        id="azure-loader-bad-count-and-unknown-setting",
    ),
    pytest.param(
        "cloud-run", "cloud-run/service.yaml",
        {"containerConcurrency:": "maxConcurrency: 4\n      containerConcurrency:"},
        None,
        ["cloud-run-schema", "'maxConcurrency' was unexpected"],
        id="cloud-run-unknown-key",
    ),
    pytest.param(
        "cloud-run", "cloud-run/service.yaml",
        {
            "          env:\n": (
                "          env:\n            - name: PORT\n              value: '9000'\n"
            ),
            "memory: 2Gi": "memory: 16Gi",
        },
        None,
        ["env PORT is set by Cloud Run itself", "memory 16Gi needs more than 1 CPU"],
        id="cloud-run-what-cloud-run-refuses",
    ),
    pytest.param(
        "sagemaker-batch", "sagemaker/transform-job.json",
        {'"BatchStrategy": "MultiRecord"': '"BatchStrategy": "Multi", "MaxPayload": 6'},
        "botocore",
        ["sagemaker/transform-job.json", "MaxPayload"],
        id="botocore-bad-transform-request",
    ),
    pytest.param(
        "sagemaker-batch", "sagemaker/transform-job.json",
        {'"BatchStrategy": "MultiRecord"': '"BatchStrategy": "Multi"'},
        None,
        ["BatchStrategy: 'Multi' is not one of MultiRecord, SingleRecord"],
        id="botocore-bad-batch-strategy",
    ),
    pytest.param(
        "azure-ml-batch", "azure-ml/batch-deployment.yml",
        {"mini_batch_size: 1": "mini_batch_size: one"},
        "azure-ai-ml",
        ["azure-ml/batch-deployment.yml", "mini_batch_size"],
        id="azure-batch-loader-bad-setting",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("case", "file", "edits", "checker", "expected"), BREAKS)
def test_a_broken_managed_file_is_an_error(
    case: str,
    file: str,
    edits: dict[str, str],
    checker: str | None,
    expected: list[str],
    scaffolded: Callable[..., Path],
    tmp_path: Path,
    cloud_validators: None,
) -> None:
    out = edited_copy(_scaffold(case, scaffolded), tmp_path, file, edits)
    done = run_cli("validate", str(out))
    assert done.returncode == 1
    found = done.stdout
    if checker is not None:
        found = next(ln for ln in done.stdout.splitlines() if checker in ln)
        assert found.startswith("error"), found
    for text in expected:
        assert text in found, done.stdout
