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
    pid); the lock file is removed on release, and a directory this run created is removed
    again if the run fails before writing."""
    if out_dir.exists() and not out_dir.is_dir():
        yield  # the writer reports the file in the way
        return
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / SCAFFOLD_LOCK
    fd = _locked(path, out_dir=out_dir, deadline=time.monotonic() + wait_s, wait_s=wait_s)
    try:
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            path.unlink(missing_ok=True)  # while still held: a waiter then retries a new file
    except BaseException:
        if created and not any(out_dir.iterdir()):
            with suppress(OSError):
                out_dir.rmdir()
        raise
    finally:
        os.close(fd)


def _locked(path: Path, *, out_dir: Path, deadline: float, wait_s: float) -> int:
    """A descriptor of the lock file at `path`, exclusively locked. The file a holder removes on
    release is not the lock any more: a waiter that got it checks and opens the new one."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _acquire(fd, out_dir=out_dir, deadline=deadline, wait_s=wait_s)
            try:
                current = path.stat().st_ino
            except FileNotFoundError:
                current = -1
            if current == os.fstat(fd).st_ino:
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _acquire(fd: int, *, out_dir: Path, deadline: float, wait_s: float) -> None:
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
