"""Typed rows for models that take named, typed columns: checks and the DataFrame they become.

A request's rows are checked column by column against the :class:`~.schema.InputSchema`
(types, categories, missing values) into a 2-D object matrix, which the micro-batcher can
concatenate like any other; the model turns it into a pandas DataFrame just before predicting.
Every refusal names the row and the column. pandas is imported only by :func:`to_frame`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .schema import Column, InputSchema
from .validation import HTTPError

__all__ = [
    "FALSE_WORDS",
    "TRUE_WORDS",
    "as_batch",
    "check_columns",
    "check_rows",
    "example_row",
    "record_in_order",
    "records_in_order",
    "to_frame",
    "typed_batch",
]

_WANT = {
    "float": "a number",
    "int": "a whole number",
    "bool": "true or false",
    "string": "a string",
}
TRUE_WORDS = frozenset({"true", "1", "yes", "t"})
FALSE_WORDS = frozenset({"false", "0", "no", "f"})
"""How CSV cells and text tensors write true and false (any case)."""


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _as_float(v: int) -> float:
    try:
        return float(v)
    except OverflowError:  # a whole number beyond any float
        return math.inf


def _wrong(col: Column, where: str, v: Any) -> HTTPError:
    return HTTPError(
        422,
        f"wrong type at {where}: {_describe(v)} is a {type(v).__name__}; "
        f"{col.name!r} takes {_WANT[col.type]}",
    )


def _from_text(col: Column, text: str, where: str) -> Any:
    """A CSV cell or text tensor element read as the column's type; '' is a missing value."""
    s = text.strip()
    if s == "":
        return None
    if col.type == "string":
        return text
    try:
        if col.type == "bool":
            low = s.lower()
            if low in TRUE_WORDS or low in FALSE_WORDS:
                return low in TRUE_WORDS
            raise ValueError(s)
        number = float(s)
        if col.type == "int":
            if not number.is_integer():
                raise ValueError(s)
            return int(number)
        return number
    except (ValueError, OverflowError):
        raise HTTPError(
            422, f"wrong type at {where}: {_describe(text)} is not {_WANT[col.type]}"
        ) from None


def _cell(col: Column, v: Any, where: str) -> Any:
    """The checked value of one cell, or an HTTPError naming the place (row and column)."""
    if _missing(v):
        if not col.nullable:
            raise HTTPError(
                422,
                f"missing value at {where}: the model can't take a missing value in "
                f"{col.name!r}; send {_WANT[col.type]}",
            )
        return None
    t = col.type
    if t == "string":
        if not isinstance(v, str):
            raise _wrong(col, where, v)
    elif t == "bool":
        if not isinstance(v, bool) and not (isinstance(v, int) and v in (0, 1)):
            raise _wrong(col, where, v)
        v = bool(v)
    elif not isinstance(v, (int, float)):
        raise _wrong(col, where, v)
    elif isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 2**63:
        if t == "int":
            raise HTTPError(422, f"out of range at {where}: {_describe(v)} is beyond 64 bits")
        if math.isinf(_as_float(v)):
            raise HTTPError(422, f"infinity at {where}: the model takes finite numbers only")
    elif isinstance(v, float) and math.isinf(v):
        raise HTTPError(422, f"infinity at {where}: the model takes finite numbers only")
    elif t == "int" and isinstance(v, float) and not v.is_integer():
        raise HTTPError(422, f"wrong type at {where}: {_describe(v)} is not a whole number")
    if col.categories is not None and v not in col.categories:
        known = ", ".join(map(repr, col.categories[:10]))
        more = ", ..." if len(col.categories) > 10 else ""
        raise HTTPError(
            422, f"unknown category {_describe(v)} at {where}: the model knows {known}{more}"
        )
    return v


def check_rows(rows: Any, schema: InputSchema, what: str = "instances") -> np.ndarray:
    """A (rows, columns) object matrix of checked values; HTTPError on the first bad cell."""
    if not isinstance(rows, list):
        raise HTTPError(400, f"`{what}` must be a list of rows, not {type(rows).__name__}")
    if not rows:
        raise HTTPError(400, f"`{what}` is empty; send at least one row")
    columns = schema.columns
    width = len(columns)
    table = np.empty((len(rows), width), dtype=object)
    for i, row in enumerate(rows):
        if not isinstance(row, list):
            raise HTTPError(
                400,
                f"{what}[{i}] is {type(row).__name__} {_describe(row)}; each row must be a list",
            )
        if len(row) != width:
            raise HTTPError(
                422,
                f"wrong feature count: row {i} has {len(row)} values; the model takes {width} "
                f"columns ({', '.join(schema.names[:8])}{', ...' if width > 8 else ''})",
            )
        for j, col in enumerate(columns):
            table[i, j] = _cell(col, row[j], f"row {i}, column {col.name!r}")
    return table


