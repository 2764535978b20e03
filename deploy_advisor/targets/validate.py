"""`deploy-advisor validate DIR`: run every check that applies to the files of a scaffold."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from deploy_advisor.errors import InputError
from deploy_advisor.lockfile import LOCK_NAME, read_lock
from deploy_advisor.targets.base import Finding
from deploy_advisor.targets.bom_check import check_bom
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
from deploy_advisor.targets.writer import sha256

__all__ = ["ValidationReport", "validate_dir"]


@dataclass(frozen=True)
class ValidationReport:
    """All findings for one directory; it passes when none is an error."""

    directory: Path
    findings: list[Finding]
    checks: list[str] = field(default_factory=list)
    """The checks that ran, in order (`lock`, `hadolint`, ..., `bom`)."""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


def _lock_findings(directory: Path) -> list[Finding]:
    lock = read_lock(directory)
    if lock is None or not lock.model_fields_set:
        return [Finding("warning", "lock", "no deploy-advisor.lock.json; not written by scaffold?")]
    findings = []
    for rel, digest in lock.files.items():
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
        "deploy/nginx", "deploy/cloud-init.yaml", "edge_runtime", "bundle.json",
    ]  # fmt: skip
    return [mark for mark in marks if (directory / mark).exists()]


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
    checks = ["lock"]
    checkov_files = []
    if (directory / "Dockerfile").is_file():
        findings += run_hadolint(directory / "Dockerfile", "Dockerfile")
        checks.append("hadolint")
        checkov_files.append("Dockerfile")
    if (directory / "compose.yaml").is_file():
        findings += check_compose(directory / "compose.yaml")
        checks.append("compose")
    if (directory / "k8s").is_dir():
        findings += check_kubernetes(directory / "k8s")
        checks.append("kubernetes")
        checkov_files += [
            f"k8s/{p.name}" for p in sorted((directory / "k8s").glob("*.yaml"))
            if p.name != "kustomization.yaml"
        ]  # fmt: skip
    if (directory / "Procfile").is_file():
        findings += check_procfile(directory / "Procfile")
        checks.append("procfile")
    if (directory / "app.json").is_file():
        findings += check_app_json(directory / "app.json")
        checks.append("app.json")
    if (directory / ".python-version").is_file():
        findings += check_python_version(directory / ".python-version")
        checks.append("python-version")
    sites = sorted((directory / "deploy" / "nginx").glob("*.conf"))
    for site in sites:
        findings += check_nginx(site, f"deploy/nginx/{site.name}")
    checks += ["nginx"] if sites else []
    if (directory / "deploy" / "cloud-init.yaml").is_file():
        findings += check_cloud_init(
            directory / "deploy" / "cloud-init.yaml", "deploy/cloud-init.yaml"
        )
        checks.append("cloud-init")
    scripts = sorted(directory.glob("deploy/*.sh"))
    for script in scripts:
        findings += check_shell(script, f"deploy/{script.name}")
    checks += ["shellcheck"] if scripts else []
    units = sorted(directory.glob("deploy/systemd/*.service")) + sorted(
        directory.glob("deploy/systemd/*.timer")
    )
    findings += check_systemd_units(directory, units)
    checks += ["systemd"] if units else []
    if checkov_files:
        findings += run_checkov(directory, checkov_files)
        checks.append("checkov")
    lock = read_lock(directory)
    target = lock.target if lock else None
    if target in target_names():
        findings += get_target(target).validate(directory)
        checks.append(f"{target}")
    if lock is not None and lock.bom is not None:
        findings += check_bom(directory, lock)
        checks.append("bom")
    return ValidationReport(directory, findings, checks)
