"""Read rows of numbers from JSON or CSV text."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np

__all__ = ["parse_rows"]


def parse_rows(text: str, *, fmt: str = "auto") -> np.ndarray:
    """Rows from JSON (`{"instances": [...]}`, a list of rows, or one row per line) or CSV."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("no input: send JSON or CSV rows on standard input")
    if fmt == "json" or (fmt == "auto" and stripped[0] in "[{"):
        return _matrix(_json_rows(stripped))
    return _matrix(_csv_rows(stripped))


def _json_rows(text: str) -> list[Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if isinstance(document, dict):
        if "instances" not in document:
            raise ValueError('a JSON object needs an "instances" list of rows')
        document = document["instances"]
    if document and not isinstance(document[0], list):
        document = [document]
    return list(document)


def _csv_rows(text: str) -> list[list[str]]:
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    try:
        [float(v) for v in rows[0]]
    except ValueError:
        rows = rows[1:]  # a header line
    return rows


def _matrix(rows: list[Any]) -> np.ndarray:
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        raise ValueError(f"rows have different lengths: {sorted(widths)}")
    try:
        return np.array(rows, dtype=np.float32).reshape(len(rows), -1)
    except ValueError as exc:
        raise ValueError(f"every value must be a number ({exc})") from None
