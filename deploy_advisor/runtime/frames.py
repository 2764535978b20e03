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

__all__ = ["check_rows", "example_row", "records_in_order", "to_frame"]

_TYPE_WORDS = {"float": "a number", "int": "a whole number", "bool": "true or false"}


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _cell(col: Column, v: Any, i: int) -> Any:
    """The checked value of one cell, or an HTTPError naming row ``i`` and the column."""
    where = f"row {i}, column {col.name!r}"
    if _missing(v):
        if not col.nullable:
            raise HTTPError(
                422, f"missing value at {where}: the model can't take missing values there"
            )
        return None
    t = col.type
    if t == "string":
        if not isinstance(v, str):
            raise HTTPError(
                422, f"wrong type at {where}: {_describe(v)} is a {type(v).__name__}, not a string"
            )
    elif t == "bool":
        if not isinstance(v, bool) and not (isinstance(v, int) and v in (0, 1)):
            raise HTTPError(422, f"wrong type at {where}: {_describe(v)} is not true or false")
        v = bool(v)
    elif not isinstance(v, (int, float)):
        raise HTTPError(
            422,
            f"wrong type at {where}: {_describe(v)} is a {type(v).__name__}, not {_TYPE_WORDS[t]}",
        )
    elif isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 2**63:
        raise HTTPError(422, f"out of range at {where}: {_describe(v)} is too large")
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
            table[i, j] = _cell(col, row[j], i)
    return table


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
        if len(rec) != len(names) or not known.issuperset(rec):
            extra = sorted(str(k) for k in rec if k not in known)
            if extra:
                raise HTTPError(
                    422, f"unknown column {extra[0]!r} in row {i}; the model takes {_list(names)}"
                )
        try:
            rows.append([rec[name] for name in names])
        except KeyError as exc:
            raise HTTPError(422, f"missing column {exc.args[0]!r} in row {i}") from None
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
        if col.type == "string":
            arr = values.copy()
            arr[[v is None for v in arr]] = np.nan
        elif col.type == "bool" and not any(v is None for v in values):
            arr = values.astype(bool)
        elif col.type == "int" and not any(v is None for v in values):
            arr = values.astype(np.int64)
        else:
            arr = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
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
