"""The emulated Deployment's pods: Endpoints kept by readiness, graceful stop, kill, rollout."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy_advisor.emulate.containers import container_gone, running_container
from deploy_advisor.emulate.kubernetes_manifest import DeploymentShape
from deploy_advisor.emulate.nginx import RunningNginx
from deploy_advisor.emulate.ports import free_port
from deploy_advisor.emulate.readiness import wait_ready
from deploy_advisor.errors import InputError, LaunchError

__all__ = ["Replica", "ReplicaSet"]


@dataclass
class Replica:
    """One pod: its container, the host port nginx reaches it on, and whether it is terminating."""

    container: Any
    port: int
    terminating: bool = False
    ready: bool = field(default=False, compare=False)


class ReplicaSet:
    """Pods behind nginx: the upstream file lists ready, non-terminating pods (Endpoints); a
    change is applied with `nginx -s reload`, whose old workers finish what they hold."""

    def __init__(
        self, *, client: Any, image: str, stem: str, shape: DeploymentShape, network: str,
        upstream_file: Path, log: Path | None, interval: float = 1.0,
        volumes: dict[str, dict[str, str]] | None = None,
    ) -> None:  # fmt: skip
        self._client, self._image, self._stem, self._shape = client, image, stem, shape
        self._network, self._file, self._log, self._interval = network, upstream_file, log, interval
        self._volumes = volumes
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._containers = ExitStack()
        self._started = 0
        self.nginx: RunningNginx | None = None
        self.replicas: list[Replica] = []
        self.sampled: list[Any] = []
        self._written: list[int] | None = None
        self._write([])

    def start_replica(self) -> Replica:
        """A new pod from the image, with the manifest's limits and environment (not yet ready)."""
        environment = {
            **self._shape.environment, "PORT": str(self._shape.port), "HOST": "0.0.0.0",
        }  # fmt: skip
        port = free_port()
        with self._lock:
            name = f"{self._stem}-{self._started}"
            self._started += 1
        container = self._containers.enter_context(running_container(
            self._client, self._image, name=name, port=self._shape.port, host_port=port,
            vcpu=self._shape.cpu_limit, memory_mb=self._shape.memory_limit_mb,
            environment=environment, network=self._network, log=self._log,
            volumes=self._volumes,
        ))  # fmt: skip
        replica = Replica(container=container, port=port)
        with self._lock:
            self.replicas.append(replica)
            self.sampled.append(container)
        return replica

    def wait_ready(self, replica: Replica, *, timeout: float) -> None:
        """Until the pod's /readyz answers 200, then into the Endpoints."""
        wait_ready(
            f"http://127.0.0.1:{replica.port}/readyz", timeout=timeout,
            gone=container_gone(replica.container), log=self._log,
        )  # fmt: skip
        self.refresh()

    def _write(self, ready: list[int]) -> bool:
        if ready == self._written:
            return False
        lines = [f"server 127.0.0.1:{p};" for p in ready] or ["server 127.0.0.1:9 down;"]
        self._file.write_text("\n".join(lines) + "\n")
        self._written = ready
        return True

    def refresh(self) -> None:
        """Probe every non-terminating pod's /readyz; reload nginx when the ready set changed."""
        import httpx

        with self._lock:
            candidates = [r for r in self.replicas if not r.terminating]
        for replica in candidates:
            try:
                answer = httpx.get(f"http://127.0.0.1:{replica.port}/readyz", timeout=1.0)
                replica.ready = answer.status_code == 200
            except httpx.HTTPError:
                replica.ready = False
        self._publish()

    def _publish(self) -> None:
        with self._lock:
            ready = [r.port for r in self.replicas if r.ready and not r.terminating]
            if self._write(ready) and self.nginx is not None:
                self.nginx.reload()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            with suppress(LaunchError):
                self.refresh()

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stop probing and remove every container started."""
        self._stop.set()
        self._thread.join(timeout=5)
        self._containers.close()

    def terminate(self, replica: Replica, *, note: Callable[[str], None]) -> None:
        """What the kubelet does to a deleted pod: out of the Endpoints first, then the preStop
        sleep, then SIGTERM with the rest of the grace period, then SIGKILL."""
        with self._lock:
            replica.terminating = True
            self._publish()
        note(f"replica {replica.container.name} removed from the balancer")
        time.sleep(self._shape.prestop_s)
        note(f"replica {replica.container.name} sent SIGTERM after {self._shape.prestop_s:g} s")
        remaining = max(1, int(self._shape.grace_period_s - self._shape.prestop_s))
        replica.container.stop(timeout=remaining)
        replica.container.reload()
        code = replica.container.attrs.get("State", {}).get("ExitCode")
        note(f"replica {replica.container.name} exited with code {code}")
        with self._lock:
            self.replicas.remove(replica)

    def kill(self, replica: Replica, *, note: Callable[[str], None], timeout: float) -> None:
        """SIGKILL a pod with no warning; the kubelet restarts its container, which rejoins the
        Endpoints once ready."""
        replica.container.kill()
        note(f"replica {replica.container.name} killed (SIGKILL)")
        self.refresh()
        replica.container.start()
        note(f"replica {replica.container.name} restarted")
        self.wait_ready(replica, timeout=timeout)
        note(f"replica {replica.container.name} ready again")

    def chaos(self, action: str, *, note: Callable[[str], None], timeout: float = 120.0) -> None:
        """Disrupt the pods during a run: `stop` or `kill` the first, or `rollout` all of them."""
        with self._lock:
            current = [r for r in self.replicas if not r.terminating]
        if action == "stop":
            self.terminate(current[0], note=note)
        elif action == "kill":
            self.kill(current[0], note=note, timeout=timeout)
        elif action == "rollout":
            for old in current:
                new = self.start_replica()
                note(f"replica {new.container.name} started (surge)")
                self.wait_ready(new, timeout=timeout)
                note(f"replica {new.container.name} ready")
                self.terminate(old, note=note)
        else:
            raise InputError(f"--chaos {action!r}: use one of stop, kill, rollout")
