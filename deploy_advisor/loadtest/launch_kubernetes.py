"""Launch a kubernetes scaffold: the Deployment's replicas as containers behind an nginx."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy_advisor.errors import InputError, LaunchError
from deploy_advisor.loadtest.containers import (
    build_image,
    container_gone,
    docker_client,
    name_prefix,
    resolve_base_image,
    running_container,
    unique_suffix,
    user_network,
)
from deploy_advisor.loadtest.launch import Launched, free_port, wait_ready
from deploy_advisor.loadtest.nginx import RunningNginx, running_nginx
from deploy_advisor.loadtest.procstats import DockerStatsSampler
from deploy_advisor.loadtest.scaffold_dir import read_scaffold

__all__ = ["DeploymentShape", "launch_kubernetes", "read_deployment"]

_MEMORY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}


@dataclass(frozen=True)
class DeploymentShape:
    """What the emulation takes from the manifests: replicas, limits, port and environment."""

    replicas: int
    cpu_limit: float | None
    memory_limit_mb: int | None
    port: int
    environment: dict[str, str] = field(default_factory=dict)


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


class ReadyUpstreams:
    """Keeps nginx's upstream list to the replicas whose /readyz answers 200, like Endpoints."""

    def __init__(self, upstream_file: Path, ports: list[int], *, interval: float = 1.0) -> None:
        self._file, self._ports, self._interval = upstream_file, ports, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.nginx: RunningNginx | None = None
        self.ready: list[int] = []
        self.write([])

    def write(self, ready: list[int]) -> None:
        lines = [f"server 127.0.0.1:{p};" for p in ready] or ["server 127.0.0.1:9 down;"]
        self._file.write_text("\n".join(lines) + "\n")
        self.ready = ready

    def probe(self) -> list[int]:
        import httpx

        ready = []
        for port in self._ports:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1.0).status_code == 200:
                    ready.append(port)
            except httpx.HTTPError:
                continue
        return ready

    def refresh(self) -> None:
        ready = self.probe()
        if ready != self.ready:
            self.write(ready)
            if self.nginx is not None:
                self.nginx.reload()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.refresh()
            except LaunchError:
                continue

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


_SITE = """\
upstream replicas {{
    include {upstreams};
    keepalive 16;
}}
server {{
    listen 127.0.0.1:{port};
    location / {{
        proxy_pass http://replicas;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_next_upstream error timeout;
        proxy_connect_timeout 2s;
    }}
}}
"""


@contextmanager
def launch_kubernetes(
    directory: Path, *, plan_name: str | None = None, base_image: str | None = None,
    log: Path | None = None, ready_timeout: float = 120.0,
) -> Iterator[Launched]:  # fmt: skip
    """N replica containers with the manifest's limits, behind nginx round-robin over ready ones."""
    shape = read_deployment(directory)
    plan_name = plan_name or read_scaffold(directory).plan
    client = docker_client()
    image = build_image(client, directory, base_image=resolve_base_image(base_image))
    stem = f"{name_prefix()}-k8s-{unique_suffix()}"
    with tempfile.TemporaryDirectory(prefix="da-k8s-") as scratch, ExitStack() as stack:
        network = stack.enter_context(user_network(client, f"{stem}-net"))
        ports = [free_port() for _ in range(shape.replicas)]
        environment = {**shape.environment, "PORT": str(shape.port), "HOST": "0.0.0.0"}
        containers = [
            stack.enter_context(running_container(
                client, image, name=f"{stem}-{i}", port=shape.port, host_port=port,
                vcpu=shape.cpu_limit, memory_mb=shape.memory_limit_mb, environment=environment,
                network=network, log=log,
            ))
            for i, port in enumerate(ports)
        ]  # fmt: skip
        root = Path(scratch)
        upstreams = ReadyUpstreams(root / "upstreams.conf", ports)
        listen = free_port()
        (root / "site.conf").write_text(
            _SITE.format(upstreams=root / "upstreams.conf", port=listen)
        )
        for container, port in zip(containers, ports, strict=True):
            wait_ready(
                f"http://127.0.0.1:{port}/readyz", timeout=ready_timeout,
                gone=container_gone(container), log=log,
            )  # fmt: skip
        upstreams.refresh()
        upstreams.nginx = stack.enter_context(
            running_nginx(root / "nginx", site=root / "site.conf")
        )
        upstreams.start()
        stack.callback(upstreams.stop)
        base_url = f"http://127.0.0.1:{listen}"
        wait_ready(f"{base_url}/readyz", timeout=10)
        limits = f"cpu {shape.cpu_limit or 'unlimited'}, memory {shape.memory_limit_mb or '-'} MiB"
        yield Launched(
            base_url=base_url,
            plan=plan_name,
            emulated=True,
            describe=(
                f"kubernetes emulation: {shape.replicas} replica(s) of {image} ({limits} each, "
                f"plan {plan_name or 'default'}) on network {network}, nginx round-robin over "
                "ready replicas"
            ),
            stats=DockerStatsSampler(containers),
        )
