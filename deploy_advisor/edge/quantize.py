"""Dynamic quantisation with onnxruntime, reported as size and parity before and after."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deploy_advisor.errors import ModelError

from .parity import SampleRows, onnx_outputs

__all__ = ["QUANTIZABLE_OPS", "QuantizeReport", "quantize"]

QUANTIZABLE_OPS = frozenset({"MatMul", "Gemm", "Conv", "Attention", "LSTM", "GRU"})


@dataclass(frozen=True)
class QuantizeReport:
    """What dynamic quantisation changed: size, and the largest output difference."""

    size_before: int
    size_after: int
    max_abs_diff: float
    note: str = ""

    @property
    def changed(self) -> bool:
        """False when nothing in the model could be quantised (tree ensembles, for instance)."""
        return self.size_after < self.size_before


def quantize(*, onnx_path: Path, out_path: Path, sample: SampleRows) -> QuantizeReport:
    """Write a dynamically quantised (int8 weights) copy of `onnx_path` to `out_path`."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    size = onnx_path.stat().st_size
    ops = {node.op_type for node in onnx.load(str(onnx_path)).graph.node}
    if not ops & QUANTIZABLE_OPS:
        note = (
            f"nothing to quantise: the model has no {'/'.join(sorted(QUANTIZABLE_OPS))} "
            f"(its operators: {', '.join(sorted(ops))}); tree ensembles keep float thresholds"
        )
        return QuantizeReport(size_before=size, size_after=size, max_abs_diff=0.0, note=note)
    with tempfile.TemporaryDirectory(dir=out_path.parent) as tmp:
        staged = Path(tmp) / out_path.name
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # quantize_dynamic logs a pre-processing tip as a warning
        try:
            quantize_dynamic(str(onnx_path), str(staged), weight_type=QuantType.QInt8)
        except Exception as exc:
            raise ModelError(
                f"dynamic quantisation of {onnx_path} failed ({type(exc).__name__}: "
                f"{str(exc)[:160]}); drop --quantize"
            ) from None
        finally:
            root.setLevel(level)
        before, after = onnx_outputs(onnx_path, sample.onnx), onnx_outputs(staged, sample.onnx)
        staged.replace(out_path)
    return QuantizeReport(
        size_before=size,
        size_after=out_path.stat().st_size,
        max_abs_diff=float(np.max(np.abs(before - after))) if sample.count else 0.0,
    )
