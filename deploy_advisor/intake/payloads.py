"""Sample request bodies for `POST /predict`, written to `samples/payloads.json` for load tests."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy_advisor.errors import InputError, ModelError
from deploy_advisor.files import check_output_dir, write_atomic

if TYPE_CHECKING:
    import numpy as np

    from deploy_advisor.intake.inspect import ModelReport
    from deploy_advisor.runtime.schema import Column, InputSchema

__all__ = [
    "BATCH_ROWS",
    "MAX_PAYLOADS",
    "check_count",
    "sample_payloads",
    "schema_rows",
    "write_payloads",
]

BATCH_ROWS = 4
#: The most sample bodies `inspect --count` makes: enough for any load test, small enough to hold.
MAX_PAYLOADS = 10_000
# Every fourth body is a small batch; with feature names, every fourth-but-one is a record.
_CYCLE = ("row", "row", "records", "batch")


def check_count(count: int) -> None:
    """Refuse a number of sample bodies below 1 or above :data:`MAX_PAYLOADS`."""
    if count < 1:
        raise ModelError(f"--count {count} is too small; ask for at least 1 payload")
    if count > MAX_PAYLOADS:
        raise ModelError(
            f"--count {count:,} is too large; ask for at most {MAX_PAYLOADS:,} payloads "
            "(a load test cycles through them)"
        )


def sample_payloads(report: ModelReport, *, count: int = 20, seed: int = 0) -> list[dict[str, Any]]:
    """Mostly single-row bodies, some small batches, and `records` bodies when names are known."""
    if report.deep is not None and report.deep.get("example") is not None:
        example = report.deep["example"]
        return [{"instances": [example] * (1 + i % BATCH_ROWS)} for i in range(max(1, count))]
    if not report.n_features:
        raise ModelError(
            f"Cannot generate payloads for `{report.path}`: it does not record its number of "
            "features; save it after fitting on data with a fixed number of columns"
        )
    check_count(count)
    schema = report.input_schema if report.schema else None
    typed = schema is not None and bool(schema.columns) and not schema.numeric_only
    if typed or (schema is not None and _has_ranges(schema)):
        assert schema is not None
        rows: list[list[Any]] = schema_rows(schema, count * BATCH_ROWS, seed=seed)
    else:
        rows = _rows(report, count * BATCH_ROWS, seed)
    names = report.feature_names or (schema.names if typed and schema is not None else None)
    bodies: list[dict[str, Any]] = []
    cursor = 0
    for index in range(count):
        kind = _CYCLE[index % len(_CYCLE)]
        size = BATCH_ROWS if kind == "batch" else 1
        chunk = rows[cursor : cursor + size]
        cursor += size
        if (kind == "records" or typed) and names:
            bodies.append({"records": [dict(zip(names, row, strict=True)) for row in chunk]})
        else:
            bodies.append({"instances": chunk})
    return bodies


def _has_ranges(schema: InputSchema) -> bool:
    return any(c.minimum is not None and c.maximum is not None for c in schema.columns)


def _number(rng: Any, col: Column) -> float | int:
    lo, hi = col.minimum, col.maximum
    if col.type == "int":
        low = int(lo) if lo is not None else 0
        high = int(hi) if hi is not None else max(low, 0) + 100
        return int(rng.integers(low, max(high, low) + 1))
    if lo is not None and hi is not None:
        return round(float(rng.uniform(lo, hi)), 4)
    return round(float(rng.normal()), 4)


def schema_rows(schema: InputSchema, n_rows: int, *, seed: int = 0) -> list[list[Any]]:
    """Rows drawn from the schema: known categories, numbers within the ranges seen in
    training, booleans; every row is one the model takes."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rows: list[list[Any]] = []
    for _ in range(n_rows):
        row: list[Any] = []
        for col in schema.columns:
            pool = col.categories or col.known_values
            if pool:
                row.append(pool[int(rng.integers(0, len(pool)))])
            elif col.type == "string":
                row.append(f"{col.name}-{int(rng.integers(0, 5))}")
            elif col.type == "bool":
                row.append(bool(rng.integers(0, 2)))
            else:
                row.append(_number(rng, col))
        rows.append(row)
    return rows


def _rows(report: ModelReport, n_rows: int, seed: int) -> list[list[float]]:
    """Real rows of the bundled dataset for the example model, else values from the schema."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if report.sample_dataset == "breast_cancer":
        from sklearn.datasets import load_breast_cancer

        data = load_breast_cancer().data
        picked: np.ndarray = data[rng.integers(0, len(data), size=n_rows)]
    else:
        picked = np.round(rng.normal(size=(n_rows, report.n_features or 0)), 4)
    return [[float(value) for value in row] for row in picked]


def write_payloads(path: Path, bodies: list[dict[str, Any]], *, force: bool = False) -> None:
    """Write the bodies as one JSON list, atomically; refuse to replace a file without force."""
    import json

    if path.exists() and not force:
        raise InputError(f"{path} already exists; pass --force to overwrite it")
    check_output_dir(path.parent, flag="--payloads")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(bodies) + "\n")
