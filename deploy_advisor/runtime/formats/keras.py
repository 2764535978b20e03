"""Keras 3 ``.keras`` files, run on the PyTorch backend (no TensorFlow needed)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..device import torch_device
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
from .torch import to_numpy_outputs

__all__ = ["load_keras"]


def _import_keras(path: Path) -> Any:
    backend = os.environ.setdefault("KERAS_BACKEND", "torch")
    if backend != "torch":
        raise ModelLoadError(
            f"KERAS_BACKEND is {backend!r}; the server runs Keras models on the torch backend: "
            "unset it or set KERAS_BACKEND=torch"
        )
    try:
        import keras  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ModelLoadError(
            f"{path.name} is a Keras model and needs keras and torch: pip install keras "
            "torch==2.13.0"
        ) from exc
    return keras


def _spec(name: str, t: Any) -> TensorSpec:
    dims = tuple(int(d) if isinstance(d, int) else None for d in t.shape)
    return TensorSpec(name=str(name), dtype=str(t.dtype), shape=dims)


def load_keras(path: Path) -> LoadedModel:
    """Load a ``.keras`` file; a layer that cannot be rebuilt or run here is named. Keras's
    torch backend itself places the model on the GPU when torch sees one."""
    keras = _import_keras(path)
    import torch

    device = torch_device(torch)  # refuses MODEL_DEVICE=cuda without a GPU
    try:
        model = keras.saving.load_model(str(path), compile=False)
    except Exception as exc:
        text = str(exc)
        found = re.search(r"Could not locate \w+ '([^']+)'", text) or re.search(
            r"class_name': '([^']+)'", text
        )
        layer = f"layer {found.group(1)!r}" if found else "a layer"
        cause = text.split("Exception encountered:")[-1].strip()[:200]
        raise ModelLoadError(
            f"{path.name}: {layer} cannot be rebuilt on the Keras torch backend "
            f"({type(exc).__name__}: {cause}); register custom layers with "
            "@keras.saving.register_keras_serializable in a module on PYTHONPATH "
            "(scaffold --code PATH), or export the model to ONNX"
        ) from exc
    inputs = tuple(_spec(t.name, t) for t in model.inputs)
    outputs = tuple(_spec(f"output_{k}", t) for k, t in enumerate(model.outputs))
    example = (
        example_tensor(inputs[0])
        if len(inputs) == 1
        else {s.name: example_tensor(s) for s in inputs}
    )

    def run(items: list[tuple[np.ndarray, ...]]) -> list[Any]:
        import torch

        batch = stack_rows(items)
        with torch.inference_mode():
            out = model(batch[0] if len(batch) == 1 else batch, training=False)
        return split_rows(to_numpy_outputs(out), len(items))

    deep = DeepModel(
        kind="tensor",
        inputs=inputs,
        outputs=outputs,
        prepare=tensor_prepare(inputs),
        run=run,
        example=example,
        task="tensor",
        details={"device": "cuda" if torch.cuda.is_available() else str(device)},
    )
    row = deep.prepare(example, {}, "example").data
    try:
        run([row])
    except Exception as exc:
        raise ModelLoadError(
            f"{path.name}: {_failing_layer(model, row)} "
            f"cannot run on the Keras torch backend ({type(exc).__name__}: {str(exc)[:300]})"
        ) from exc
    return LoadedModel(
        path=path,
        format="keras",
        n_features=None,
        feature_names=None,
        output_kind="values",
        sha256=file_sha256(path),
        trained_sklearn_version=None,
        estimator=type(model).__name__,
        schema=InputSchema(columns=()),
        framework="keras",
        framework_version=str(keras.__version__),
        deep=deep,
    )


def _failing_layer(model: Any, row: Any) -> str:
    """``layer 'name' (Class)`` that raises, found by running a Sequential model layer by
    layer on the example; else the model's name."""
    layers = getattr(model, "layers", None)
    if row is None or not layers or type(model).__name__ != "Sequential":
        return f"model {model.name!r}"
    x: Any = np.stack([row[0]])
    for layer in layers:
        try:
            x = layer(x)
        except Exception:
            return f"layer {layer.name!r} ({type(layer).__name__})"
    return f"model {model.name!r}"
