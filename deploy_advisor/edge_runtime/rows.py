"""Read rows from JSON or CSV text (numbers, or typed named columns); bad input is one ValueError
naming the problem."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np

from .columns import InputColumn, parse_typed

__all__ = ["parse_rows"]

_SEND = 'send {"instances": [[...]]}, a JSON list of rows, or CSV rows of numbers'


def parse_rows(
    text: str, *, fmt: str = "auto", columns: list[InputColumn] | None = None
) -> np.ndarray:
    """Rows from JSON (`{"instances": [...]}`, a list of rows, or one row per line) or CSV; for a
    model with typed `columns`, records too, checked column by column."""
    if columns is not None:
        return parse_typed(text, columns, fmt=fmt)
    stripped = text.strip()
    if not stripped:
        raise ValueError("no input: send JSON or CSV rows on standard input")
    if fmt == "json" or (fmt == "auto" and stripped[0] in "[{"):
        return _matrix(_json_rows(stripped), "JSON")
    return _matrix(_csv_rows(stripped), "CSV")


def _json_rows(text: str) -> list[Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as whole:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            raise _not_json(whole) from None
        try:
            document = [json.loads(line) for line in lines]  # one row per line
        except json.JSONDecodeError:
            raise _not_json(whole) from None
    if isinstance(document, dict):
        if "instances" not in document:
            raise ValueError(f'a JSON object needs an "instances" list of rows; {_SEND}')
        document = document["instances"]
    if not isinstance(document, list):
        raise ValueError(f"the JSON input is {json.dumps(document)[:40]}, not rows; {_SEND}")
    if document and not isinstance(document[0], list):
        document = [document]
    return list(document)


def _not_json(exc: json.JSONDecodeError) -> ValueError:
    return ValueError(
        f"the input is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); {_SEND}"
    )


def _csv_rows(text: str) -> list[list[str]]:
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    try:
        [float(v) for v in rows[0]]
    except ValueError:
        header = text.splitlines()[0][:60]
        rows = rows[1:]  # a header line
        if not rows:
            raise ValueError(
                f"no rows of numbers in the input, only the line {header!r} (read as a CSV "
                f"header); {_SEND}"
            ) from None
    return rows


def _matrix(rows: list[Any], kind: str) -> np.ndarray:
    if not rows:
        raise ValueError(f"no rows in the {kind} input; {_SEND}")
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, list):
            raise ValueError(f"{kind} row {number} is {row!r}, not a list of numbers; {_SEND}")
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        raise ValueError(f"rows have different lengths: {sorted(widths)}")
    try:
        return np.array(rows, dtype=np.float32).reshape(len(rows), -1)
    except (TypeError, ValueError):
        raise ValueError(_first_bad_value(rows, kind)) from None


def _first_bad_value(rows: list[Any], kind: str) -> str:
    """Where the first value that is not a number is, for the error line."""
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            try:
                float(value)
            except (TypeError, ValueError):
                return f"{kind} row {number}, column {column}: {value!r} is not a number"
    return f"every value of the {kind} input must be a number"
