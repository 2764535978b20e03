"""What the batch scorer's readers share: a rejected row, and a column read as numbers.

Part of the self-contained runtime (standard library, numpy; pyarrow imported when used).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Reject", "to_float"]


@dataclass(frozen=True)
class Reject:
    """A row that was not scored, and why."""

    row: int
    key: str
    reason: str


def to_float(array: Any, *, allow_missing: bool) -> tuple[np.ndarray, dict[int, str]]:
    """One column as float64, plus the positions of empty, non-numeric or non-finite values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        try:
            converted = pc.cast(array, pa.float64())
        except pa.ArrowInvalid:
            trimmed = pc.utf8_trim_whitespace(array)
            parsable = pc.match_substring_regex(trimmed, _NUMBER)
            converted = pc.cast(pc.if_else(parsable, trimmed, None), pa.float64())
    elif (
        pa.types.is_integer(array.type)
        or pa.types.is_floating(array.type)
        or pa.types.is_boolean(array.type)
    ):
        converted = pc.cast(array, pa.float64())
    else:
        converted = pa.nulls(len(array), pa.float64())
    values = converted.to_numpy(zero_copy_only=False)
    bad = ~np.isfinite(values)
    if not bad.any():
        return values, {}
    values = values.copy()
    originals = array.to_pylist()
    problems = {}
    for i in np.flatnonzero(bad).tolist():
        original = originals[i]
        missing = original is None or (isinstance(original, str) and not original.strip())
        if allow_missing and (missing or _looks_nan(original)):
            values[i] = np.nan
        elif missing:
            problems[i] = "empty value"
        elif np.isnan(values[i]) and not _looks_nan(original):
            problems[i] = f"{_shorten(original)} is not a number"
        else:
            problems[i] = f"{_shorten(original)} is not a finite number"
    return values, problems


_NUMBER = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^[-+]?(?i:inf|infinity|nan)$"


def _looks_nan(value: object) -> bool:
    return isinstance(value, float) or str(value).strip().lower() in {"nan", "+nan", "-nan"}


def _shorten(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…'"
