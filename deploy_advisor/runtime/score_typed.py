"""Typed batch-scorer columns: strings, integers, booleans and categories checked per column
against the model's `InputSchema`, each bad row set aside with its reason."""

from __future__ import annotations

from typing import Any

import numpy as np

from .frames import FALSE_WORDS, TRUE_WORDS
from .schema import Column, InputSchema

__all__ = ["TypedConverter"]


def _shorten(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…'"


class TypedConverter:
    """Turns the model's columns into the matrix it predicts on: an object matrix of checked
    values for DataFrame models, else floats (missing values as NaN)."""

    fast = False
    """Whether the all-float CSV fast path may be used (never: cells need type checks)."""

    def __init__(self, schema: InputSchema) -> None:
        self.schema = schema
        self.allow_missing = any(c.nullable for c in schema.columns)

    def matrix(
        self, arrays: list[Any], columns: list[str], rows: np.ndarray, keys: list[str] | None
    ) -> tuple[np.ndarray, list[tuple[int, Any]]]:
        from .score_columns import Reject

        by_name = {c.name: c for c in self.schema.columns}
        n = len(rows)
        table = np.empty((n, len(columns)), dtype=object)
        first_problem: dict[int, str] = {}
        for j, (name, array) in enumerate(zip(columns, arrays, strict=True)):
            col = by_name.get(name) or self.schema.columns[j]
            values, problems = _column(array, col)
            table[:, j] = values
            for i, problem in problems.items():
                first_problem.setdefault(i, f"column {name!r}: {problem}")
        rejects = [
            (i, Reject(row=int(rows[i]), key=keys[i] if keys else "", reason=first_problem[i]))
            for i in sorted(first_problem)
        ]
        if self.schema.needs_dataframe:
            return table, rejects
        table[table == None] = np.nan  # noqa: E711 - elementwise on an object array
        if rejects:  # rejected rows may hold text; they are dropped after this
            table[[i for i, _ in rejects]] = 0.0
        return table.astype(np.float64), rejects


def _column(array: Any, col: Column) -> tuple[np.ndarray, dict[int, str]]:
    """One column's checked values (None for a missing one) and the problems by position."""
    import pyarrow as pa
    import pyarrow.compute as pc

    problems: dict[int, str] = {}
    textual = pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
    if col.type == "string":
        strings = pc.cast(array, pa.string()) if not textual else array
        missing = pc.or_kleene(pc.is_null(strings), pc.equal(pc.utf8_length(strings), 0))
        missing_np = missing.fill_null(True).to_numpy(zero_copy_only=False)
        values = np.array(strings.to_pylist(), dtype=object)
        values[missing_np] = None
        if col.categories is not None:
            known = pc.is_in(strings, value_set=pa.array([str(c) for c in col.categories]))
            unknown = ~known.fill_null(False).to_numpy(zero_copy_only=False) & ~missing_np
            for i in np.flatnonzero(unknown).tolist():
                problems[i] = f"unknown category {_shorten(values[i])}"
    elif col.type == "bool":
        values, missing_np = _booleans(array, problems)
    else:
        from .score_columns import to_float

        floats, float_problems = to_float(array, allow_missing=True)
        problems.update(float_problems)
        missing_np = np.isnan(floats)
        if col.type == "int":
            fractional = ~missing_np & (floats != np.round(floats))
            for i in np.flatnonzero(fractional).tolist():
                problems.setdefault(i, f"{float(floats[i])!r} is not a whole number")
        values = floats.astype(object)
        if col.type == "int":
            values[~missing_np] = floats[~missing_np].astype(np.int64).tolist()
        values[missing_np] = None
        if col.categories is not None:
            allowed = np.isin(floats, np.asarray(col.categories, dtype=np.float64))
            for i in np.flatnonzero(~allowed & ~missing_np).tolist():
                problems.setdefault(i, f"unknown category {_shorten(values[i])}")
    if not col.nullable:
        for i in np.flatnonzero(missing_np).tolist():
            problems.setdefault(i, "missing value, which the model can't take")
    return values, problems


def _booleans(array: Any, problems: dict[int, str]) -> tuple[np.ndarray, np.ndarray]:
    raw = array.to_pylist()
    values = np.empty(len(raw), dtype=object)
    missing = np.zeros(len(raw), dtype=bool)
    for i, v in enumerate(raw):
        if v is None or (isinstance(v, str) and not v.strip()):
            missing[i] = True
            values[i] = None
        elif isinstance(v, bool):
            values[i] = v
        elif str(v).strip().lower() in TRUE_WORDS:
            values[i] = True
        elif str(v).strip().lower() in FALSE_WORDS:
            values[i] = False
        else:
            values[i] = None
            problems[i] = f"{_shorten(v)} is not true or false"
    return values, missing
