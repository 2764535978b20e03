"""The contenders as real server processes on free loopback ports, and their lifecycle."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ROOT", "Endpoint", "RunningServer", "ServerSpec", "free_port", "start_server"]

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NOOP_PATH = "/noop"


@dataclass(frozen=True)
class Endpoint:
    """One row of the benchmark: a path on a server, its protocol, and whether to check it."""

    name: str
    label: str
    path: str
    protocol: str = "instances"
    checks_predictions: bool = True


@dataclass(frozen=True)
class ServerSpec:
    """How to start one contender server for one model; `prepare` makes the files it needs.

    `port_env` names an environment variable that receives the port, for servers that read it
    from there rather than from their command line."""

    name: str
    contender: str
    model: str
    venv: str
    command: Callable[[Path, int], list[str]]
    ready_path: str
    endpoints: tuple[Endpoint, ...]
    cwd: Path = ROOT
    prepare: Callable[[Path], None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    port_env: str | None = None

    @property
    def bin(self) -> Path:
        return ROOT / self.venv / "bin"


@dataclass
class RunningServer:
    spec: ServerSpec
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        """SIGTERM to the server's own process group, SIGKILL if it is still there after 15 s."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)


def start_server(spec: ServerSpec, *, work: Path, ready_timeout_s: float = 180.0) -> RunningServer:
    """Start the server in its own session, logging to the work dir; wait until it is ready."""
    if not (spec.bin / "python").exists():
        raise RuntimeError(f"{spec.venv} is missing; run `make bench-serving`, which creates it")
    if spec.prepare is not None:
        spec.prepare(work)
    port = free_port()
    log = work / f"{spec.name}.log"
    env = {**os.environ, **spec.env, "PATH": f"{spec.bin}:{os.environ.get('PATH', '')}"}
    if spec.port_env:
        env[spec.port_env] = str(port)
    env.pop("VIRTUAL_ENV", None)
    with log.open("wb") as handle:
        process = subprocess.Popen(
            spec.command(work, port),
            cwd=spec.cwd,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = RunningServer(spec=spec, process=process, port=port, log=log)
    deadline = time.monotonic() + ready_timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{spec.name} exited with {process.returncode}: {_tail(log)}")
        if _get_ok(server.url(spec.ready_path)):
            return server
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"{spec.name} not ready after {ready_timeout_s:.0f} s: {_tail(log)}")


def free_port() -> int:
    """A loopback port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _tail(log: Path, lines: int = 5) -> str:
    text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " | ".join(text[-lines:])
