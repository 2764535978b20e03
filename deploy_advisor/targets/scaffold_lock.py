"""One `scaffold` at a time per output directory: an exclusive flock on a file inside it."""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from deploy_advisor.errors import InputError

__all__ = ["SCAFFOLD_LOCK", "scaffold_lock", "wait_seconds"]

SCAFFOLD_LOCK = ".deploy-advisor.scaffold.lock"
_WAIT_ENV = "DEPLOY_ADVISOR_SCAFFOLD_WAIT"


def wait_seconds() -> float:
    """How long a scaffold waits for another one into the same directory (default 60 s)."""
    text = os.environ.get(_WAIT_ENV, "").strip()
    try:
        return max(0.0, float(text)) if text else 60.0
    except ValueError:
        raise InputError(f"{_WAIT_ENV}={text!r} is not a number of seconds; e.g. 30") from None


@contextmanager
def scaffold_lock(out_dir: Path, *, wait_s: float) -> Iterator[None]:
    """Hold `out_dir`'s scaffold lock (waiting up to `wait_s` for another run, then naming its
    pid); a directory this run created is removed again if the run fails before writing."""
    if out_dir.exists() and not out_dir.is_dir():
        yield  # the writer reports the file in the way
        return
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / SCAFFOLD_LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, out_dir=out_dir, wait_s=wait_s)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        except BaseException:
            if created and [p.name for p in out_dir.iterdir()] == [SCAFFOLD_LOCK]:
                path.unlink(missing_ok=True)
                with suppress(OSError):
                    out_dir.rmdir()
            raise
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def _acquire(fd: int, *, out_dir: Path, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() >= deadline:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise InputError(
                f"{out_dir} is being scaffolded by another run (pid {holder}), still after "
                f"{wait_s:g} s; wait for it to finish, or set {_WAIT_ENV} to wait longer"
            )
        time.sleep(0.05)
