"""Offline checks of the managed cloud files: cfn-lint, the vendors' SDKs, Cloud Run keys."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import cache
from importlib import resources
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from deploy_advisor.targets.base import Finding, Severity
from deploy_advisor.targets.tools import find_tool

__all__ = [
    "check_azure_ml", "check_cloud_run", "check_transform_job", "load_with_sdks", "run_cfn_lint",
]  # fmt: skip

_CFN_LEVELS: dict[str, Severity] = {"Error": "error", "Warning": "warning"}
# Variables Cloud Run sets itself; a service that sets them is refused.
_RESERVED_ENV = {"PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION"}
# Cloud Run's memory ceiling per CPU count (GiB): more memory needs more CPUs.
_MAX_GIB_FOR_CPUS = ((1, 4), (2, 8), (4, 16), (8, 32))
_ANNOTATION_INTS = ("autoscaling.knative.dev/minScale", "autoscaling.knative.dev/maxScale")
_TIMEOUT_S = 120


def _not_run(check: str, what: str) -> Finding:
    return Finding("info", check, f"not run: {what}")


def run_cfn_lint(template: Path, rel: str) -> list[Finding]:
    """cfn-lint on a CloudFormation template: its errors, warnings and notes as findings."""
    cfn_lint = find_tool("cfn-lint", env="DEPLOY_ADVISOR_CFN_LINT")
    if cfn_lint is None:
        return [_not_run("cfn-lint", "cfn-lint is not installed (make cloud-validators, or set "
                                     "DEPLOY_ADVISOR_CFN_LINT)")]  # fmt: skip
    result = subprocess.run(
        [cfn_lint, "--format", "json", "--", str(template)],
        capture_output=True, text=True, check=False, timeout=_TIMEOUT_S,
    )  # fmt: skip
    try:
        items = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        return [Finding("error", "cfn-lint", result.stderr.strip()[-200:] or "no output", rel)]
    return [
        Finding(
            _CFN_LEVELS.get(item["Level"], "info"), f"cfn-lint {item['Rule']['Id']}",
            f"line {item['Location']['Start']['LineNumber']}: {item['Message']}", rel,
        )
        for item in items
    ]  # fmt: skip


def _cloud_python() -> str | None:
    """A Python with the vendors' SDKs: $DEPLOY_ADVISOR_CLOUD_PYTHON, else this one if it has."""
    configured = os.environ.get("DEPLOY_ADVISOR_CLOUD_PYTHON")
    if configured:
        return configured
    try:
        found = find_spec("azure.ai.ml") is not None and find_spec("botocore") is not None
    except ModuleNotFoundError:
        found = False
    return sys.executable if found else None


