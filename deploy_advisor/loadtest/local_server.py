"""The `local` load-test target: the runtime under uvicorn as a plain process on the host."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deploy_advisor.emulate.launched import Launched
from deploy_advisor.emulate.ports import free_port
from deploy_advisor.emulate.processes import running_process
from deploy_advisor.emulate.procstats import ProcessTreeSampler
from deploy_advisor.emulate.readiness import wait_ready
from deploy_advisor.lockfile import Scaffold

__all__ = ["launch_local", "runtime_command"]


def runtime_command(scaffold: Scaffold, *, host: str, port: int, workers: int = 1) -> list[str]:
    """The runtime's serve command: the scaffold's own `model_server` copy, else ours."""
    module = "model_server" if (scaffold.directory / "model_server").is_dir() else None
    return [
        sys.executable, "-m", module or "deploy_advisor.runtime", "serve",
        "--model", str(scaffold.model_path), "--host", host, "--port", str(port),
        "--workers", str(workers),
    ]  # fmt: skip


@contextmanager
def launch_local(
    scaffold: Scaffold, *, workers: int = 1, ready_timeout: float = 90.0, log: Path | None = None
) -> Iterator[Launched]:
    """The runtime under uvicorn as a plain local process on a free loopback port."""
    port = free_port()
    command = runtime_command(scaffold, host="127.0.0.1", port=port, workers=workers)
    with running_process(command, cwd=scaffold.directory, log=log) as proc:
        base_url = f"http://127.0.0.1:{port}"
        wait_ready(f"{base_url}/readyz", timeout=ready_timeout, proc=proc, log=log)
        yield Launched(
            base_url=base_url,
            emulated=False,
            describe=f"local uvicorn, {workers} worker(s), pid {proc.pid}",
            stats=ProcessTreeSampler(proc.pid),
        )
