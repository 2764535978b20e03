"""Correct a model's derived input schema from a sample of its training data (CSV or Parquet)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy_advisor.errors import InputError

if TYPE_CHECKING:
    from deploy_advisor.runtime.schema import Column, ColumnType, InputSchema

__all__ = ["MAX_KNOWN_VALUES", "read_sample", "schema_from_sample"]

MAX_KNOWN_VALUES = 50
"""A string column with more distinct values than this in the sample records none of them."""


def read_sample(path: Path) -> Any:
    """The sample as a pandas DataFrame; InputError naming the file when it cannot be read."""
    try:
        import pandas as pd
    except ImportError:
        raise InputError("--sample needs pandas: pip install 'deploy-advisor[tabular]'") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix == ".csv":
            return pd.read_csv(path)
    except (OSError, ValueError, ImportError) as exc:
        raise InputError(
            f"--sample {path} cannot be read ({exc}); pass a CSV or Parquet file"
        ) from None
    raise InputError(f"--sample {path}: use a .csv or .parquet file of training rows")


def _kind(series: Any) -> ColumnType:
    import pandas as pd

    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        present = series.dropna()
        is_whole = len(present) > 0 and bool((present == present.round()).all())
        return "int" if is_whole and series.isna().any() else "float"
    return "string"


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _corrected(col: Column, series: Any, frame_model: bool, path: Path) -> Column:
    kind = col.type if col.type == "string" or col.categories is not None else _kind(series)
    if kind == "string" and col.type != "string" and not frame_model:
        raise InputError(
            f"--sample {path}: column {col.name!r} holds text, but the model takes numbers there; "
            "encode it as the model was trained, or fix the sample"
        )
    if col.type in ("bool",) and kind in ("int", "float"):
        kind = col.type
    changes: dict[str, Any] = {"type": kind, "nullable": col.nullable or bool(series.isna().any())}
    present = series.dropna()
    if kind in ("int", "float") and len(present):
        changes["minimum"] = float(present.min())
        changes["maximum"] = float(present.max())
    if kind == "string" and col.categories is None:
        values = sorted({str(v) for v in present})
        if values and len(values) <= MAX_KNOWN_VALUES:
            changes["known_values"] = tuple(values)
    if kind == "bool" and col.categories is not None:
        changes["categories"] = tuple(bool(_plain(v)) for v in col.categories)
    return dataclasses.replace(col, **changes)


def schema_from_sample(schema: InputSchema, path: Path) -> InputSchema:
    """``schema`` with types, ranges, known values and missing values taken from the sample;
    categories a fitted encoder enforces are kept."""
    from deploy_advisor.runtime.schema import InputSchema

    frame = read_sample(path)
    names = [str(c) for c in frame.columns]
    missing = [c.name for c in schema.columns if c.name not in names]
    if missing:
        shown = ", ".join(missing[:8])
        raise InputError(
            f"--sample {path} lacks the model's column(s) {shown}; its columns are "
            f"{', '.join(names[:8])}{', ...' if len(names) > 8 else ''}"
        )
    frame.columns = names
    frame_model = schema.needs_dataframe
    columns = tuple(_corrected(c, frame[c.name], frame_model, path) for c in schema.columns)
    return InputSchema(columns=columns, needs_dataframe=schema.needs_dataframe)
