"""The command line that starts the server for a model, MLflow directory or scaffold directory.

Used by ``deploy-advisor serve`` and by load-test launchers. A scaffold directory is served by
its own copy of the runtime (``DIR/model_server``), so what runs is what will be deployed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .loader import LOCK_FILE, resolve_model_path

__all__ = ["server_command"]


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