def check_columns(
    columns: Sequence[Sequence[Any]],
    schema: InputSchema,
    *,
    text: bool | Sequence[bool] = False,
    place: str = "",
) -> np.ndarray:
    """The object matrix of equally long columns in the schema's order (tensors, CSV), checked
    like :func:`check_rows`; a column marked ``text`` holds CSV cells or text tensor elements
    (an empty one is a missing value); ``place`` starts each row's name (``"CSV "``)."""
    texts = [text] * len(columns) if isinstance(text, bool) else list(text)
    table = np.empty((len(columns[0]) if columns else 0, len(columns)), dtype=object)
    for j, (col, values, is_text) in enumerate(zip(schema.columns, columns, texts, strict=True)):
        for i, v in enumerate(values):
            where = f"{place}row {i}, column {col.name!r}"
            table[i, j] = _cell(col, _from_text(col, v, where) if is_text else v, where)
    return table


def as_batch(table: np.ndarray, schema: InputSchema) -> np.ndarray:
    """What the model predicts on: the object matrix itself for DataFrame models, else floats
    (missing values as NaN)."""
    if schema.needs_dataframe:
        return table
    table[table == None] = np.nan  # noqa: E711 - elementwise on an object array
    return table.astype(np.float64)


def typed_batch(payload: Any, schema: InputSchema, *, allow_list: bool = False) -> np.ndarray:
    """The batch of a ``/predict``-style JSON body (``records`` or ``instances``; a bare list
    of rows where ``allow_list``), checked against the schema."""
    if isinstance(payload, dict):
        instances = payload.get("instances")
        records = payload.get("records")
        if instances is not None and records is not None:
            raise HTTPError(400, "send either `instances` or `records`, not both")
        if instances is not None:
            return as_batch(check_rows(instances, schema), schema)
        if records is not None:
            rows = records_in_order(records, schema.names)
            return as_batch(check_rows(rows, schema, "records"), schema)
        raise HTTPError(
            400,
            "the body needs `records` (a list of objects, one value per column) or "
            '`instances` (a list of rows in column order), e.g. {"records": [{...}]}',
        )
    if allow_list and isinstance(payload, list):
        return as_batch(check_rows(payload, schema), schema)
    raise HTTPError(
        400,
        f"the body must be a JSON object with `records` or `instances`, not "
        f"{type(payload).__name__}",
    )


def record_in_order(
    record: dict[str, Any], i: int, names: Sequence[str], known: set[str] | frozenset[str]
) -> list[Any]:
    """Record ``i`` (``{"column": value, ...}``) as a row in the schema's column order;
    ``known`` is the set of ``names``."""
    if len(record) != len(names) or not known.issuperset(record):
        extra = sorted(str(k) for k in record if k not in known)
        if extra:
            raise HTTPError(
                422, f"unknown column {extra[0]!r} in row {i}; the model takes {_list(names)}"
            )
    try:
        return [record[name] for name in names]
    except KeyError as exc:
        raise HTTPError(422, f"missing column {exc.args[0]!r} in row {i}") from None


def records_in_order(records: Any, names: Sequence[str]) -> list[list[Any]]:
    """Rows in the schema's column order from ``[{"column": value, ...}, ...]``."""
    if not isinstance(records, list):
        raise HTTPError(400, f"`records` must be a list of objects, not {type(records).__name__}")
    if not records:
        raise HTTPError(400, "`records` is empty; send at least one record")
    known = set(names)
    rows: list[list[Any]] = []
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise HTTPError(
                400, f"records[{i}] is {type(rec).__name__}; each record must be an object"
            )
        rows.append(record_in_order(rec, i, names, known))
    return rows


def _list(names: Sequence[str]) -> str:
    shown = ", ".join(map(repr, names[:8]))
    return shown + (f", ... ({len(names)} in all)" if len(names) > 8 else "")


def to_frame(table: np.ndarray, schema: InputSchema, *, named: bool = True) -> Any:
    """The pandas DataFrame of a checked object matrix, one dtype per column type; columns are
    labelled 0, 1, ... instead of by name when the model was fitted without names."""
    import pandas as pd

    data: dict[Any, Any] = {}
    for j, col in enumerate(schema.columns):
        values = table[:, j]
        missing = values == None  # noqa: E711 - elementwise on an object array
        gaps = bool(missing.any())
        if col.type == "string":
            arr = values.copy()
            arr[missing] = np.nan
        elif col.type == "bool" and not gaps:
            arr = values.astype(bool)
        elif col.type == "int" and not gaps:
            arr = values.astype(np.int64)
        else:
            arr = values.copy()
            arr[missing] = np.nan
            arr = arr.astype(np.float64)
        data[col.name if named else j] = arr
    return pd.DataFrame(data, copy=False)


def example_row(schema: InputSchema) -> list[Any]:
    """One valid row: mid-range numbers, the first known category, a plausible string."""
    row: list[Any] = []
    for col in schema.columns:
        if col.categories:
            row.append(col.categories[0])
        elif col.type == "string":
            row.append("a")
        elif col.type == "bool":
            row.append(False)
        else:
            lo, hi = col.minimum, col.maximum
            mid = (lo + hi) / 2 if lo is not None and hi is not None else (lo or hi or 0.0)
            row.append(int(round(mid)) if col.type == "int" else float(mid))
    return row
