"""Bring a server up for a load test and always take it down: processes, readiness."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy_advisor.errors import LaunchError, ModelError
from deploy_advisor.loadtest.procstats import ProcessTreeSampler, StatsSampler
from deploy_advisor.loadtest.scaffold_dir import Scaffold

__all__ = [
    "Launched", "ServerExit", "exit_error", "free_port", "last_error_line", "launch_local",
    "running_process", "wait_ready",
]  # fmt: skip


@dataclass
class Launched:
    """A running server: where to send load, whether it is emulated, and its resource sampler."""

    base_url: str
    emulated: bool
    describe: str
    stats: StatsSampler | None = None
    plan: str | None = None


def free_port() -> int:
    """An ephemeral TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ServerExit:
    """A server that stopped before it was ready: who, its exit code, and what it printed."""

    who: str
    code: int | None
    output: str = ""
    note: str = ""  # e.g. " (out of memory)"


def last_error_line(output: str) -> str | None:
    """The server's last complaint: the message of its last JSON log line at error level, else
    its last line that mentions an error, else its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("level") in ("error", "critical"):
                return str(record.get("msg", line))
    for line in reversed(lines):
        if not line.startswith("{") and "error" in line.lower():
            return line
    return lines[-1] if lines else None


def exit_error(stopped: ServerExit, *, url: str, log: Path | None) -> LaunchError | ModelError:
    """One line with the server's own last error and its log; a model that cannot be loaded
    (the runtime's exit code 3 after a `load_failed` log line) is bad input, exit 2."""
    detail = last_error_line(stopped.output)
    message = f"{stopped.who} exited with code {stopped.code}{stopped.note} before {url} was ready"
    if detail:
        message += f": {detail}"
    if log is not None:
        message += f"; see {log}"
    if stopped.code == 3 and '"event":"load_failed"' in stopped.output.replace(" ", ""):
        return ModelError(message)
    return LaunchError(message)


def wait_ready(
    url: str, *, timeout: float = 60.0, proc: subprocess.Popen[Any] | None = None,
    gone: Callable[[], ServerExit | None] | None = None, log: Path | None = None,
) -> None:  # fmt: skip
    """Poll `url` until it answers 200; fail early if `proc` exits or `gone()` says it stopped
    (naming the server's last error line and `log`), or after `timeout` seconds."""
    import httpx

    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            output = log.read_text(errors="replace") if log is not None and log.is_file() else ""
            stopped = ServerExit("the server", proc.returncode, output)
            raise exit_error(stopped, url=url, log=log)
        stopped_container = gone() if gone is not None else None
        if stopped_container is not None:
            raise exit_error(stopped_container, url=url, log=log)
        try:
            answer = httpx.get(url, timeout=2.0)
            if answer.status_code == 200:
                return
            last = f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    where = f"; see {log}" if log is not None else ""
    raise LaunchError(f"{url} was not ready within {timeout:g} s (last: {last}){where}")


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
    """SIGTERM the process group, then SIGKILL what is left after `grace` seconds; returns when
    every process of the group is gone, not only its leader."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        if _group_gone(proc, timeout=wait):
            break
    if proc.poll() is None:
        proc.wait(timeout=5)


def _group_gone(proc: subprocess.Popen[Any], *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc.poll()
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


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
