"""All terminal output goes through here, so colour, width, `--json` and quiet are decided once.

Results go to stdout; progress, warnings and errors go to stderr. With JSON mode on, stdout
carries exactly one JSON document and nothing else.
"""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

__all__ = [
    "ask_choice",
    "emit_json",
    "error",
    "info",
    "is_json",
    "print",
    "set_mode",
    "stderr",
    "stdout",
    "success",
    "warn",
]

_mode = {"json": False, "quiet": False}

CAPTURED_WIDTH = 120


def set_mode(*, json_output: bool = False, quiet: bool = False) -> None:
    """Choose JSON-only stdout and/or quiet stderr for the rest of the process."""
    _mode["json"] = json_output
    _mode["quiet"] = quiet


def is_json() -> bool:
    return _mode["json"]


@cache
def stdout() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False, width=_captured_width(sys.stdout))


@cache
def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, width=_captured_width(sys.stderr))


def print(*renderables: RenderableType, **kwargs: Any) -> None:  # noqa: A001 - mirrors rich
    """Print a human-readable result to stdout; suppressed in JSON mode."""
    if not _mode["json"]:
        stdout().print(*renderables, **kwargs)


def emit_json(document: Any) -> None:
    """Write one JSON document to stdout, plain (no colour, no wrapping)."""
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
    sys.stdout.flush()


def info(message: str) -> None:
    """A progress or context line on stderr."""
    if not _mode["quiet"]:
        stderr().print(message, markup=False)


def success(message: str) -> None:
    if not _mode["quiet"]:
        stderr().print(f"[green]✓[/green] {_escape(message)}")


def warn(message: str) -> None:
    stderr().print(f"[yellow]Warning:[/yellow] {_escape(message)}")


def error(message: str) -> None:
    stderr().print(f"[bold red]Error:[/bold red] {_escape(message)}", soft_wrap=True)


def ask_choice(text: str, default: str, choices: tuple[str, ...]) -> str:
    """Ask on the terminal (stderr) for a line of text, one of `choices` when there are any."""
    from rich.prompt import Prompt

    return Prompt.ask(text, console=stderr(), default=default, choices=list(choices) or None)


def _captured_width(stream: Any) -> int | None:
    """Wide tables when output is captured (make, CI logs, a pipe); the terminal's own width
    otherwise. COLUMNS, when set, always wins (rich reads it)."""
    if os.environ.get("COLUMNS") or stream.isatty():
        return None
    return CAPTURED_WIDTH


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
