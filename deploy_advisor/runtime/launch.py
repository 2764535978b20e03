"""The command line that starts the server for a model, MLflow directory or scaffold directory.

Used by ``deploy-advisor serve`` and by load-test launchers. A scaffold directory is served by
its own copy of the runtime (``DIR/model_server``), so what runs is what will be deployed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType

from .loader import LOCK_FILE, resolve_model_path

__all__ = ["run_in_foreground", "server_command"]


def server_command(
    target: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    workers: int | None = None,
    batch_max: int | None = None,
    batch_wait_ms: float | None = None,
    batching: bool | None = None,
    max_body_bytes: int | None = None,
    drain_timeout_s: float | None = None,
    access_log: bool | None = None,
    python: str | None = None,
) -> tuple[list[str], dict[str, str]]:
    """``(argv, env)`` to start the server in the foreground; raises
    :class:`~.loader.ModelLoadError` when ``target`` holds no usable model path."""
    root = Path(target).expanduser().resolve()
    model = resolve_model_path(root)
    env = dict(os.environ)
    package = __package__ or "model_server"
    if root.is_dir() and (root / LOCK_FILE).is_file() and (root / "model_server").is_dir():
        package = "model_server"
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
    elif package == "model_server":  # running from a scaffold's copy: keep finding it
        here = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    argv = [python or sys.executable, "-m", package, "serve", "--model", str(model)]
    argv += ["--host", host]
    if port is not None:  # else $PORT, $AIP_HTTP_PORT or 8000
        argv += ["--port", str(port)]
    if workers is not None:
        argv += ["--workers", str(workers)]
    if batch_max is not None:
        argv += ["--batch-max", str(batch_max)]
    if batch_wait_ms is not None:
        argv += ["--batch-wait-ms", str(batch_wait_ms)]
    if batching is not None:
        argv.append("--batching" if batching else "--no-batching")
    if max_body_bytes is not None:
        argv += ["--max-body-bytes", str(max_body_bytes)]
    if drain_timeout_s is not None:
        argv += ["--drain-timeout", str(drain_timeout_s)]
    if access_log is not None:
        argv.append("--access-log" if access_log else "--no-access-log")
    return argv, env


def run_in_foreground(argv: list[str], env: dict[str, str]) -> tuple[int, str | None]:
    """Run the server until it stops: ``(exit code, why it could not start or None)``.

    Ctrl-C and SIGTERM sent here are passed on once (the server has its own session, so a
    terminal's Ctrl-C does not reach it twice); if this process dies, the server gets SIGTERM.
    """
    with tempfile.TemporaryDirectory(prefix="model-server-") as tmp:
        reason = Path(tmp) / "termination-log"
        proc = subprocess.Popen(
            argv,
            env={**env, "TERMINATION_LOG": str(reason)},
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only calls prctl
        )

        def forward(sig: int, frame: FrameType | None) -> None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)

        previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            code = proc.wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        why = reason.read_text(encoding="utf-8").strip() if reason.is_file() else None
        return code, why or None


def _die_with_parent() -> None:
    with contextlib.suppress(Exception):  # Linux only; elsewhere the server may outlive us
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
