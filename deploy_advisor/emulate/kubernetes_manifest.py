"""What a Kubernetes scaffold's manifests say about its pods: replicas, limits, port, env."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy_advisor.errors import InputError

__all__ = ["DeploymentShape", "read_deployment"]

_MEMORY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}


@dataclass(frozen=True)
class DeploymentShape:
    """What the emulation takes from the manifests: replicas, limits, port and environment."""

    replicas: int
    cpu_limit: float | None
    memory_limit_mb: int | None
    port: int
    environment: dict[str, str] = field(default_factory=dict)
    prestop_s: float = 0.0
    grace_period_s: float = 30.0
    startup_probe_s: float | None = None
    """Seconds the startupProbe gives a container to become ready; None without one."""


def _cpu(value: Any) -> float | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def _memory_mb(value: Any) -> int | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    for unit, factor in _MEMORY_UNITS.items():
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * factor / 2**20)
    return int(float(text) / 2**20)


def read_deployment(directory: Path) -> DeploymentShape:
    """Replicas, the first container's limits and port, and its ConfigMap environment."""
    import yaml

    documents = []
    for path in sorted((directory / "k8s").glob("*.yaml")):
        documents += [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    deployments = [d for d in documents if d.get("kind") == "Deployment"]
    if not deployments:
        raise InputError(f"no Deployment in {directory / 'k8s'}; scaffold with --target kubernetes")
    spec = deployments[0]["spec"]
    name = (deployments[0].get("metadata") or {}).get("name")
    container = spec["template"]["spec"]["containers"][0]
    limits = (container.get("resources") or {}).get("limits") or {}
    ports = container.get("ports") or [{"containerPort": 8000}]
    env: dict[str, str] = {}
    maps = {
        d["metadata"]["name"]: d.get("data") or {}
        for d in documents
        if d.get("kind") == "ConfigMap"
    }
    for source in container.get("envFrom") or []:
        data = maps.get(source.get("configMapRef", {}).get("name"), {})
        env.update({key: str(value) for key, value in data.items()})
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
    return DeploymentShape(
        prestop_s=_prestop_s(container),
        startup_probe_s=_startup_probe_s(container),
        grace_period_s=float(spec["template"]["spec"].get("terminationGracePeriodSeconds", 30)),
        replicas=int(spec["replicas"]) if "replicas" in spec else _hpa_min(documents, name),
        cpu_limit=_cpu(limits.get("cpu")),
        memory_limit_mb=_memory_mb(limits.get("memory")),
        port=int(ports[0]["containerPort"]),
        environment=env,
    )


def _hpa_min(documents: list[dict[str, Any]], deployment: str | None) -> int:
    """A Deployment without `replicas` runs as many as its HorizontalPodAutoscaler's minimum."""
    for doc in documents:
        target = (doc.get("spec") or {}).get("scaleTargetRef") or {}
        if doc.get("kind") == "HorizontalPodAutoscaler" and target.get("name") == deployment:
            return int(doc["spec"].get("minReplicas", 1))
    return 1


def _startup_probe_s(container: dict[str, Any]) -> float | None:
    """initialDelaySeconds + failureThreshold × periodSeconds, with Kubernetes' defaults."""
    probe = container.get("startupProbe")
    if not isinstance(probe, dict):
        return None
    delay, period = (
        float(probe.get("initialDelaySeconds", 0)),
        float(probe.get("periodSeconds", 10)),
    )
    return delay + float(probe.get("failureThreshold", 3)) * period


def _prestop_s(container: dict[str, Any]) -> float:
    """Seconds of the container's `preStop: exec: sleep N` hook (0 without one)."""
    hook = ((container.get("lifecycle") or {}).get("preStop") or {}).get("exec") or {}
    command = [str(part) for part in hook.get("command") or []]
    if len(command) == 2 and command[0].rsplit("/", 1)[-1] == "sleep":
        try:
            return float(command[1])
        except ValueError:
            return 0.0
    return 0.0
