"""Compare the original model with its ONNX export on sample rows: the largest difference."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from deploy_advisor.errors import ModelError

__all__ = [
    "DEFAULT_TOLERANCE",
    "ParityReport",
    "SampleRows",
    "check_parity",
    "numeric_sample",
    "onnx_outputs",
    "sample_rows",
]

DEFAULT_TOLERANCE = 1e-4
Feed = np.ndarray | dict[str, np.ndarray]
"""What an ONNX model is run on: one float tensor of rows, or one tensor per input by name."""


@dataclass(frozen=True)
class SampleRows:
    """The same sample rows as the original model takes them and as its ONNX export does."""

    original: Any
    """A float64 matrix, or the DataFrame of a model over named, typed columns."""
    onnx: Feed
    count: int
    body: dict[str, Any]
    """The first rows as a request body for the bundle's sample.json."""


@dataclass(frozen=True)
class ParityReport:
    """The largest absolute difference between two models on the same rows."""

    max_abs_diff: float
    tolerance: float
    rows: int
    compared: str  # "probabilities" | "predictions"
    accepted_drift: bool

    @property
    def within(self) -> bool:
        return self.max_abs_diff <= self.tolerance


def sample_rows(estimator: Any, *, n_features: int, n: int = 500, seed: int = 0) -> np.ndarray:
    """Rows to compare on: inside the split thresholds of a tree model, else standard normal."""
    rng = np.random.default_rng(seed)
    low, high = _threshold_ranges(estimator, n_features)
    if low is None:
        return rng.normal(size=(n, n_features)).astype(np.float32)
    return rng.uniform(low, high, size=(n, n_features)).astype(np.float32)


def numeric_sample(estimator: Any, *, n_features: int, shown: int = 20) -> SampleRows:
    """Rows of numbers (see :func:`sample_rows`), the first `shown` as `instances`."""
    rows = sample_rows(estimator, n_features=n_features)
    body = {"instances": rows[:shown].astype(float).round(6).tolist()}
    return SampleRows(original=rows.astype(np.float64), onnx=rows, count=len(rows), body=body)


def onnx_outputs(path: Path, rows: Feed) -> np.ndarray:
    """The ONNX model's probabilities when it has them, else its first output."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # converters declare label shapes onnxruntime warns about
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    if not isinstance(rows, dict):
        rows = {session.get_inputs()[0].name: rows.astype(np.float32)}
    outputs = session.run(None, rows)
    chosen = outputs[1] if len(outputs) > 1 else outputs[0]
    if isinstance(chosen, list) and chosen and isinstance(chosen[0], dict):  # ZipMap: per row
        chosen = [[row[key] for key in sorted(row)] for row in chosen]
    return np.asarray(chosen, dtype=np.float64)


def check_parity(
    *,
    estimator: Any,
    onnx_path: Path,
    sample: SampleRows,
    tolerance: float = DEFAULT_TOLERANCE,
    accept_drift: bool = False,
) -> ParityReport:
    """Max |original − ONNX| on the sample; refuses above `tolerance` unless `accept_drift`."""
    compared = "probabilities" if hasattr(estimator, "predict_proba") else "predictions"
    try:
        if compared == "probabilities":
            expected = estimator.predict_proba(sample.original)
        else:
            expected = estimator.predict(sample.original)
    except Exception as exc:
        raise ModelError(
            f"the model itself fails on the sample rows the parity check draws from its input "
            f"schema ({type(exc).__name__}: {' '.join(str(exc).split())[:160]}); serve it with "
            "--target docker"
        ) from None
    actual = onnx_outputs(onnx_path, sample.onnx)
    expected = np.asarray(expected, dtype=np.float64).reshape(actual.shape)
    report = ParityReport(
        max_abs_diff=float(np.max(np.abs(expected - actual))) if sample.count else 0.0,
        tolerance=tolerance,
        rows=sample.count,
        compared=compared,
        accepted_drift=accept_drift,
    )
    if not report.within and not accept_drift:
        raise ModelError(
            f"ONNX {compared} differ from the original by up to {report.max_abs_diff:.3g} on "
            f"{report.rows} sample rows, over the tolerance {tolerance:g}; "
            "pass --accept-drift to bundle it anyway"
        )
    return report


def _threshold_ranges(estimator: Any, n_features: int) -> tuple[Any, Any]:
    """Per-feature [min, max] of the split thresholds of a tree or tree ensemble."""
    members = np.ravel(np.asarray(getattr(estimator, "estimators_", [estimator]), dtype=object))
    trees: list[Any] = [m.tree_ for m in members if hasattr(m, "tree_")]
    if not trees:
        return None, None
    low = np.full(n_features, np.inf)
    high = np.full(n_features, -np.inf)
    for tree in trees:
        split = tree.feature >= 0
        np.minimum.at(low, tree.feature[split], tree.threshold[split])
        np.maximum.at(high, tree.feature[split], tree.threshold[split])
    unused = ~np.isfinite(low)
    low[unused], high[unused] = 0.0, 1.0
    span = np.maximum(high - low, 1e-6)
    return low - 0.1 * span, high + 0.1 * span
