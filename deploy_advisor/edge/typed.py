"""Export a scikit-learn pipeline over named, typed columns (fitted on a DataFrame) to ONNX with
one input per column, and the sample rows its parity check runs on.

The columns come from the schema the server derives (`runtime/formats/sklearn_schema.py`):
strings become `StringTensorType([None, 1])`, whole numbers that are never missing
`Int64TensorType`, other numbers and booleans `FloatTensorType` (a missing value as NaN). They
are written into the ONNX metadata, where the bundle's runtime reads them back.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from deploy_advisor.edge_runtime.columns import SCHEMA_KEY, InputColumn, check_rows, feed
from deploy_advisor.errors import ModelError
from deploy_advisor.runtime.schema import Column, InputSchema

from .parity import SampleRows
from .steps import failing_step, onnx_ready

__all__ = ["UNSEEN_TEXT", "convert_typed", "input_columns", "typed_sample", "typed_schema"]

MISSING_SHARE = 0.1
"""How many sample values are missing, in a column that may be missing."""
UNSEEN_SHARE = 0.05
"""How many sample strings are unseen in training, in a column whose encoder ignores those."""
UNSEEN_TEXT = "unseen-in-training"


def typed_schema(estimator: Any, model_path: Path) -> InputSchema | None:
    """The schema of a model that takes a DataFrame (named, typed columns), else None."""
    from deploy_advisor.runtime.formats.sklearn import wrap_estimator
    from deploy_advisor.runtime.model import ModelLoadError

    try:
        schema = wrap_estimator(estimator, model_path, "joblib", None).schema
    except ModelLoadError as exc:
        raise ModelError(str(exc)) from None
    return schema if schema.needs_dataframe and schema.columns else None


def _tensor(column: Column) -> str:
    if column.type == "string":
        return "string"
    return "int64" if column.type == "int" and not column.nullable else "float"


def input_columns(schema: InputSchema) -> list[InputColumn]:
    """The ONNX input of each column of the schema, as the bundle's runtime feeds it."""
    return [
        InputColumn(c.name, _tensor(c), c.type, c.nullable, c.categories) for c in schema.columns
    ]


def convert_typed(estimator: Any, schema: InputSchema, *, model_path: Path) -> Any:
    """The ONNX model of `estimator` with one input per column, no ZipMap, columns in metadata."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType

    kinds = {"string": StringTensorType, "int64": Int64TensorType, "float": FloatTensorType}
    columns = input_columns(schema)
    ready = onnx_ready(estimator, model_path=model_path)
    final = ready.steps[-1][1] if hasattr(ready, "steps") else ready
    options = {id(final): {"zipmap": False}} if hasattr(final, "predict_proba") else None
    try:
        onnx_model = convert_sklearn(
            ready,
            initial_types=[(c.name, kinds[c.tensor]([None, 1])) for c in columns],
            options=options,
        )
    except Exception as exc:
        step = failing_step(exc.__traceback__, ready)
        where = f"step {step}" if step else "the pipeline"
        raise ModelError(
            f"{model_path.name}: skl2onnx cannot convert {where} ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:160]}); serve it with --target docker, or export it "
            "to ONNX yourself and pass the .onnx"
        ) from None
    entry = onnx_model.metadata_props.add()
    entry.key, entry.value = SCHEMA_KEY, json.dumps([c.to_json() for c in columns])
    return onnx_model


def _value(rng: np.random.Generator, column: Column) -> Any:
    """One valid value of the column: a known category, a number in range, a boolean."""
    pool = column.categories or column.known_values
    if pool:
        return pool[int(rng.integers(0, len(pool)))]
    if column.type == "string":
        return f"{column.name}-{int(rng.integers(0, 5))}"
    if column.type == "bool":
        return bool(rng.integers(0, 2))
    low, high = column.minimum, column.maximum
    if column.type == "int":
        start = int(low or 0)
        return int(rng.integers(start, max(start, int(high if high is not None else 100)) + 1))
    if low is not None and high is not None:
        return round(float(rng.uniform(low, high)), 4)
    return round(float(rng.normal()), 4)


def _with_range(column: Column, estimator: Any) -> Column:
    """The column with the range a fitted scaler saw (mean ± 2 standard deviations) when the
    schema has none: realistic numbers for the sample and the parity check."""
    if column.type not in ("float", "int") or column.minimum is not None or column.categories:
        return column
    for _, transformer, selected in getattr(_first_step(estimator), "transformers_", []):
        names = [str(c) for c in np.atleast_1d(np.asarray(selected, dtype=object))]
        steps = [s for _, s in getattr(transformer, "steps", [])] or [transformer]
        scaler = next((s for s in steps if hasattr(s, "mean_") and hasattr(s, "scale_")), None)
        if scaler is not None and column.name in names and len(names) == len(scaler.mean_):
            mean, scale = (
                scaler.mean_[names.index(column.name)],
                scaler.scale_[names.index(column.name)],
            )
            return replace(column, minimum=float(mean - 2 * scale), maximum=float(mean + 2 * scale))
    return column


def _first_step(estimator: Any) -> Any:
    steps = getattr(estimator, "steps", None)
    return steps[0][1] if steps else estimator


def typed_sample(
    estimator: Any, schema: InputSchema, *, n: int = 500, seed: int = 0, shown: int = 20
) -> SampleRows:
    """Rows drawn from the schema, with missing values where a column may be missing and unseen
    strings where the encoder ignores them: as a DataFrame for the pipeline and as one tensor
    per column for the ONNX model; the first `shown` as records for sample.json."""
    from deploy_advisor.runtime.frames import to_frame

    rng = np.random.default_rng(seed)
    ranged = [_with_range(column, estimator) for column in schema.columns]
    rows: list[list[Any]] = []
    for _ in range(n):
        row: list[Any] = []
        for column in ranged:
            draw = rng.random()
            if column.nullable and draw < MISSING_SHARE:
                row.append(None)
            elif column.type == "string" and column.categories is None and draw > 1 - UNSEEN_SHARE:
                row.append(UNSEEN_TEXT)
            else:
                row.append(_value(rng, column))
        rows.append(row)
    columns = input_columns(schema)
    table = check_rows(rows, columns)
    named = getattr(estimator, "feature_names_in_", None) is not None
    records = [dict(zip(schema.names, row, strict=True)) for row in rows[:shown]]
    return SampleRows(
        original=to_frame(table, schema, named=named),
        onnx=feed(table, columns),
        count=n,
        body={"records": records},
    )
