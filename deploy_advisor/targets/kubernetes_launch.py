"""Launch a kubernetes scaffold: the Deployment's replicas as containers behind an nginx."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from deploy_advisor.emulate.containers import (
    build_image,
    container_gone,
    docker_client,
    name_prefix,
    resolve_base_image,
    running_container,
    unique_suffix,
    user_network,
)
from deploy_advisor.emulate.kubernetes_manifest import read_deployment
from deploy_advisor.emulate.launched import Launched
from deploy_advisor.emulate.nginx import RunningNginx, running_nginx
from deploy_advisor.emulate.ports import free_port
from deploy_advisor.emulate.procstats import DockerStatsSampler
from deploy_advisor.emulate.readiness import wait_ready
from deploy_advisor.errors import LaunchError
from deploy_advisor.lockfile import read_scaffold

__all__ = ["launch_kubernetes"]


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
