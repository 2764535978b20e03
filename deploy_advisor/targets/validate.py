"""`deploy-advisor validate DIR`: run every check that applies to the files of a scaffold."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deploy_advisor.errors import InputError
from deploy_advisor.targets.base import Finding
from deploy_advisor.targets.cloud_checks import (
    check_azure_ml,
    check_cloud_run,
    check_transform_job,
    run_cfn_lint,
)
from deploy_advisor.targets.registry import get_target, target_names
from deploy_advisor.targets.shapes import (
    check_app_json,
    check_cloud_init,
    check_compose,
    check_procfile,
    check_python_version,
    check_shell,
)
from deploy_advisor.targets.systemd import check_systemd_units
from deploy_advisor.targets.tools import check_kubernetes, check_nginx, run_checkov, run_hadolint
from deploy_advisor.targets.writer import LOCK_NAME, read_lock, sha256

__all__ = ["ValidationReport", "validate_dir"]


@dataclass(frozen=True)
class ValidationReport:
    """All findings for one directory; it passes when none is an error."""

    directory: Path
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


def _lock_findings(directory: Path) -> list[Finding]:
    lock = read_lock(directory)
    if not lock:
        return [Finding("warning", "lock", "no deploy-advisor.lock.json; not written by scaffold?")]
    findings = []
    for rel, digest in (lock.get("files") or {}).items():
        path = directory / rel
        if not path.is_file():
            findings.append(Finding("error", "lock", "listed in the lock but missing", rel))
        elif sha256(path.read_bytes()) != digest:
            findings.append(Finding("info", "lock", "edited since scaffold wrote it", rel))
    return findings


def _target_files(directory: Path) -> list[str]:
    """The files and folders in `directory` that some target writes (what makes it a scaffold)."""
    marks = [
        "Dockerfile", "compose.yaml", "k8s", "Procfile", "app.json", "deploy/systemd",
        "deploy/nginx", "deploy/cloud-init.yaml", "edge_runtime", "bundle.json", "sagemaker",
        "cloud-run", "azure-ml",
    ]  # fmt: skip
    return [mark for mark in marks if (directory / mark).exists()]


# Azure ML files and the loader of each, by name.
_AZURE_KINDS = {
    "endpoint.yml": "online-endpoint", "deployment.yml": "online-deployment",
    "batch-endpoint.yml": "batch-endpoint", "batch-deployment.yml": "batch-deployment",
}  # fmt: skip


def _cloud_findings(directory: Path) -> list[Finding]:
    """The vendors' checks of the managed cloud files present in `directory`."""
    findings = []
    for template in sorted((directory / "sagemaker").glob("*.yaml")):
        findings += run_cfn_lint(template, f"sagemaker/{template.name}")
    if (directory / "sagemaker" / "transform-job.json").is_file():
        findings += check_transform_job(directory, "sagemaker/transform-job.json")
    for manifest in sorted((directory / "cloud-run").glob("*.yaml")):
        findings += check_cloud_run(manifest, f"cloud-run/{manifest.name}")
    azure = {
        f"azure-ml/{name}": kind for name, kind in _AZURE_KINDS.items()
        if (directory / "azure-ml" / name).is_file()
    }  # fmt: skip
    if azure:
        findings += check_azure_ml(directory, azure)
    return findings


def validate_dir(*, directory: Path) -> ValidationReport:
    """Lint and schema-check every target file found in `directory`."""
    if not directory.is_dir():
        raise InputError(f"{str(directory)!r} is not a directory; pass a scaffold directory")
    if not (directory / LOCK_NAME).is_file() and not _target_files(directory):
        raise InputError(
            f"{str(directory)!r} is not a scaffold: it has no {LOCK_NAME} and no target files "
            "(Dockerfile, k8s/, Procfile, deploy/, edge_runtime/); pass a directory written by "
            "`deploy-advisor scaffold`"
        )
    findings = _lock_findings(directory)
    checkov_files = []
    if (directory / "Dockerfile").is_file():
        findings += run_hadolint(directory / "Dockerfile", "Dockerfile")
        checkov_files.append("Dockerfile")
    if (directory / "compose.yaml").is_file():
        findings += check_compose(directory / "compose.yaml")
    if (directory / "k8s").is_dir():
        findings += check_kubernetes(directory / "k8s")
        checkov_files += [
            f"k8s/{p.name}" for p in sorted((directory / "k8s").glob("*.yaml"))
            if p.name != "kustomization.yaml"
        ]  # fmt: skip
    if (directory / "Procfile").is_file():
        findings += check_procfile(directory / "Procfile")
    if (directory / "app.json").is_file():
        findings += check_app_json(directory / "app.json")
    if (directory / ".python-version").is_file():
        findings += check_python_version(directory / ".python-version")
    for site in sorted((directory / "deploy" / "nginx").glob("*.conf")):
        findings += check_nginx(site, f"deploy/nginx/{site.name}")
    if (directory / "deploy" / "cloud-init.yaml").is_file():
        findings += check_cloud_init(
            directory / "deploy" / "cloud-init.yaml", "deploy/cloud-init.yaml"
        )
    for script in sorted(directory.glob("deploy/*.sh")):
        findings += check_shell(script, f"deploy/{script.name}")
    units = sorted(directory.glob("deploy/systemd/*.service")) + sorted(
        directory.glob("deploy/systemd/*.timer")
    )
    findings += check_systemd_units(directory, units)
    findings += _cloud_findings(directory)
    if checkov_files:
        findings += run_checkov(directory, checkov_files)
    target = read_lock(directory).get("target")
    if target in target_names():
        findings += get_target(target).validate(directory)
    return ValidationReport(directory, findings)
