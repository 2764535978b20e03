"""The supervisor of ``serve --workers N``: starts the worker processes, forwards stop signals,
and replaces any worker that exits.

A worker that exits cleanly (0, or stopped by SIGTERM or SIGINT, as in a rolling restart) is
replaced and never counted as a crash; the supervisor gives up (exit 1) only when
``crash_limit`` workers crash within ``crash_window_s`` seconds, so any number of rolling
restarts leaves it running.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from .config import EXIT_STARTUP_FAILURE, Settings
from .logs import setup_logging
from .server import READY_FLAG_ENV, WORKER_ENV, _cannot_listen, _log_listening

__all__ = ["is_crash", "run_supervisor"]

log = logging.getLogger("model_server")


def _reserve_port(host: str, port: int) -> tuple[socket.socket, int]:
    """Fail early if another program holds the port; keep a bound (not listening)
    SO_REUSEPORT socket so that port 0 resolves to one port all workers share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    probe = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        actual = probe.getsockname()[1]
    finally:
        probe.close()
    keep = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    keep.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    keep.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    keep.bind((host, actual))
    return keep, actual


def _package_root() -> str:
    """The directory that holds this package, for the workers' PYTHONPATH."""
    return str(Path(__file__).resolve().parent.parent)


class _Supervisor:
    def __init__(self, settings: Settings, *, ready_flag: Path, metrics_dir: Path) -> None:
        self.settings = settings
        self.ready_flag = ready_flag
        self.metrics_dir = metrics_dir
        self.stop_signal: int | None = None
        self.children: dict[int, subprocess.Popen[bytes]] = {}
        self.crashes: list[float] = []

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        if self.stop_signal is None:
            self.stop_signal = sig
            log.info(
                "stopping: forwarding SIGTERM to %d workers",
                len(self.children),
                extra={"fields": {"event": "draining", "signal": signal.Signals(sig).name}},
            )
            for proc in self.children.values():
                if proc.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        proc.send_signal(signal.SIGTERM)
        elif sig == signal.SIGINT:  # a second Ctrl-C: stop now
            for proc in self.children.values():
                if proc.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()

    def _spawn(self, worker_id: int, child_settings: str, phase: str = "initial") -> None:
        env = dict(os.environ)
        env["MODEL_SERVER_WORKER_PHASE"] = phase
        env[WORKER_ENV] = child_settings
        env["MODEL_SERVER_WORKER_ID"] = str(worker_id)
        env["MODEL_SERVER_SUPERVISOR_PID"] = str(os.getpid())
        env[READY_FLAG_ENV] = str(self.ready_flag)
        root = _package_root()
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        package = __package__ or "model_server"
        # Workers get their own process group: Ctrl-C reaches the supervisor only, which
        # forwards one SIGTERM to each worker.
        self.children[worker_id] = subprocess.Popen(
            [sys.executable, "-m", package, "serve"], env=env, process_group=0
        )

    def _crash_loop(self, rc: int) -> bool:
        """Record a worker's exit; whether crashes now reach the limit within the window."""
        if not is_crash(rc):
            return False
        s = self.settings
        now = time.monotonic()
        self.crashes = [t for t in self.crashes if now - t < s.crash_window_s] + [now]
        if len(self.crashes) < s.crash_limit:
            return False
        log.error(
            "workers keep crashing (%d crashes within %g s); stopping",
            len(self.crashes),
            s.crash_window_s,
            extra={"fields": {"event": "crash_loop", "crashes": len(self.crashes)}},
        )
        return True

    def run(self) -> int:
        s = self.settings
        try:
            keep, port = _reserve_port(s.host, s.port)
        except OSError as exc:
            return _cannot_listen(s, exc)
        child = Settings.from_json(s.to_json())
        child.port = port
        child.workers = 1
        if not child.metrics_dir:
            child.metrics_dir = str(self.metrics_dir)
        child_json = child.to_json()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        for i in range(s.workers):
            self._spawn(i, child_json)
        _log_listening(s, keep, s.workers)
        code = 0
        deadline: float | None = None
        try:
            while self.children:
                if self.stop_signal is not None and deadline is None:
                    deadline = time.monotonic() + s.drain_timeout_s + 10.0
                if deadline is not None and time.monotonic() > deadline:
                    for proc in self.children.values():
                        if proc.poll() is None:
                            proc.kill()
                for wid, proc in list(self.children.items()):
                    rc = proc.poll()
                    if rc is None:
                        continue
                    del self.children[wid]
                    if self.stop_signal is not None:
                        if rc != 0 and not code:  # the first failure says why; keep it
                            code = EXIT_STARTUP_FAILURE if rc == EXIT_STARTUP_FAILURE else 1
                        continue
                    if rc == EXIT_STARTUP_FAILURE:
                        log.error("worker %d could not start; stopping", wid)
                        code = EXIT_STARTUP_FAILURE
                        self._on_signal(signal.SIGTERM, None)
                        continue
                    if self._crash_loop(rc):
                        code = 1
                        self._on_signal(signal.SIGTERM, None)
                        continue
                    level = logging.ERROR if is_crash(rc) else logging.INFO
                    log.log(
                        level,
                        "worker %d exited with %s; starting a new one",
                        wid,
                        rc,
                        extra={"fields": {"event": "worker_restart", "worker": wid, "rc": rc}},
                    )
                    self._spawn(wid, child_json, "restart")
                time.sleep(0.05)
        finally:
            keep.close()
        log.info("stopped", extra={"fields": {"event": "stopped", "rc": code}})
        return code


def is_crash(rc: int) -> bool:
    """Whether a worker's exit code is a crash: not 0, and not a stop by SIGTERM or SIGINT
    (a rolling restart, or an operator stopping one worker)."""
    return rc not in (0, -signal.SIGTERM, -signal.SIGINT)


def run_supervisor(settings: Settings) -> int:
    setup_logging(settings.log_level)
    with tempfile.TemporaryDirectory(prefix="model-server-") as tmp:
        supervisor = _Supervisor(
            settings, ready_flag=Path(tmp) / "first-worker-ready", metrics_dir=Path(tmp) / "metrics"
        )
        return supervisor.run()
