"""Check typed request rows against the model's :class:`~.schema.InputSchema`, cell by cell.

Every protocol (``/predict`` records and instances, OIP v2 tensors, SageMaker CSV and JSON
lines) ends here for models that take named, typed columns. A typed batch is a 2-D object
array, one row per input row in the schema's column order (None for a missing value), so that
the micro-batcher can stack batches; :func:`~.frames.rows_to_frame` turns it into a DataFrame.
Every fault is an :class:`~.validation.HTTPError` naming the row and the column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .schema import Column, InputSchema
from .validation import HTTPError

__all__ = [
    "check_cells",
    "columns_to_batch",
    "records_to_columns",
    "rows_to_columns",
    "typed_batch",
]

_TRUE = {"true", "1", "yes", "t"}
_FALSE = {"false", "0", "no", "f"}
_WANT = {
    "float": "a number",
    "int": "a whole number",
    "bool": "true or false",
    "string": "a string",
}


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _missing(col: Column, where: str) -> HTTPError:
    return HTTPError(
        422,
        f"missing value at {where}: this model can't take a missing value in {col.name!r}; "
        f"send {_WANT[col.type]}",
    )


def _wrong(col: Column, where: str, value: Any) -> HTTPError:
    return HTTPError(
        422,
        f"wrong type at {where}: {_show(value)} is a {type(value).__name__}; "
        f"{col.name!r} takes {_WANT[col.type]}",
    )


def _from_text(col: Column, text: str, where: str) -> Any:
    """A CSV cell or BYTES element read as the column's type; '' is a missing value."""
    s = text.strip()
    if s == "":
        return None
    if col.type == "string":
        return text
    try:
        if col.type == "bool":
            low = s.lower()
            if low in _TRUE or low in _FALSE:
                return low in _TRUE
            raise ValueError(s)
        number = float(s)
        if col.type == "int":
            if not number.is_integer():
                raise ValueError(s)
            return int(number)
        return number
    except (ValueError, OverflowError):
        raise HTTPError(
            422, f"wrong type at {where}: {_show(text)} is not {_WANT[col.type]}"
        ) from None


def _from_json(col: Column, value: Any, where: str) -> Any:
    """A JSON value checked (and converted) for the column's type."""
    kind = col.type
    if kind == "string":
        if isinstance(value, str):
            return value
        raise _wrong(col, where, value)
    if isinstance(value, bool):
        if kind == "bool":
            return value
        return int(value) if kind == "int" else float(value)
    if isinstance(value, (int, float)):
        if kind == "bool":
            if value in (0, 1):
                return bool(value)
            raise _wrong(col, where, value)
        if isinstance(value, float) and math.isnan(value):
            return None
        if kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise _wrong(col, where, value)
            return int(value)
        try:
            return float(value)
        except OverflowError:  # a whole number beyond any float
            return math.inf if value > 0 else -math.inf
    if isinstance(value, (np.generic,)):
        return _from_json(col, value.item(), where)
    if isinstance(value, (bytes, bytearray)):
        try:
            return _from_text(col, bytes(value).decode("utf-8"), where)
        except UnicodeDecodeError:
            raise HTTPError(422, f"wrong type at {where}: the bytes are not UTF-8 text") from None
    raise _wrong(col, where, value)


def check_cells(
    col: Column, j: int, values: Sequence[Any], *, what: str = "", text: bool = False
) -> list[Any]:
    """The values of column ``j`` converted to its type, or a 422 naming the row and column;
    ``text`` reads CSV cells (an empty cell is a missing value)."""
    out: list[Any] = []
    convert = _from_text if text else _from_json
    for i, v in enumerate(values):
        where = f"{what}row {i}, column {col.name!r}"
        value = None if v is None else convert(col, v, where)
        if value is None:
            if not col.nullable:
                raise _missing(col, where)
        elif col.type == "float" and math.isinf(value):
            raise HTTPError(422, f"infinity at {where}: the model takes finite numbers only")
        elif col.type == "int" and not -(2**63) <= value < 2**63:
            raise HTTPError(422, f"out of range at {where}: {_show(value)} is beyond 64 bits")
        elif col.categories is not None and value not in col.categories:
            known = ", ".join(repr(c) for c in col.categories[:10])
            more = ", ..." if len(col.categories) > 10 else ""
            raise HTTPError(
                422,
                f"unknown category at {where}: {_show(value)} is not one of {known}{more}",
            )
        out.append(value)
    return out


def rows_to_columns(
    schema: InputSchema, rows: Any, *, what: str = "instances", text: bool = False
) -> list[list[Any]]:
    """Checked columns from positional rows (lists of values in the schema's column order)."""
    if not isinstance(rows, list):
        raise HTTPError(400, f"`{what}` must be a list of rows, not {type(rows).__name__}")
    if not rows:
        raise HTTPError(400, f"`{what}` is empty; send at least one row")
    width = len(schema.columns)
    for i, row in enumerate(rows):
        if not isinstance(row, list):
            raise HTTPError(
                400, f"{what}[{i}] is {type(row).__name__}; each row must be a list of values"
            )
        if len(row) != width:
            raise HTTPError(
                422,
                f"wrong column count: row {i} has {len(row)} values; the model takes {width} "
                f"columns ({', '.join(schema.names)})",
            )
    return [
        check_cells(col, j, [row[j] for row in rows], text=text)
        for j, col in enumerate(schema.columns)
    ]


def records_to_columns(schema: InputSchema, records: Any) -> list[list[Any]]:
    """Checked columns from ``[{"column": value, ...}, ...]``."""
    if not isinstance(records, list):
        raise HTTPError(400, f"`records` must be a list of objects, not {type(records).__name__}")
    if not records:
        raise HTTPError(400, "`records` is empty; send at least one record")
    names = schema.names
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise HTTPError(
                400, f"records[{i}] is {type(rec).__name__}; each record must be an object"
            )
        if len(rec) != len(names) or any(n not in rec for n in names):
            lacking = [n for n in names if n not in rec]
            if lacking:
                raise HTTPError(422, f"row {i} lacks column {lacking[0]!r}")
            extra = sorted(set(rec) - set(names))
            raise HTTPError(422, f"row {i} has unknown column {extra[0]!r}")
    return [
        check_cells(col, j, [rec[col.name] for rec in records])
        for j, col in enumerate(schema.columns)
    ]


def columns_to_batch(columns: Sequence[Sequence[Any]]) -> np.ndarray:
    """The typed batch: a 2-D object array, one row per input row."""
    n = len(columns[0]) if columns else 0
    batch = np.empty((n, len(columns)), dtype=object)
    for j, values in enumerate(columns):
        batch[:, j] = values
    return batch


def typed_batch(schema: InputSchema, payload: Any, *, allow_list: bool = False) -> np.ndarray:
    """The typed batch of a ``/predict``-style JSON body (``records`` or ``instances``)."""
    if isinstance(payload, dict):
        instances = payload.get("instances")
        records = payload.get("records")
        if instances is not None and records is not None:
            raise HTTPError(400, "send either `instances` or `records`, not both")
        if records is not None:
            return columns_to_batch(records_to_columns(schema, records))
        if instances is not None:
            return columns_to_batch(rows_to_columns(schema, instances))
        raise HTTPError(
            400,
            "the body needs `records` (a list of objects keyed by column name) or `instances` "
            '(a list of rows in column order), e.g. {"records": [{...}]}',
        )
    if allow_list and isinstance(payload, list):
        return columns_to_batch(rows_to_columns(schema, payload))
    raise HTTPError(
        400,
        f"the body must be a JSON object with `records` or `instances`, not "
        f"{type(payload).__name__}",
    )