def load_with_sdks(directory: Path, files: dict[str, str], *, check: str) -> list[Finding]:
    """Each {relative path: kind} loaded by its vendor's SDK (`vendor_load.py`)."""
    python = _cloud_python()
    if python is None:
        why = "the azure-ai-ml and botocore SDKs are not installed (make cloud-validators, or set "
        return [_not_run(check, why + "DEPLOY_ADVISOR_CLOUD_PYTHON)")]
    script = resources.files("deploy_advisor.targets").joinpath("vendor_load.py")
    args = [f"{kind}={directory / rel}" for rel, kind in files.items()]
    result = subprocess.run(
        [python, str(script), *args], capture_output=True, text=True, check=False,
        timeout=_TIMEOUT_S,
    )  # fmt: skip
    try:
        loaded = json.loads(result.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return [Finding("error", check, f"loader failed: {result.stderr.strip()[-300:]}")]
    rels = {str(directory / rel): rel for rel in files}
    return [
        Finding("error", check, _first_lines(item["error"]), rels[item["file"]])
        for item in loaded
        if item["error"]
    ]


def check_azure_ml(directory: Path, files: dict[str, str]) -> list[Finding]:
    """Each Azure ML file loaded by the azure-ai-ml SDK's own loader."""
    return load_with_sdks(directory, files, check="azure-ai-ml")


def check_transform_job(directory: Path, rel: str) -> list[Finding]:
    """A CreateTransformJob request checked against botocore's SageMaker service model."""
    return load_with_sdks(directory, {rel: "transform-job"}, check="botocore")


def _first_lines(message: str) -> str:
    """The SDK's message without its closing advice links, on one line."""
    text = message.split("Visit this link")[0]
    return " ".join(text.split())


@cache
def _schema(name: str) -> dict[str, Any]:
    source = resources.files("deploy_advisor.targets").joinpath(f"schemas/{name}")
    return dict(json.loads(source.read_text()))


def _gib(memory: str) -> float | None:
    match = re.fullmatch(r"([0-9.]+)(Mi|Gi|M|G)", memory)
    if not match:
        return None
    scale = {"Mi": 1 / 1024, "Gi": 1.0, "M": 1e6 / 2**30, "G": 1e9 / 2**30}[match[2]]
    return float(match[1]) * scale


def _cpus(cpu: str) -> float | None:
    if cpu.endswith("m") and cpu[:-1].isdigit():
        return int(cpu[:-1]) / 1000
    try:
        return float(cpu)
    except ValueError:
        return None


def _job_rules(doc: dict[str, Any]) -> list[str]:
    """What Cloud Run refuses in a job beyond the schema: reserved variables, memory per CPU."""
    spec = doc["spec"]["template"]["spec"]["template"]["spec"]
    return [p for c in spec["containers"] for p in _container_rules(c, concurrency=1)]


def _container_rules(container: dict[str, Any], *, concurrency: int) -> list[str]:
    problems = []
    for var in container.get("env") or []:
        if var["name"] in _RESERVED_ENV:
            problems.append(f"env {var['name']} is set by Cloud Run itself; remove it")
    limits = (container.get("resources") or {}).get("limits") or {}
    cpus = _cpus(str(limits.get("cpu", "1")))
    gib = _gib(str(limits.get("memory", "512Mi")))
    if cpus is not None and gib is not None:
        allowed = max((g for c, g in _MAX_GIB_FOR_CPUS if c <= max(cpus, 1)), default=4)
        if gib > allowed:
            problems.append(f"memory {limits['memory']} needs more than {cpus:g} CPU")
        if gib < 0.125:
            problems.append(f"memory {limits['memory']} is below Cloud Run's 128Mi")
    if cpus is not None and cpus < 1 and concurrency != 1:
        problems.append(f"cpu {cpus:g} below 1 needs containerConcurrency: 1")
    for kind in ("startupProbe", "livenessProbe"):
        probe = container.get(kind) or {}
        if probe.get("timeoutSeconds", 1) > probe.get("periodSeconds", 10):
            problems.append(f"{kind}.timeoutSeconds exceeds its periodSeconds")
    return problems


def _service_rules(doc: dict[str, Any]) -> list[str]:
    """What Cloud Run refuses beyond the schema: reserved variables, CPU and memory pairs."""
    problems = []
    template = doc["spec"]["template"]
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    for key in _ANNOTATION_INTS:
        if key in annotations and not str(annotations[key]).isdigit():
            problems.append(f"{key} is {annotations[key]!r}; give a whole number in quotes")
    low, high = (str(annotations.get(k)) for k in _ANNOTATION_INTS)
    if low.isdigit() and high.isdigit() and int(low) > int(high):
        problems.append(f"minScale {low} is above maxScale {high}")
    concurrency = template["spec"].get("containerConcurrency", 80)
    for container in template["spec"]["containers"]:
        problems += _container_rules(container, concurrency=concurrency)
    return problems


def check_cloud_run(path: Path, rel: str) -> list[Finding]:
    """A Cloud Run service or job against the keys Cloud Run documents, then its own rules."""
    import jsonschema
    import yaml

    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        return [Finding("error", "cloud-run-schema", f"not valid YAML: {exc}", rel)]
    job = isinstance(doc, dict) and doc.get("kind") == "Job"
    schema = _schema("cloud_run_job.json" if job else "cloud_run_service.json")
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    findings = [
        Finding("error", "cloud-run-schema",
                f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}", rel)
        for e in errors
    ]  # fmt: skip
    if not findings:
        rules = _job_rules(doc) if job else _service_rules(doc)
        findings = [Finding("error", "cloud-run", p, rel) for p in rules]
    return findings
