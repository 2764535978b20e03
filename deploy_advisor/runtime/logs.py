"""Structured logs: one JSON object per line on stderr.

Access lines carry the method, path (without the query string), status, duration, batch size
and client address; request bodies are never logged, since they may hold personal data.
Access lines are gathered during one turn of the event loop and written with one system call.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["AccessLog", "JsonFormatter", "setup_logging"]

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
        self._buf: list[bytes] = []
        self._scheduled = False
        self._pid = os.getpid()

    def write(
        self,
        method: str,
        path: str,
        status: int,
        seconds: float,
        batch_size: int | None,
        client: str | None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        if not self.enabled:
            return
        line: dict[str, Any] = {
            "ts": _ts(),
            "level": "info",
            "logger": "access",
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000.0, 3),
            "batch_size": batch_size,
            "client": client,
            "pid": self._pid,
        }
        if extra:
            line.update(extra)
        self._buf.append(orjson.dumps(line) + b"\n")
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
        data = b"".join(self._buf)
        self._buf.clear()
        try:
            while data:
                n = os.write(self.fd, data)
                data = data[n:]
        except BlockingIOError:
            # A non-blocking stderr that is full: drop the rest rather than stall requests.
            pass
        except OSError:
            pass
