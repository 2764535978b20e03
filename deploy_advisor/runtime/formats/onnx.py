"""ONNX files (``.onnx``), run by onnxruntime on one thread.

One 2-D float tensor input (a table): the float-matrix fast path. Any other inputs (images,
sequences, several inputs, integer types): a tensor model (see :mod:`..tensors`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..model import (
    LoadedModel,
    ModelLoadError,
    choose_output,
    file_sha256,
    framework,
    merged_schema,
)
from ..schema import InputSchema

__all__ = ["load_onnx"]


_ONNX_FLOAT_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64}


def load_onnx(
    path: Path, *, output: str | None = None, schema: InputSchema | None = None
) -> LoadedModel:
    """Load an ONNX model with one float tensor input, run by onnxruntime on one thread."""
    ort = framework(path, "onnxruntime", "an ONNX")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    try:
        sess = ort.InferenceSession(
            str(path), sess_options=opts, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:
        raise ModelLoadError(f"{path.name} is not a usable ONNX model ({exc})") from exc
    inputs = sess.get_inputs()
    if (
        len(inputs) != 1
        or _ONNX_FLOAT_TYPES.get(inputs[0].type) is None
        or len(inputs[0].shape) != 2
    ):
        from .onnx_tensors import load_onnx_tensors

        return load_onnx_tensors(path, sess, str(ort.__version__))
    inp = inputs[0]
    dtype = _ONNX_FLOAT_TYPES[inp.type]
    shape = list(inp.shape)
    n_features = shape[1] if len(shape) == 2 and isinstance(shape[1], int) else None

    outputs = sess.get_outputs()
    chosen = next((o for o in outputs if "prob" in o.name.lower()), None)
    if chosen is not None:
        kind = "probabilities"
    else:
        chosen = outputs[0]
        kind = "labels" if chosen.type in ("tensor(int64)", "tensor(string)") else "values"
    out_name, in_name = chosen.name, inp.name
    out_choice = "predict_proba" if kind == "probabilities" else "predict"
    choose_output((out_choice,), output, path.name)
    is_seq_map = chosen.type.startswith("seq(map")

    run = _fast_run(sess, in_name, out_name, n_features, dtype)

    def predict(batch: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(batch, dtype=dtype)
        out = run([out_name], {in_name: x})[0]
        if is_seq_map:  # ZipMap output: one {class: probability} per row
            keys = sorted(out[0]) if out else []
            return np.array([[row[k] for k in keys] for row in out], dtype=np.float32)
        out = np.asarray(out)
        if kind == "values" and out.ndim == 2 and out.shape[1] == 1:
            out = out[:, 0]
        return out

    return LoadedModel(
        path=path,
        format="onnx",
        n_features=n_features,
        feature_names=None,
        output_kind=kind,
        sha256=file_sha256(path),
        trained_sklearn_version=None,
        classes=None,
        estimator=f"ONNX ({sess.get_modelmeta().producer_name or 'unknown producer'})",
        allows_nan=False,
        schema=merged_schema(InputSchema.numeric(n_features or 0), schema, path.name)
        or InputSchema(columns=()),
        framework="onnx",
        framework_version=str(ort.__version__),
        outputs=(out_choice,),
        output=out_choice,
        _predict=predict,
    )


def _fast_run(
    sess: Any, in_name: str, out_name: str, n_features: int | None, dtype: Any
) -> Callable[[list[str], dict[str, np.ndarray]], list[Any]]:
    """``sess.run`` without its per-call argument checks (about 1.3 us of 5 for one row), when
    this onnxruntime has the inner session and it gives the same answer; else ``sess.run``."""
    inner = getattr(getattr(sess, "_sess", None), "run", None)
    if inner is None or n_features is None:
        return sess.run  # type: ignore[no-any-return]
    try:
        import onnxruntime as ort

        options = ort.RunOptions()
        probe = np.linspace(0.0, 1.0, 2 * n_features).reshape(2, n_features).astype(dtype)
        want = sess.run([out_name], {in_name: probe})[0]
        got = inner([out_name], {in_name: probe}, options)[0]
        if not np.array_equal(np.asarray(want), np.asarray(got)):
            return sess.run  # type: ignore[no-any-return]
    except Exception:
        return sess.run  # type: ignore[no-any-return]

    def run(names: list[str], feed: dict[str, np.ndarray]) -> list[Any]:
        return inner(names, feed, options)  # type: ignore[no-any-return]

    return run
