"""ONNX models whose inputs are not one float table: tensors of any shape and type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..model import LoadedModel, ModelLoadError, file_sha256
from ..schema import InputSchema
from ..tensors import (
    DeepModel,
    TensorSpec,
    example_tensor,
    split_rows,
    stack_rows,
    tensor_prepare,
)

__all__ = ["load_onnx_tensors"]

_TYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(float16)": "float16",
    "tensor(int8)": "int8",
    "tensor(int16)": "int16",
    "tensor(int32)": "int32",
    "tensor(int64)": "int64",
    "tensor(uint8)": "uint8",
    "tensor(uint16)": "uint16",
    "tensor(uint32)": "uint32",
    "tensor(uint64)": "uint64",
    "tensor(bool)": "bool",
}


def _spec(arg: Any, path: Path) -> TensorSpec:
    dtype = _TYPES.get(arg.type)
    if dtype is None:
        raise ModelLoadError(
            f"{path.name}: {arg.name!r} has type {arg.type}; only numeric and boolean tensors "
            "can be served"
        )
    dims = tuple(d if isinstance(d, int) and d > 0 else None for d in (arg.shape or []))
    return TensorSpec(name=arg.name, dtype=dtype, shape=dims or (None,))


def load_onnx_tensors(path: Path, sess: Any, version: str) -> LoadedModel:
    """A tensor model over an onnxruntime session (inputs and outputs read from it)."""
    inputs = tuple(_spec(a, path) for a in sess.get_inputs())
    outputs = tuple(_spec(a, path) for a in sess.get_outputs())
    names = [s.name for s in inputs]
    fixed = inputs[0].shape[0] if inputs[0].shape else None

    def forward(items: list[tuple[np.ndarray, ...]]) -> list[np.ndarray]:
        feed = dict(zip(names, stack_rows(items), strict=True))
        return [np.asarray(o) for o in sess.run(None, feed)]

    def run(items: list[tuple[np.ndarray, ...]]) -> list[Any]:
        if fixed is None:
            return split_rows(forward(items), len(items))
        answers: list[Any] = []
        for start in range(0, len(items), fixed):
            chunk = items[start : start + fixed]
            real = len(chunk)
            chunk = chunk + [chunk[-1]] * (fixed - real)  # the model's fixed batch size
            answers.extend(split_rows(forward(chunk), fixed)[:real])
        return answers

    example = (
        example_tensor(inputs[0])
        if len(inputs) == 1
        else {s.name: example_tensor(s) for s in inputs}
    )
    return LoadedModel(
        path=path,
        format="onnx",
        n_features=None,
        feature_names=None,
        output_kind="values",
        sha256=file_sha256(path),
        trained_sklearn_version=None,
        estimator=f"ONNX ({sess.get_modelmeta().producer_name or 'unknown producer'})",
        schema=InputSchema(columns=()),
        framework="onnx",
        framework_version=version,
        deep=DeepModel(
            kind="tensor",
            inputs=inputs,
            outputs=outputs,
            prepare=tensor_prepare(inputs),
            run=run,
            example=example,
            task="tensor",
        ),
    )
