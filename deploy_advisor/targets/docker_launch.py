"""Launch a docker scaffold: build its image, run one container with the plan's CPU and memory."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deploy_advisor.emulate import containers as engine
from deploy_advisor.emulate.launched import Launched
from deploy_advisor.emulate.ports import free_port
from deploy_advisor.emulate.procstats import DockerStatsSampler
from deploy_advisor.emulate.readiness import wait_ready
from deploy_advisor.lockfile import read_lock
from deploy_advisor.targets.base import PlanSize
from deploy_advisor.targets.weights import weights_mounts

__all__ = ["CONTAINER_PORT", "launch_docker"]

# The port the server listens on inside our containers (the image's PORT, set explicitly).
CONTAINER_PORT = 8000


@contextmanager
def launch_docker(
    directory: Path, *, plan: PlanSize, base_image: str | None = None, log: Path | None = None,
    ready_timeout: float = 120.0,
) -> Iterator[Launched]:  # fmt: skip
    """The scaffold's image in one container limited to `plan`; removed on exit."""
    client = engine.docker_client()
    base = engine.resolve_base_image(base_image)
    image = engine.build_image(client, directory, base_image=base)
    host_port = free_port()
    name = f"{engine.name_prefix()}-docker-{engine.unique_suffix()}"
    started = time.monotonic()
    with engine.running_container(
        client, image, name=name, port=CONTAINER_PORT, host_port=host_port, vcpu=plan.vcpu,
        memory_mb=plan.memory_mb, environment={"PORT": str(CONTAINER_PORT)}, log=log,
        volumes=weights_mounts(directory, read_lock(directory)),
    ) as container:  # fmt: skip
        base_url = f"http://127.0.0.1:{host_port}"
        wait_ready(
            f"{base_url}/readyz",
            timeout=ready_timeout,
            gone=engine.container_gone(container),
            log=log,
        )
        ready_s = time.monotonic() - started
        yield Launched(
            base_url=base_url,
            plan=plan.name,
            emulated=False,
            describe=(
                f"docker container {name} ({image}), --cpus {plan.vcpu:g} "
                f"--memory {plan.memory_mb}m (plan {plan.name or 'default'})"
            ),
            stats=DockerStatsSampler([container]),
            start_to_ready_s=ready_s,
        )
