"""Launch a managed cloud scaffold: its image sized like the plan, behind the platform's limits.

A private nginx in front enforces what the platform enforces on each request: the largest body
(SageMaker 6 MB real-time and 4 MB serverless, Cloud Run 32 MiB), the invocation timeout, and the
requests one instance takes at once (Cloud Run's containerConcurrency, Azure ML's
max_concurrent_requests_per_instance), answering 413, 504 and 429 as the platform would."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from deploy_advisor.emulate.containers import (
    build_image,
    container_gone,
    docker_client,
    name_prefix,
    resolve_base_image,
    running_container,
    unique_suffix,
)
from deploy_advisor.emulate.launched import Launched
from deploy_advisor.emulate.nginx import running_nginx
from deploy_advisor.emulate.ports import free_port
from deploy_advisor.emulate.procstats import DockerStatsSampler
from deploy_advisor.emulate.readiness import wait_ready
from deploy_advisor.emulate.scale_to_zero import ScaleToZero
from deploy_advisor.errors import InputError
from deploy_advisor.targets.base import PlanSize
from deploy_advisor.targets.docker_launch import CONTAINER_PORT

__all__ = [
    "PlatformLimits", "idle_seconds", "launch_behind_proxy", "platform_limits", "proxy_site",
    "scales_to_zero",
]  # fmt: skip

SAGEMAKER_PAYLOAD_BYTES = 6_000_000
SAGEMAKER_SERVERLESS_PAYLOAD_BYTES = 4_000_000
SAGEMAKER_TIMEOUT_S = 60.0
CLOUD_RUN_PAYLOAD_BYTES = 32 * 2**20


@dataclass(frozen=True)
class PlatformLimits:
    """What the platform enforces on one request to one instance; None: no limit emulated."""

    platform: str
    payload_bytes: int | None
    timeout_s: float
    concurrency: int | None

    def describe(self) -> str:
        body = f"body <= {self.payload_bytes:,} B" if self.payload_bytes else "no body limit"
        per = f", {self.concurrency} requests at once" if self.concurrency else ""
        return f"{self.platform}: {body}, timeout {self.timeout_s:g} s{per}"


def _yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError(f"{path} is missing; re-run scaffold")
    loaded = yaml.safe_load(path.read_text())
    return loaded if isinstance(loaded, dict) else {}


def platform_limits(target: str, directory: Path) -> PlatformLimits:
    """The limits a scaffold's own files set, with the platform's fixed ones."""
    if target == "sagemaker":
        serverless = "ServerlessConfig:" in (directory / "sagemaker" / "endpoint.yaml").read_text()
        payload = SAGEMAKER_SERVERLESS_PAYLOAD_BYTES if serverless else SAGEMAKER_PAYLOAD_BYTES
        name = "SageMaker serverless" if serverless else "SageMaker real-time"
        return PlatformLimits(name, payload, SAGEMAKER_TIMEOUT_S, None)
    if target == "cloud-run":
        spec = _yaml(directory / "cloud-run" / "service.yaml")["spec"]
        revision = spec["template"]["spec"]
        return PlatformLimits(
            "Cloud Run", CLOUD_RUN_PAYLOAD_BYTES, float(revision.get("timeoutSeconds", 300)),
            int(revision.get("containerConcurrency", 80)) or None,
        )  # fmt: skip
    if target == "azure-ml":
        settings = _yaml(directory / "azure-ml" / "deployment.yml").get("request_settings") or {}
        return PlatformLimits(
            "Azure ML", None, float(settings.get("request_timeout_ms", 5000)) / 1000,
            int(settings.get("max_concurrent_requests_per_instance", 1)),
        )  # fmt: skip
    raise InputError(f"target {target!r} has no platform limits; use sagemaker|cloud-run|azure-ml")


def proxy_site(limits: PlatformLimits, *, listen_port: int, upstream_port: int) -> str:
    """An nginx site on loopback that applies `limits` in front of the container."""
    zone = f"instance_{listen_port}"
    lines = []
    if limits.concurrency:
        lines.append(f"limit_conn_zone $server_port zone={zone}:1m;")
    lines += [
        "server {",
        f"    listen 127.0.0.1:{listen_port};",
        f"    client_max_body_size {limits.payload_bytes or 0};",
        "    location / {",
    ]
    if limits.concurrency:
        lines += [
            f"        limit_conn {zone} {limits.concurrency};",
            "        limit_conn_status 429;",
        ]
    lines += [
        f"        proxy_pass http://127.0.0.1:{upstream_port};",
        f"        proxy_read_timeout {limits.timeout_s:g}s;",
        f"        proxy_send_timeout {limits.timeout_s:g}s;",
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def scales_to_zero(target: str, directory: Path) -> bool:
    """SageMaker Serverless, and a Cloud Run service whose minScale is 0."""
    if target == "sagemaker":
        return "ServerlessConfig:" in (directory / "sagemaker" / "endpoint.yaml").read_text()
    if target == "cloud-run":
        template = _yaml(directory / "cloud-run" / "service.yaml")["spec"]["template"]
        annotations = (template.get("metadata") or {}).get("annotations") or {}
        return str(annotations.get("autoscaling.knative.dev/minScale", "0")) == "0"
    return False


def idle_seconds() -> float:
    """Seconds without a request before an emulated instance is stopped
    (`$DEPLOY_ADVISOR_IDLE_S`, default 60; the platforms keep idle instances longer)."""
    raw = os.environ.get("DEPLOY_ADVISOR_IDLE_S", "60")
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise InputError(f"DEPLOY_ADVISOR_IDLE_S is {raw!r}; give seconds above 0, e.g. 60")
    return value


@contextmanager
def launch_behind_proxy(
    directory: Path, *, target: str, plan: PlanSize, base_image: str | None = None,
    log: Path | None = None, ready_timeout: float = 120.0,
) -> Iterator[Launched]:  # fmt: skip
    """The image in one container limited to `plan`, behind nginx applying the platform's limits;
    stopped when idle and started by the next request where the platform scales to zero."""
    limits = platform_limits(target, directory)
    client = docker_client()
    image = build_image(client, directory, base_image=resolve_base_image(base_image))
    host_port = free_port()
    name = f"{name_prefix()}-{target}-{unique_suffix()}"
    started = time.monotonic()
    with (
        running_container(
            client, image, name=name, port=CONTAINER_PORT, host_port=host_port, vcpu=plan.vcpu,
            memory_mb=plan.memory_mb, environment={"PORT": str(CONTAINER_PORT)}, log=log,
        ) as container,
        tempfile.TemporaryDirectory(prefix="da-managed-") as scratch,
    ):  # fmt: skip
        wait_ready(
            f"http://127.0.0.1:{host_port}/readyz", timeout=ready_timeout,
            gone=container_gone(container), log=log,
        )  # fmt: skip
        ready_s = time.monotonic() - started
        front = (
            ScaleToZero(container, upstream_port=host_port, idle_s=idle_seconds())
            if scales_to_zero(target, directory) else None
        )  # fmt: skip
        with front if front is not None else contextlib.nullcontext():
            root = Path(scratch)
            listen_port = free_port()
            upstream = front.port if front is not None else host_port
            site = root / "site.conf"
            site.write_text(proxy_site(limits, listen_port=listen_port, upstream_port=upstream))
            with running_nginx(root / "nginx", site=site, log=log):
                base_url = f"http://127.0.0.1:{listen_port}"
                wait_ready(f"{base_url}/readyz", timeout=10, log=log)
                zero = f", scaled to zero after {front.idle_s:g} s idle" if front else ""
                yield Launched(
                    base_url=base_url,
                    plan=plan.name,
                    emulated=True,
                    describe=(
                        f"{target} emulation: nginx ({limits.describe()}) → container {name} "
                        f"({image}), --cpus {plan.vcpu:g} --memory {plan.memory_mb}m{zero}"
                    ),
                    stats=DockerStatsSampler([container]),
                    cold_starts=(lambda: list(front.cold_starts)) if front is not None else None,
                    start_to_ready_s=ready_s,
                    scale_to_zero=front.scale_to_zero if front is not None else None,
                )
