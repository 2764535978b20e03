"""Local processes in their own process group, always stopped with everything they started."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from deploy_advisor.errors import LaunchError

__all__ = ["running_process", "stop_process_group"]


@contextmanager
def running_process(
    command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
    log: Path | None = None, append: bool = False, pass_fds: tuple[int, ...] = (),
) -> Iterator[subprocess.Popen[bytes]]:  # fmt: skip
    """Start `command` in its own process group; on exit stop the whole group, whatever happened.
    Its output goes to `log` (added to it with `append`); `pass_fds` stay open in it."""
    out = log.open("ab" if append else "wb") if log is not None else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, pass_fds=pass_fds,
        )  # fmt: skip
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
