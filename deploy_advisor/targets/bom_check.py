"""`validate`'s bill-of-materials check: the files build what the lock's `bom` says was priced."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import yaml

from deploy_advisor.lockfile import ScaffoldLock
from deploy_advisor.targets.base import Finding
from deploy_advisor.targets.bom_values import BALANCER_RANGES, DEFAULT_RATE_PER_S, on_calendar

__all__ = ["CHECK", "check_bom"]

CHECK = "bom"


def _mismatch(file: str, key: str, found: object, wanted: object) -> Finding:
    return Finding(
        "error", CHECK,
        f"{key} is {found} but the bill of materials says {wanted}; re-run scaffold --spec "
        "or edit the file back",
        file,
    )  # fmt: skip


def _missing(file: str, what: str) -> Finding:
    return Finding("error", CHECK, f"missing: {what} (the bill of materials needs it)", file)


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None


def _heroku(directory: Path, bom: dict[str, Any], mode: str | None) -> list[Finding]:
    findings: list[Finding] = []
    if mode == "batch":
        text = _read(directory / "scheduler.txt")
        if bom.get("schedule") and f"Schedule: {bom['schedule']} " not in text:
            findings.append(_missing("scheduler.txt", f"the schedule {bom['schedule']}"))
        return findings
    try:
        app = json.loads((directory / "app.json").read_text())
        quantity = app["formation"]["web"]["quantity"]
    except (OSError, ValueError, KeyError, TypeError):
        return [_missing("app.json", "formation.web.quantity")]
    if quantity != bom["instances"]:
        findings.append(_mismatch("app.json", "formation.web.quantity", quantity, bom["instances"]))
    scale = f"heroku ps:scale web={bom['instances']}"
    if scale not in _read(directory / "README.md"):
        findings.append(_missing("README.md", f"`{scale}`"))
    return findings


def _gpu_limit(doc: Any, file: str, bom: dict[str, Any]) -> list[Finding]:
    """Every container asks for an nvidia.com/gpu exactly when the plan has a GPU."""
    text = json.dumps(doc)
    has = '"nvidia.com/gpu"' in text
    if bom.get("gpu") and not has:
        return [_missing(file, f"an nvidia.com/gpu limit for the priced {bom['gpu']}")]
    if not bom.get("gpu") and has:
        return [_mismatch(file, "nvidia.com/gpu", "set", "no GPU")]
    return []


def _kubernetes(directory: Path, bom: dict[str, Any], mode: str | None) -> list[Finding]:
    k8s = directory / "k8s"
    if mode == "batch":
        cron = _yaml(k8s / "cronjob.yaml") or {}
        findings = _gpu_limit(cron, "k8s/cronjob.yaml", bom)
        schedule = (cron.get("spec") or {}).get("schedule")
        if bom.get("schedule") and schedule != bom["schedule"]:
            findings.append(
                _mismatch("k8s/cronjob.yaml", "spec.schedule", schedule, bom["schedule"])
            )
        return findings
    findings = _gpu_limit(_yaml(k8s / "deployment.yaml"), "k8s/deployment.yaml", bom)
    hpa = (_yaml(k8s / "hpa.yaml") or {}).get("spec") or {}
    wanted_max = bom.get("max_instances") or bom["instances"]
    for key, wanted in (("minReplicas", bom["min_instances"]), ("maxReplicas", wanted_max)):
        if hpa.get(key) != wanted:
            findings.append(_mismatch("k8s/hpa.yaml", f"spec.{key}", hpa.get(key), wanted))
    kind = ((_yaml(k8s / "service.yaml") or {}).get("spec") or {}).get("type", "ClusterIP")
    wanted_kind = "LoadBalancer" if bom.get("load_balancer_priced") else "ClusterIP"
    if kind != wanted_kind:
        findings.append(_mismatch("k8s/service.yaml", "spec.type", kind, wanted_kind))
    if "metrics-server" not in _read(directory / "README.md"):
        findings.append(_missing("README.md", "metrics-server as the HPA's prerequisite"))
    return findings


def _directive(text: str, name: str) -> str | None:
    match = re.search(rf"^\s*{name}\s+([^;]+);", text, re.MULTILINE)
    return match.group(1).strip() if match else None


def _vps(directory: Path, bom: dict[str, Any], mode: str | None) -> list[Finding]:
    if mode == "batch":
        findings = []
        for timer in sorted(directory.glob("deploy/systemd/*.timer")):
            rel = f"deploy/systemd/{timer.name}"
            found = re.search(r"^OnCalendar=(.*)$", timer.read_text(), re.MULTILINE)
            wanted = on_calendar(bom.get("schedule") or "0 2 * * *")
            value = found.group(1).strip() if found else None
            if value != wanted:
                findings.append(_mismatch(rel, "OnCalendar", value, wanted))
        return findings
    findings = []
    peak = bom.get("peak_rps")
    rate_wanted = f"{max(1, math.ceil(peak))}r/s" if peak else None
    for site in sorted(directory.glob("deploy/nginx/*.conf")):
        rel, text = f"deploy/nginx/{site.name}", site.read_text()
        zone = _directive(text, "limit_req_zone") or ""
        rate = re.search(r"rate=(\S+)", zone)
        found_rate = rate.group(1) if rate else None
        wanted_rate = rate_wanted or f"{DEFAULT_RATE_PER_S}r/s"
        if found_rate != wanted_rate:
            findings.append(_mismatch(rel, "limit_req_zone rate", found_rate, wanted_rate))
        balancer = bom.get("load_balancer")
        if balancer:
            wanted_range = BALANCER_RANGES.get(balancer, "10.0.0.0/8")
            for name, wanted in (("set_real_ip_from", wanted_range),
                                 ("real_ip_header", "X-Forwarded-For")):  # fmt: skip
                value = _directive(text, name)
                if value != wanted:
                    findings.append(_mismatch(rel, name, value, wanted))
    if bom.get("load_balancer") and f"create {bom['instances']} VMs" not in _read(
        directory / "README.md"
    ):
        findings.append(_missing("README.md", f"{bom['instances']} VMs behind the balancer"))
    return findings


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


_CHECKS = {"heroku": _heroku, "kubernetes": _kubernetes, "vps": _vps}


def check_bom(directory: Path, lock: ScaffoldLock | None) -> list[Finding]:
    """A finding per item of the lock's bill of materials the files do not build (none: no bom)."""
    if lock is None or lock.bom is None:
        return []
    bom, target = lock.bom, lock.target or ""
    if bom.get("plan") != lock.plan:
        return [_mismatch("deploy-advisor.lock.json", "plan", lock.plan, bom.get("plan"))]
    check = _CHECKS.get(target)
    findings = check(directory, bom, lock.mode) if check else []
    priced = f"plan {bom.get('plan')} ({bom.get('provider')}) x {bom.get('instances')},"
    if priced not in _read(directory / "README.md"):
        findings.append(_missing("README.md", f"the bill of materials ({priced.rstrip(',')})"))
    if not findings:
        items = ", ".join(f"{i['quantity']} x {i['plan']}" for i in bom.get("line_items", []))
        findings.append(Finding("info", CHECK, f"the files build the priced {items}"))
    return findings
