"""`deploy-advisor validate DIR`: run every check that applies to the files of a scaffold."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from deploy_advisor.errors import InputError
from deploy_advisor.lockfile import LOCK_NAME, read_lock
from deploy_advisor.targets.base import Finding
from deploy_advisor.targets.bom_check import check_bom
from deploy_advisor.targets.check_runs import CheckRun, CheckRuns
from deploy_advisor.targets.cloud_checks import (
    check_azure_ml,
    check_cloud_run,
    check_transform_job,
    run_cfn_lint,
)
from deploy_advisor.targets.gpu import check_gpu
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
from deploy_advisor.targets.weights import check_weights
from deploy_advisor.targets.writer import sha256

__all__ = ["ValidationReport", "validate_dir"]


@dataclass(frozen=True)
class ValidationReport:
    """All findings for one directory; it passes when none is an error."""

    directory: Path
    findings: list[Finding]
    checks: list[CheckRun] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, object]:
        """The `validate --json` document."""
        return {
            "directory": str(self.directory), "ok": self.ok, "errors": len(self.errors),
            "findings": [
                {"severity": f.severity, "check": f.check, "message": f.message, "file": f.file}
                for f in self.findings
            ],
            "checks": [check.to_dict() for check in self.checks],
        }  # fmt: skip


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
        "deploy/nginx", "deploy/cloud-init.yaml", "edge_runtime", "bundle.json", "sagemaker",
        "cloud-run", "azure-ml",
    ]  # fmt: skip
    return [mark for mark in marks if (directory / mark).exists()]


# Azure ML files and the loader of each, by name.
_AZURE_KINDS = {
    "endpoint.yml": "online-endpoint", "deployment.yml": "online-deployment",
    "batch-endpoint.yml": "batch-endpoint", "batch-deployment.yml": "batch-deployment",
}  # fmt: skip


def _cloud_findings(directory: Path, ran: CheckRuns) -> list[Finding]:
    """The vendors' checks of the managed cloud files present in `directory`, each logged."""
    findings = []
    for template in sorted((directory / "sagemaker").glob("*.yaml")):
        name = f"sagemaker/{template.name}"
        findings += ran.add("cloudformation", "cfn-lint", [name], run_cfn_lint(template, name))
    if (directory / "sagemaker" / "transform-job.json").is_file():
        name = "sagemaker/transform-job.json"
        findings += ran.add(
            "batch transform", "botocore", [name], check_transform_job(directory, name)
        )
    for manifest in sorted((directory / "cloud-run").glob("*.yaml")):
        name = f"cloud-run/{manifest.name}"
        findings += ran.add("cloud run", "jsonschema", [name], check_cloud_run(manifest, name))
    azure = {
        f"azure-ml/{name}": kind for name, kind in _AZURE_KINDS.items()
        if (directory / "azure-ml" / name).is_file()
    }  # fmt: skip
    if azure:
        findings += ran.add(
            "azure ml", "azure-ai-ml", list(azure), check_azure_ml(directory, azure)
        )
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
    ran = CheckRuns()
    findings = ran.add("lock", "deploy-advisor", [LOCK_NAME], _lock_findings(directory))
    checkov_files = []
    if (directory / "Dockerfile").is_file():
        findings += ran.add(
            "hadolint", "hadolint", ["Dockerfile"],
            run_hadolint(directory / "Dockerfile", "Dockerfile"),
        )  # fmt: skip
        checkov_files.append("Dockerfile")
    if (directory / "compose.yaml").is_file():
        findings += ran.add(
            "compose", "deploy-advisor", ["compose.yaml"], check_compose(directory / "compose.yaml")
        )
    if (directory / "k8s").is_dir():
        manifests = [f"k8s/{p.name}" for p in sorted((directory / "k8s").glob("*.yaml"))]
        findings += ran.add(
            "kubernetes-schema", "kubernetes-validate", manifests,
            check_kubernetes(directory / "k8s"),
        )  # fmt: skip
        checkov_files += [f for f in manifests if f != "k8s/kustomization.yaml"]
    if (directory / "Procfile").is_file():
        findings += ran.add(
            "procfile", "deploy-advisor", ["Procfile"], check_procfile(directory / "Procfile")
        )
    if (directory / "app.json").is_file():
        findings += ran.add(
            "app.json", "deploy-advisor", ["app.json"], check_app_json(directory / "app.json")
        )
    if (directory / ".python-version").is_file():
        findings += ran.add(
            "python-version", "deploy-advisor", [".python-version"],
            check_python_version(directory / ".python-version"),
        )  # fmt: skip
    for site in sorted((directory / "deploy" / "nginx").glob("*.conf")):
        rel = f"deploy/nginx/{site.name}"
        findings += ran.add("nginx -t", "nginx", [rel], check_nginx(site, rel))
    if (directory / "deploy" / "cloud-init.yaml").is_file():
        rel = "deploy/cloud-init.yaml"
        findings += ran.add(
            "cloud-init", "deploy-advisor", [rel], check_cloud_init(directory / rel, rel)
        )
    for script in sorted(directory.glob("deploy/*.sh")):
        rel = f"deploy/{script.name}"
        findings += ran.add("bash -n", "bash", [rel], check_shell(script, rel))
    units = [
        unit for kind in ("service", "socket", "timer")
        for unit in sorted(directory.glob(f"deploy/systemd/*.{kind}"))
    ]  # fmt: skip
    if units:
        findings += ran.add(
            "systemd", "systemd-analyze", [str(u.relative_to(directory)) for u in units],
            check_systemd_units(directory, units),
        )  # fmt: skip
    findings += _cloud_findings(directory, ran)
    if checkov_files:
        findings += ran.add(
            "checkov", "checkov", checkov_files, run_checkov(directory, checkov_files)
        )
    lock = read_lock(directory)
    target = lock.target if lock else None
    if target in target_names():
        findings += ran.add(
            f"{target} files", "deploy-advisor", [], get_target(target).validate(directory)
        )
    if lock is not None and lock.gpu is not None:
        findings += ran.add("gpu", "deploy-advisor", [LOCK_NAME], check_gpu(directory, lock))
    if lock is not None and lock.weights is not None:
        findings += ran.add(
            "weights", "deploy-advisor", [LOCK_NAME], check_weights(directory, lock)
        )
    if lock is not None and lock.bom is not None:
        findings += ran.add("bom", "deploy-advisor", [LOCK_NAME], check_bom(directory, lock))
    return ValidationReport(directory, findings, ran.runs)
