"""Load an ONNX model with onnxruntime and predict rows, timing the load."""

from __future__ import annotations

import math
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .columns import InputColumn, feed, typed_columns

__all__ = ["EdgeModel", "load", "memory_mb"]


@dataclass
class EdgeModel:
    """An ONNX inference session with what the command line reports about it."""

    session: Any
    input_name: str
    n_features: int | None
    output_names: list[str]
    load_seconds: float
    columns: list[InputColumn] | None = None
    """The named, typed columns of a model with one input per column; None: one float tensor."""
    row_shape: tuple[int, ...] | None = None
    """The shape of one row of an N-D input (a tensor model); rows arrive flattened."""

    def predict(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Every model output for a 2-D batch (floats, or checked typed rows), by output name."""
        if self.columns is not None:
            outputs = self.session.run(None, feed(rows, self.columns))
            return dict(zip(self.output_names, map(np.asarray, outputs), strict=True))
        batch = np.ascontiguousarray(rows, dtype=np.float32)
        if batch.ndim != 2 or (self.n_features and batch.shape[1] != self.n_features):
            raise ValueError(f"expected rows of {self.n_features} numbers, got shape {batch.shape}")
        if self.row_shape is not None:
            batch = batch.reshape(len(batch), *self.row_shape)
        outputs = self.session.run(None, {self.input_name: batch})
        return {
            name: np.asarray(value) for name, value in zip(self.output_names, outputs, strict=True)
        }

    def records(self, rows: np.ndarray) -> list[dict[str, Any]]:
        """One JSON-ready dict per row: each output's value for that row."""
        outputs = self.predict(rows)
        return [
            {name: _plain(value[i]) for name, value in outputs.items()} for i in range(len(rows))
        ]


def load(path: Path, *, threads: int = 1) -> EdgeModel:
    """Open the model with the CPU provider; the load time includes importing onnxruntime."""
    started = time.perf_counter()
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    first = session.get_inputs()[0]
    columns = typed_columns(session)
    width = first.shape[1] if len(first.shape) == 2 else None
    row_shape = None
    if len(first.shape) > 2 and all(isinstance(d, int) for d in first.shape[1:]):
        row_shape = tuple(first.shape[1:])
        width = math.prod(row_shape)
    if columns is not None:
        width = len(columns)
    return EdgeModel(
        session=session,
        input_name=first.name,
        n_features=width if isinstance(width, int) else None,
        output_names=[o.name for o in session.get_outputs()],
        load_seconds=time.perf_counter() - started,
        columns=columns,
        row_shape=row_shape,
    )


def memory_mb() -> dict[str, float]:
    """Resident memory now and at its peak, in MB (Linux /proc; getrusage elsewhere)."""
    status = Path("/proc/self/status")
    if status.exists():
        fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        return {
            "rss_mb": round(int(fields["VmRSS"].split()[0]) / 1024, 1),
            "peak_rss_mb": round(int(fields["VmHWM"].split()[0]) / 1024, 1),
        }
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rss_mb": round(peak, 1), "peak_rss_mb": round(peak, 1)}


def _plain(value: Any) -> Any:
    return value.tolist() if isinstance(value, np.ndarray) else np.asarray(value).item()
