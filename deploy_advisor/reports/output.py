"""Write a report file atomically, never over a user's file without --force."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from deploy_advisor.errors import InputError
from deploy_advisor.files import write_atomic

if TYPE_CHECKING:
    from deploy_advisor.reports.build import Report

__all__ = ["write_html", "write_markdown", "write_report_file"]


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
    write_atomic(path, text)
    return path


def write_html(report: Report, *, path: Path, force: bool = False) -> Path:
    """The self-contained HTML report, written to `path` (an earlier report, or `force`)."""
    from deploy_advisor.reports.html import GENERATOR, render_html

    return write_report_file(path=path, text=render_html(report), marker=GENERATOR, force=force)


def write_markdown(report: Report, *, path: Path, force: bool = False) -> Path:
    """The Markdown report for a pull request, written to `path` (an earlier report, or `force`)."""
    from deploy_advisor.reports.markdown import MARKER, render_markdown

    return write_report_file(path=path, text=render_markdown(report), marker=MARKER, force=force)
