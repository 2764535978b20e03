"""Structured logs: one JSON object per line on stderr.

Access lines carry the method, path (without the query string), status, duration, batch size
and client address; request bodies are never logged, since they may hold personal data.
Access lines are gathered during one turn of the event loop and written with one system call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

__all__ = ["AccessLog", "JsonFormatter", "setup_logging", "write_termination_message"]

#: Where Kubernetes reads why a container stopped (`kubectl describe pod` shows it).
KUBERNETES_TERMINATION_LOG = "/dev/termination-log"

_handler: logging.Handler | None = None


def _ts(t: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if t is None else t, UTC).isoformat(
        timespec="milliseconds"
    )


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", "pid", ...extra fields}``."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": _ts(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            data["exc_type"] = record.exc_info[0].__name__
            data["traceback"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return orjson.dumps(data, default=str).decode()


def setup_logging(level: str = "info") -> None:
    """JSON lines on stderr for this package's logger and uvicorn's; idempotent."""
    global _handler
    lvl = getattr(logging, level.upper(), logging.INFO)
    if _handler is None:
        _handler = logging.StreamHandler(sys.stderr)
        _handler.setFormatter(JsonFormatter())
    handler = _handler
    for name in ("model_server", "uvicorn.error", "uvicorn", "asyncio"):
        lg = logging.getLogger(name)
        lg.handlers = [handler]
        lg.setLevel(lvl)
        lg.propagate = False
    access = logging.getLogger("uvicorn.access")
    access.handlers = []
    access.propagate = False
    access.disabled = True


class AccessLog:
    """Buffers access lines and writes them once per event-loop turn."""

    def __init__(self, enabled: bool, fd: int | None = None) -> None:
        self.enabled = enabled
        self.fd = fd if fd is not None else sys.stderr.fileno()
        self._buf: list[str] = []
        self._scheduled = False
        self._pid = os.getpid()
        self._second = -1
        self._prefix = ""
        self._safe: dict[str, str] = {}

    def _stamp(self) -> str:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self._prefix}.{int((now - second) * 1000):03d}+00:00"

    def _quoted(self, text: str) -> str:
        """``text`` as a JSON string; the few distinct paths of routes are remembered."""
        hit = self._safe.get(text)
        if hit is None:
            hit = orjson.dumps(text).decode()
            if len(self._safe) < 256:
                self._safe[text] = hit
        return hit

    def write(
        self,
        method: str,
        path: str,
        status: int,
        seconds: float,
        batch_size: int | None,
        client: str | None,
    ) -> None:
        if not self.enabled:
            return
        self._buf.append(
            f'{{"ts":"{self._stamp()}","level":"info","logger":"access",'
            f'"method":{self._quoted(method)},"path":{self._quoted(path)},"status":{status},'
            f'"duration_ms":{seconds * 1000.0:.3f},'
            f'"batch_size":{"null" if batch_size is None else batch_size},'
            f'"client":{"null" if client is None else self._quoted(client)},"pid":{self._pid}}}\n'
        )
        if not self._scheduled:
            self._scheduled = True
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:
                self.flush()

    def flush(self) -> None:
        self._scheduled = False
        if not self._buf:
            return
        data = "".join(self._buf).encode()
        self._buf.clear()
        try:
            while data:
                n = os.write(self.fd, data)
                data = data[n:]
        except OSError:
            # A full non-blocking stderr, or a closed one: drop the lines rather than stall.
            pass


def write_termination_message(message: str) -> None:
    """Leave the reason the server stops where its supervisor looks: ``$TERMINATION_LOG``
    (``deploy-advisor serve`` sets it) or Kubernetes' termination log when there is one."""
    path = Path(os.environ.get("TERMINATION_LOG") or KUBERNETES_TERMINATION_LOG)
    if str(path) == KUBERNETES_TERMINATION_LOG and not path.exists():
        return
    with contextlib.suppress(OSError):  # else the JSON log line alone says it
        path.write_text(message[:4096], encoding="utf-8")  # Kubernetes keeps at most 4 KiB
