"""Waiting for a launched server to answer, and one line on why it never did."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy_advisor.errors import LaunchError, ModelError

__all__ = ["ServerExit", "exit_error", "last_error_line", "wait_ready"]


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
