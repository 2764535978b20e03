"""The typed input schema of a fitted scikit-learn estimator or pipeline.

Read from ``feature_names_in_``, ``ColumnTransformer`` column selections, the fitted encoders'
``categories_`` and ``handle_unknown``, and imputers (which make a column nullable).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..schema import Column, ColumnType, InputSchema

__all__ = ["sklearn_schema"]

_IGNORE_UNKNOWN = ("ignore", "infrequent_if_exist", "warn", "use_encoded_value")


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _is_nan(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _type_of(values: list[Any]) -> ColumnType:
    present = [v for v in values if not _is_nan(v)]
    if present and all(isinstance(v, str) for v in present):
        return "string"
    if present and all(isinstance(v, bool) for v in present):
        return "bool"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "int"
    return "float" if present else "string"


def _steps(est: Any) -> list[Any]:
    """The estimator and, for pipelines, its steps in order (nested pipelines flattened)."""
    steps = getattr(est, "steps", None)
    if isinstance(steps, list):
        out: list[Any] = []
        for _, step in steps:
            if step not in (None, "passthrough"):
                out.extend(_steps(step))
        return out
    return [est]


def _column_facts(trans: Any, n_cols: int) -> list[dict[str, Any]]:
    """What one ColumnTransformer branch says about each of its columns."""
    facts: list[dict[str, Any]] = [{} for _ in range(n_cols)]
    imputed = False
    for step in _steps(trans):
        name = type(step).__name__
        if name in ("SimpleImputer", "KNNImputer", "IterativeImputer"):
            imputed = True
            stats = getattr(step, "statistics_", None)
            if stats is not None and len(stats) == n_cols and _type_of(list(stats)) == "string":
                for f in facts:
                    f.setdefault("type", "string")
        cats = getattr(step, "categories_", None)
        if cats is not None and len(cats) == n_cols and not facts[0].get("categories_seen"):
            unknown = str(getattr(step, "handle_unknown", "error"))
            for f, c in zip(facts, cats, strict=True):
                values = [_plain(v) for v in c]
                known = [v for v in values if not _is_nan(v)]
                f["categories_seen"] = True
                f["type"] = f.get("type") or _type_of(known)
                if len(known) < len(values):
                    f["nullable"] = True
                f["categories"] = tuple(known)
                f["enforced"] = unknown not in _IGNORE_UNKNOWN
    for f in facts:
        if imputed:
            f["nullable"] = True
    return facts


def _transformer_columns(ct: Any, names: list[str]) -> list[tuple[Any, list[int]]]:
    out: list[tuple[Any, list[int]]] = []
    resolved = getattr(ct, "_transformer_to_input_indices", None)
    for name, trans, cols in getattr(ct, "transformers_", []):
        if trans == "drop":
            continue
        if isinstance(resolved, dict) and name in resolved:
            out.append((trans, [int(i) for i in resolved[name] if 0 <= int(i) < len(names)]))
            continue
        idx: list[int] = []
        for c in np.atleast_1d(np.asarray(cols, dtype=object)) if cols is not None else []:
            c = _plain(c)
            if isinstance(c, str) and c in names:
                idx.append(names.index(c))
            elif isinstance(c, bool):
                continue
            elif isinstance(c, int) and 0 <= c < len(names):
                idx.append(c)
        if isinstance(cols, np.ndarray) and cols.dtype == bool:
            idx = [i for i, keep in enumerate(cols) if keep]
        out.append((trans, idx))
    return out


def sklearn_schema(est: Any, *, allow_nan: bool) -> InputSchema | None:
    """The schema of ``est``, or None when it does not record its number of features."""
    raw_names = getattr(est, "feature_names_in_", None)
    n = getattr(est, "n_features_in_", None)
    names = [str(x) for x in raw_names] if raw_names is not None else None
    if names is None and n is None:
        return None
    if names is None:
        names = [f"f{i}" for i in range(int(n or 0))]
    facts: list[dict[str, Any]] = [{} for _ in names]
    uses_column_names = False
    steps = _steps(est)
    first = steps[0] if steps else est
    if type(first).__name__ == "ColumnTransformer":
        uses_column_names = raw_names is not None
        for trans, idx in _transformer_columns(first, names):
            if trans == "passthrough":
                continue
            for j, f in zip(idx, _column_facts(trans, len(idx)), strict=True):
                facts[j].update(f)
    else:
        for j, f in enumerate(_column_facts(est, len(names))):
            facts[j].update(f)
    columns = []
    for name, f in zip(names, facts, strict=True):
        enforced = f.get("enforced", False)
        columns.append(
            Column(
                name=name,
                type=f.get("type", "float"),
                categories=f.get("categories") if enforced else None,
                known_values=f.get("categories") if not enforced else None,
                nullable=bool(f.get("nullable") or allow_nan),
            )
        )
    needs_frame = uses_column_names or any(c.type == "string" for c in columns)
    return InputSchema(columns=tuple(columns), needs_dataframe=needs_frame)
