"""Shape checks: Procfile, app.json, .python-version, compose, cloud-init, shell scripts."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from deploy_advisor.targets.base import Finding

__all__ = [
    "check_app_json",
    "check_cloud_init",
    "check_compose",
    "check_procfile",
    "check_python_version",
    "check_shell",
]

_PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(\S.*)$")
_DYNO_SIZES = {"eco", "basic", "standard-1x", "standard-2x", "performance-m", "performance-l",
               "performance-l-ram", "performance-xl", "performance-2xl"}  # fmt: skip


def _error(check: str, message: str, rel: str) -> Finding:
    return Finding("error", check, message, rel)


def check_procfile(path: Path) -> list[Finding]:
    """One `name: command` a line, a `web` process, and it binds 0.0.0.0:$PORT."""
    processes = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _PROCFILE_LINE.match(line)
        if match is None:
            return [_error("procfile", f"line {number} is not `name: command`", "Procfile")]
        processes[match.group(1)] = match.group(2)
    web = processes.get("web")
    if web is None:
        return [_error("procfile", "no `web:` process; Heroku routes HTTP only to web", "Procfile")]
    if not re.search(r"0\.0\.0\.0:\$\{?PORT\}?", web):
        return [_error("procfile", "the web process must bind 0.0.0.0:$PORT", "Procfile")]
    return []


def check_app_json(path: Path) -> list[Finding]:
    """app.json parses, names its buildpack, and sizes the web formation with a real dyno type."""
    try:
        doc: Any = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        return [_error("app.json", f"not valid JSON: {exc.msg} at line {exc.lineno}", "app.json")]
    findings = []
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
        findings.append(_error("app.json", "needs a string `name`", "app.json"))
        return findings
    web = (doc.get("formation") or {}).get("web") or {}
    if str(web.get("size", "")).lower() not in _DYNO_SIZES:
        findings.append(
            _error(
                "app.json", f"formation.web.size {web.get('size')!r} is not a dyno type", "app.json"
            )
        )
    # A batch app run by Heroku Scheduler has no web dyno; every other app needs one.
    least = 0 if any("scheduler" in str(a) for a in doc.get("addons") or []) else 1
    if not isinstance(web.get("quantity"), int) or web["quantity"] < least:
        findings.append(
            _error(
                "app.json", f"formation.web.quantity must be a whole number >= {least}", "app.json"
            )
        )
    for name, spec in (doc.get("env") or {}).items():
        if not isinstance(spec, dict | str):
            findings.append(
                _error("app.json", f"env {name} must be a string or an object", "app.json")
            )
    return findings


def check_python_version(path: Path) -> list[Finding]:
    text = path.read_text().strip()
    if not re.fullmatch(r"3\.\d+(\.\d+)?", text):
        return [
            _error(
                "python-version", f"{text!r} is not a Python version like 3.11", ".python-version"
            )
        ]
    return []


def check_compose(path: Path) -> list[Finding]:
    """Each service has a healthcheck, a restart policy and resource limits."""
    import yaml

    doc = yaml.safe_load(path.read_text()) or {}
    findings = []
    for name, service in (doc.get("services") or {}).items():
        for key, why in (("healthcheck", "a healthcheck"), ("restart", "a restart policy")):
            if key not in service:
                findings.append(_error("compose", f"service {name} has no {why}", "compose.yaml"))
        limits = ((service.get("deploy") or {}).get("resources") or {}).get("limits") or {}
        if not {"cpus", "memory"} <= set(limits):
            findings.append(
                _error("compose", f"service {name} has no cpu/memory limits", "compose.yaml")
            )
    return findings


def check_cloud_init(path: Path, rel: str) -> list[Finding]:
    import yaml

    text = path.read_text()
    if not text.startswith("#cloud-config"):
        return [_error("cloud-init", "user-data must start with #cloud-config", rel)]
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [_error("cloud-init", f"not valid YAML: {exc}", rel)]
    return []


def check_shell(path: Path, rel: str) -> list[Finding]:
    """`bash -n`: the script parses."""
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return [_error("bash -n", result.stderr.strip().splitlines()[0], rel)]
    return []
