"""Launch a kubernetes scaffold: the Deployment's replicas as containers behind an nginx."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from deploy_advisor.emulate.containers import (
    build_image,
    docker_client,
    name_prefix,
    resolve_base_image,
    unique_suffix,
    user_network,
)
from deploy_advisor.emulate.kubernetes_manifest import read_deployment
from deploy_advisor.emulate.launched import Launched
from deploy_advisor.emulate.nginx import running_nginx
from deploy_advisor.emulate.ports import free_port
from deploy_advisor.emulate.procstats import DockerStatsSampler
from deploy_advisor.emulate.readiness import wait_ready
from deploy_advisor.lockfile import read_scaffold
from deploy_advisor.targets.kubernetes_replicas import ReplicaSet
from deploy_advisor.targets.weights import weights_mounts

__all__ = ["launch_kubernetes"]


# The Service: nginx over the ready replicas, reloaded whenever the Endpoints change. Retries go to
# another replica only for a failed connect/exchange, 502 or 503, at most 3 tries in 10 s.
# `non_idempotent` lets a POST be retried: through docker-proxy (like kube-proxy) a connection to
# a dead replica is accepted and then reset after the request was written, so nginx cannot tell
# "never reached the server" from "sent"; /predict has no side effects, so a retry costs at most
# one duplicate predict.
_SERVICE = """\
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
        proxy_next_upstream error timeout http_502 http_503 non_idempotent;
        proxy_next_upstream_tries 3;
        proxy_next_upstream_timeout 10s;
        proxy_connect_timeout 2s;
    }}
}}
"""

# The cloud load balancer in front, which clients keep their connections to: never reloaded. A
# reload makes nginx's old workers close their idle keep-alive connections, and a client that
# sends on one at that instant gets the connection closed under its request; so this hop opens a
# fresh connection to the Service per request (a fresh connection is never closed as idle), and
# the client's own connections never see a reload.
_BALANCER = """\
server {{
    listen 127.0.0.1:{port};
    location / {{
        proxy_pass http://127.0.0.1:{service};
        proxy_http_version 1.1;
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
        root = Path(scratch)
        pods = ReplicaSet(
            client=client, image=image, stem=stem, shape=shape, network=network,
            upstream_file=root / "upstreams.conf", log=log,
            volumes=weights_mounts(directory, read_scaffold(directory).lock),
        )  # fmt: skip
        stack.callback(pods.close)
        began = time.monotonic()
        started = [pods.start_replica() for _ in range(shape.replicas)]
        listen, service = free_port(), free_port()
        (root / "service.conf").write_text(
            _SERVICE.format(upstreams=root / "upstreams.conf", port=service)
        )
        (root / "balancer.conf").write_text(_BALANCER.format(port=listen, service=service))
        for replica in started:
            pods.wait_ready(replica, timeout=ready_timeout)
        ready_s = time.monotonic() - began  # every replica ready
        pods.nginx = stack.enter_context(running_nginx(root / "nginx", site=root / "service.conf"))
        stack.enter_context(running_nginx(root / "balancer", site=root / "balancer.conf"))
        pods.start()
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
                f"ready replicas behind a steady front balancer, preStop {shape.prestop_s:g} s"
            ),
            stats=DockerStatsSampler(pods.sampled),
            chaos=lambda action, note: pods.chaos(action, note=note, timeout=ready_timeout),
            start_to_ready_s=ready_s,
        )
