"""Measure on this machine: load time, latency per single-row prediction, peak memory."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from .model import load, memory_mb
from .rows import parse_rows

__all__ = ["bench"]


def bench(model_path: Path, sample: str, *, predictions: int, warmup: int = 20) -> dict[str, Any]:
    """Load the model once, then time `predictions` one-row calls cycling through the rows of
    the JSON `sample`."""
    model = load(model_path)
    rows = parse_rows(sample, fmt="json", columns=model.columns)
    for i in range(warmup):
        model.predict(rows[i % len(rows) : i % len(rows) + 1])
    latencies = np.empty(predictions)
    for i in range(predictions):
        row = rows[i % len(rows) : i % len(rows) + 1]
        started = time.perf_counter()
        model.predict(row)
        latencies[i] = time.perf_counter() - started
    ms = latencies * 1000
    return {
        "load_ms": round(model.load_seconds * 1000, 2),
        "predictions": predictions,
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "mean_ms": round(float(ms.mean()), 3),
        **memory_mb(),
    }
