"""Writing a user's files safely: a temporary file beside the target, then one rename.

A reader sees the old file or the new one, never half of either; a crash leaves the old file.
The new file keeps the mode of the one it replaces, or else gets the usual mode under the
user's umask (not mkstemp's private 0600).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from deploy_advisor.errors import InputError

__all__ = ["check_output_dir", "output_errors", "write_atomic", "write_atomic_with"]


def write_atomic(path: Path, content: bytes | str, *, executable: bool = False) -> None:
    """Replace `path` with `content` (text is written as UTF-8)."""
    data = content.encode() if isinstance(content, str) else content
    write_atomic_with(path, lambda tmp: tmp.write_bytes(data), executable=executable)


def write_atomic_with(
    path: Path, write: Callable[[Path], object], *, executable: bool = False
) -> None:
    """Replace `path` with what `write` puts in the temporary path it is given."""
    if path.is_dir():
        raise InputError(f"{str(path)!r} is a directory; pass a file name")
    mode = _mode_for(path, executable=executable)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except FileNotFoundError:
        if path.parent.is_dir():  # /proc and the like: there, but nothing can be created
            raise InputError(
                f"cannot write in {str(path.parent)!r}: files cannot be created there; pick a "
                "directory you can write to"
            ) from None
        raise InputError(
            f"directory {str(path.parent)!r} does not exist; create it or pick another path"
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot write in {str(path.parent)!r}: {exc.strerror}; pick a directory you can "
            "write to"
        ) from None
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        _fsync(tmp)
        tmp.chmod(mode)
        tmp.replace(path)
    except OSError as exc:
        raise InputError(f"cannot write {str(path)!r}: {exc.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _mode_for(path: Path, *, executable: bool) -> int:
    """The replaced file's permissions, else 0666 (0777 if executable) less the umask."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return (0o777 if executable else 0o666) & ~_umask()
    return mode | (0o111 & ~_umask()) if executable else mode


@cache
def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def check_output_dir(path: Path, *, flag: str) -> None:
    """Refuse an output directory that is a file or lies under one, before any work is done."""
    if path.exists() and not path.is_dir():
        raise InputError(f"{flag} {path} is a file, not a directory; pass a directory path")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(
                    f"{flag} {path} is under {parent}, which is a file; pass a directory path"
                )
            return


@contextmanager
def output_errors(path: Path, *, flag: str) -> Iterator[None]:
    """Turn a failure to create or write under `path` into one line naming the flag and why."""
    try:
        yield
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(path) else ""
        raise InputError(
            f"cannot write {flag} {path}{where}: {exc.strerror or exc}; "
            "pass a directory you can write to"
        ) from exc
