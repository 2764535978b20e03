"""Bring a server up for a load test and always take it down: processes, readiness."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy_advisor.benchmarks.procstats import ProcessTreeSampler, StatsSampler
from deploy_advisor.benchmarks.scaffold import Scaffold
from deploy_advisor.errors import LaunchError

__all__ = ["Launched", "free_port", "launch_local", "running_process", "wait_ready"]


@dataclass
class Launched:
    """A running server: where to send load, whether it is emulated, and its resource sampler."""

    base_url: str
    emulated: bool
    describe: str
    stats: StatsSampler | None = None


def free_port() -> int:
    """An ephemeral TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(
    url: str, *, timeout: float = 60.0, proc: subprocess.Popen[Any] | None = None
) -> None:
    """Poll `url` until it answers 200; fail early if `proc` exits, or after `timeout` seconds."""
    import httpx

    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            code = proc.returncode
            raise LaunchError(f"the server exited with code {code} before {url} was ready")
        try:
            answer = httpx.get(url, timeout=2.0)
            if answer.status_code == 200:
                return
            last = f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    raise LaunchError(f"{url} was not ready within {timeout:g} s (last: {last})")


@contextmanager
def running_process(
    command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
    log: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:  # fmt: skip
    """Start `command` in its own process group; on exit stop the whole group, whatever happened."""
    out = log.open("wb") if log is not None else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    except FileNotFoundError as exc:
        raise LaunchError(f"cannot start {command[0]!r}: {exc.strerror}") from exc
    try:
        yield proc
    finally:
        stop_process_group(proc)
        if log is not None and not isinstance(out, int):
            out.close()


def stop_process_group(proc: subprocess.Popen[Any], *, grace: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL what is left after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    if proc.poll() is None:
        proc.wait(timeout=5)


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
        wait_ready(f"{base_url}/readyz", timeout=ready_timeout, proc=proc)
        yield Launched(
            base_url=base_url,
            emulated=False,
            describe=f"local uvicorn, {workers} worker(s), pid {proc.pid}",
            stats=ProcessTreeSampler(proc.pid),
        )
