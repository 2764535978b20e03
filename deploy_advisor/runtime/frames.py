"""Typed batches to pandas DataFrames, for models fitted on a DataFrame (named, typed columns).

pandas is imported only when such a model predicts: numeric models never load it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from .schema import Column, InputSchema

__all__ = ["derive_schema", "frame_predictor", "model_schema", "rows_to_frame", "sample_batch"]

_IGNORES_UNKNOWN = {"ignore", "infrequent_if_exist", "use_encoded_value"}


def rows_to_frame(schema: InputSchema, columns: Sequence[Sequence[Any]] | np.ndarray) -> Any:
    """A pandas DataFrame of the schema's columns, each with the dtype its type needs."""
    import pandas as pd  # type: ignore[import-untyped]

    data: dict[str, Any] = {}
    for col, values in zip(schema.columns, columns, strict=True):
        has_missing = any(v is None for v in values)
        if col.type == "float" or (col.type == "int" and has_missing):
            data[col.name] = np.array(values, dtype=np.float64)
        elif col.type == "int":
            data[col.name] = np.array(values, dtype=np.int64)
        elif col.type == "bool" and not has_missing:
            data[col.name] = np.array(values, dtype=bool)
        else:
            cells = np.empty(len(values), dtype=object)
            cells[:] = [np.nan if v is None else v for v in values]
            data[col.name] = cells
    return pd.DataFrame(data, columns=schema.names)


def frame_predictor(
    predict: Callable[[Any], np.ndarray], schema: InputSchema
) -> Callable[[np.ndarray], np.ndarray]:
    """A predict function over typed batches that calls ``predict`` with a DataFrame."""

    def predict_batch(batch: np.ndarray) -> np.ndarray:
        return predict(rows_to_frame(schema, batch.T))

    return predict_batch


def model_schema(model: Any) -> InputSchema | None:
    """The model's schema, or the plain numeric one its feature count implies."""
    schema: InputSchema | None = getattr(model, "schema", None)
    if schema is not None:
        return schema
    if model.n_features is None:
        return None
    return InputSchema.numeric(model.n_features, model.feature_names)


def sample_batch(schema: InputSchema) -> np.ndarray:
    """One plausible typed row: the first category, the training minimum, 0 or False."""
    row = np.empty((1, len(schema.columns)), dtype=object)
    for j, col in enumerate(schema.columns):
        if col.categories:
            row[0, j] = col.categories[0]
        elif col.type == "string":
            row[0, j] = ""
        elif col.type == "bool":
            row[0, j] = False
        elif col.minimum is not None:
            row[0, j] = col.minimum if col.type == "float" else int(col.minimum)
        else:
            row[0, j] = 0.0 if col.type == "float" else 0
    return row


# --- a schema from a fitted scikit-learn pipeline ------------------------------------------


def _column_transformer(est: Any) -> Any:
    for step in [est, *(s for _, s in getattr(est, "steps", []))]:
        if hasattr(step, "transformers_"):
            return step
    return None


def _steps(transformer: Any) -> list[Any]:
    return [s for _, s in getattr(transformer, "steps", [])] or [transformer]


def _names(cols: Any, all_names: list[str]) -> list[str]:
    if isinstance(cols, str):
        return [cols]
    if isinstance(cols, slice):
        return all_names[cols]
    picked = np.asarray(cols)
    if picked.dtype == bool:
        return [n for n, keep in zip(all_names, picked, strict=False) if keep]
    if picked.dtype.kind in "iu":
        return [all_names[int(k)] for k in picked]
    return [str(c) for c in picked]


def _encoded(step: Any, k: int, col: Column) -> Column:
    """The column as a fitted OneHotEncoder/OrdinalEncoder knows it."""
    cats = np.asarray(step.categories_[k])
    known = [c for c in cats.tolist() if not (isinstance(c, float) and np.isnan(c))]
    kind = col.type
    if cats.dtype.kind in "OUS":
        kind = "string" if all(isinstance(c, str) for c in known) else kind
    elif cats.dtype.kind == "b":
        kind = "bool"
    elif cats.dtype.kind in "iu":
        kind = "int"
    strict = getattr(step, "handle_unknown", "error") not in _IGNORES_UNKNOWN
    return Column(
        name=col.name,
        type=kind,
        categories=tuple(known) if strict else None,
        nullable=col.nullable or len(known) < len(cats),
    )


def derive_schema(estimator: Any) -> InputSchema | None:
    """The typed schema of a pipeline with a ColumnTransformer fitted on a DataFrame, or None
    when the model takes plain numbers."""
    names = getattr(estimator, "feature_names_in_", None)
    ct = _column_transformer(estimator)
    if names is None or ct is None:
        return None
    all_names = [str(n) for n in names]
    columns = {n: Column(name=n) for n in all_names}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _, transformer, cols in ct.transformers_:
            if isinstance(transformer, str):
                continue
            picked = _names(cols, all_names)
            for step in _steps(transformer):
                if type(step).__name__ in ("SimpleImputer", "KNNImputer", "IterativeImputer"):
                    for n in picked:
                        columns[n] = replace(columns[n], nullable=True)
                elif hasattr(step, "categories_") and len(step.categories_) == len(picked):
                    for k, n in enumerate(picked):
                        columns[n] = _encoded(step, k, columns[n])
    return InputSchema(columns=tuple(columns[n] for n in all_names), needs_dataframe=True)
