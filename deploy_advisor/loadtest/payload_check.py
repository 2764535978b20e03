"""The request bodies a load test posts, checked before any load starts."""

from __future__ import annotations

import json
from pathlib import Path

from deploy_advisor.errors import InputError

__all__ = ["check_payloads"]

_SHAPE = 'a JSON list of request bodies, e.g. [{"instances": [[0.1, 0.2]]}]'
_TYPES = {str: "a string", int: "a number", float: "a number", bool: "true/false", list: "a list"}


def check_payloads(path: Path, *, flag: str | None = "--payloads") -> Path:
    """`path` when it holds a non-empty JSON list of objects; else one line naming the file and
    the fix. `flag` is the option that named the file (None: it came from a scaffold)."""
    where = f"{flag} {path}" if flag else str(path)
    fix = f"pass {flag} with {_SHAPE}" if flag else f"it must hold {_SHAPE}; re-run scaffold"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{where} not found; {fix}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(f"{where} cannot be read ({reason}); {fix}") from None
    try:
        bodies = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{where} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); {fix}"
        ) from None
    if not isinstance(bodies, list):
        kind = "an object" if isinstance(bodies, dict) else _TYPES.get(type(bodies), "null")
        raise InputError(f"{where} holds {kind}, not a list; {fix}")
    if not bodies:
        raise InputError(f"{where} holds an empty list; {fix}")
    for number, body in enumerate(bodies, start=1):
        if not isinstance(body, dict):
            kind = _TYPES.get(type(body), "null")
            raise InputError(f"{where}: body {number} is {kind}, not a JSON object; {fix}")
    return path
