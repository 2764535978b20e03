"""Turn request payloads into a 2-D float matrix, or an :class:`HTTPError` naming the problem.

The fast path is one ``np.array`` call and one ``isfinite`` check; the slow path (only taken
when something is wrong, or values need converting) walks the rows to name the exact cell.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

__all__ = [
    "HTTPError",
    "csv_to_matrix",
    "parse_json",
    "records_to_rows",
    "rows_to_matrix",
]


class HTTPError(Exception):
    """A client error: answered with ``status`` and ``{"error": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_json(body: bytes) -> Any:
    """The decoded JSON body; bare NaN/Infinity literals are accepted here and refused later
    by the finiteness check with a precise message."""
    if not body:
        raise HTTPError(400, "invalid JSON: the request body is empty")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        try:  # the standard library also reads NaN, Infinity and 1e999
            return json.loads(body)
        except (ValueError, RecursionError):
            pass
        raise HTTPError(400, f"invalid JSON: {exc}") from None


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _column(j: int, names: Sequence[str] | None) -> str:
    if names is not None and j < len(names):
        return f"column {j} ({names[j]!r})"
    return f"column {j}"


def _scan_rows(
    rows: Sequence[Any], n_features: int | None, names: Sequence[str] | None, what: str
) -> np.ndarray:
    """Slow path: check every row and cell, converting None to NaN; raises on the first fault."""
    width = n_features
    out: list[list[float]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, list):
            raise HTTPError(
                400,
                f"{what}[{i}] is {type(row).__name__} {_describe(row)}; each row must be a list "
                "of numbers",
            )
        if width is None:
            width = len(row)
        if len(row) != width:
            expect = (
                f"the model takes {n_features} features"
                if n_features is not None
                else f"row 0 has {width}"
            )
            raise HTTPError(422, f"wrong feature count: row {i} has {len(row)} values; {expect}")
        converted: list[float] = []
        for j, v in enumerate(row):
            if v is None:
                converted.append(math.nan)
            elif isinstance(v, (int, float)):  # bool counts as 0/1
                try:
                    converted.append(float(v))
                except OverflowError:
                    converted.append(math.inf if v > 0 else -math.inf)
            else:
                raise HTTPError(
                    422,
                    f"non-numeric value at row {i}, {_column(j, names)}: {_describe(v)} is a "
                    f"{type(v).__name__}, not a number",
                )
        out.append(converted)
    return np.array(out, dtype=np.float64).reshape(len(out), width or 0)


def rows_to_matrix(
    rows: Any,
    n_features: int | None,
    allows_nan: bool,
    names: Sequence[str] | None = None,
    what: str = "instances",
) -> np.ndarray:
    """A C-contiguous float64 matrix of shape (len(rows), n_features)."""
    if not isinstance(rows, list):
        raise HTTPError(
            400, f"`{what}` must be a list of rows (lists of numbers), not {type(rows).__name__}"
        )
    if not rows:
        raise HTTPError(400, f"`{what}` is empty; send at least one row")
    try:
        arr = np.array(rows)
    except (ValueError, TypeError, OverflowError):
        arr = None
    if arr is None or arr.dtype.kind not in "fiub":
        arr = _scan_rows(rows, n_features, names, what)
    elif arr.ndim != 2:
        if arr.ndim == 1:
            raise HTTPError(
                400,
                f"`{what}` must be a list of rows, each a list of numbers; got a flat list of "
                f"{arr.shape[0]} numbers (wrap one row in brackets: [[...]])",
            )
        raise HTTPError(
            400,
            f"`{what}` is nested {arr.ndim} levels deep; each row must be a flat list of numbers",
        )
    elif arr.dtype != np.float64:
        arr = arr.astype(np.float64)
    return _checked(arr, n_features, allows_nan, names)


def _checked(
    arr: np.ndarray, n_features: int | None, allows_nan: bool, names: Sequence[str] | None
) -> np.ndarray:
    if n_features is not None and arr.shape[1] != n_features:
        raise HTTPError(
            422,
            f"wrong feature count: rows have {arr.shape[1]} values; the model takes "
            f"{n_features} features",
        )
    if arr.shape[1] == 0:
        raise HTTPError(422, "wrong feature count: rows are empty")
    check_finite(arr, allows_nan, names)
    return arr


def check_finite(arr: np.ndarray, allows_nan: bool, names: Sequence[str] | None = None) -> None:
    """Refuse infinity always, and NaN (JSON null, NaN, empty CSV cells) unless the model takes
    missing values."""
    if np.isfinite(arr).all():
        return
    bad = np.isinf(arr) if allows_nan else ~np.isfinite(arr)
    if not bad.any():
        return
    i, j = (int(k) for k in np.argwhere(bad)[0])
    v = arr[i, j]
    where = f"row {i}, {_column(j, names)}"
    if np.isnan(v):
        raise HTTPError(
            422,
            f"NaN at {where}: this model can't take missing values (null, NaN or empty); "
            "send a number",
        )
    raise HTTPError(422, f"infinity at {where}: the model takes finite numbers only")


def records_to_rows(records: Any, names: Sequence[str] | None) -> list[list[Any]]:
    """Rows in the model's column order from ``[{"feature": value, ...}, ...]``."""
    if not isinstance(records, list):
        raise HTTPError(400, f"`records` must be a list of objects, not {type(records).__name__}")
    if not records:
        raise HTTPError(400, "`records` is empty; send at least one record")
    if names is None:
        raise HTTPError(
            422,
            "this model was trained without feature names, so records can't be mapped to "
            'columns; send {"instances": [[...]]} with values in training column order',
        )
    n = len(names)
    rows: list[list[Any]] = []
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise HTTPError(
                400, f"records[{i}] is {type(rec).__name__}; each record must be an object"
            )
        try:
            row = [rec[name] for name in names]
        except KeyError as exc:
            raise HTTPError(422, f"records[{i}] lacks feature {exc.args[0]!r}") from None
        if len(rec) != n:
            extra = sorted(set(rec) - set(names))
            raise HTTPError(422, f"records[{i}] has unknown feature {extra[0]!r}")
        rows.append(row)
    return rows


def csv_to_matrix(
    text: str, n_features: int | None, allows_nan: bool, names: Sequence[str] | None
) -> np.ndarray:
    """Rows of comma-separated numbers, optionally under a header of the model's feature names;
    an empty cell is a missing value."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise HTTPError(400, "the CSV body has no rows")
    try:
        arr = np.array([ln.split(",") for ln in lines], dtype=np.float64)
    except (ValueError, TypeError):
        pass  # quoted cells, a header, empty cells or text: take the careful path
    else:
        if arr.ndim == 2:
            return _checked(arr, n_features, allows_nan, names)
    table = list(csv.reader(io.StringIO("\n".join(lines))))
    order: list[int] | None = None
    if names is not None and {c.strip() for c in table[0]} == set(names):
        header = [c.strip() for c in table[0]]
        order = [header.index(n) for n in names]
        table = table[1:]
        if not table:
            raise HTTPError(400, "the CSV body has a header but no rows")
    rows: list[list[Any]] = []
    for i, cells in enumerate(table):
        if order is not None and len(cells) == len(order):
            cells = [cells[k] for k in order]
        row: list[Any] = []
        for j, cell in enumerate(cells):
            c = cell.strip()
            if c == "":
                row.append(None)
                continue
            try:
                row.append(float(c))
            except ValueError:
                raise HTTPError(
                    422,
                    f"non-numeric value at CSV row {i}, {_column(j, names)}: {_describe(c)}",
                ) from None
        rows.append(row)
    return rows_to_matrix(rows, n_features, allows_nan, names, what="CSV rows")
