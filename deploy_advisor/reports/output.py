"""Write a report file atomically, never over a user's file without --force."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from deploy_advisor.errors import InputError

__all__ = ["write_report_file"]


def _ours(path: Path, marker: str) -> bool:
    try:
        with path.open(encoding="utf-8", errors="replace") as head:
            return marker in head.read(4096)
    except OSError:
        return False


def write_report_file(*, path: Path, text: str, marker: str, force: bool = False) -> Path:
    """Replace `path` with `text`; an existing file must be an earlier report (has `marker`)."""
    if path.is_dir():
        raise InputError(f"{path} is a directory; pass a file name such as {path / 'report.html'}")
    if path.exists() and not force and not _ours(path, marker):
        raise InputError(f"{path} exists and is not a deploy-advisor report; pass --force")
    if not path.parent.is_dir():
        raise InputError(f"Folder {path.parent} does not exist; create it or pick another path")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
