"""Deep-learning models behind one interface: tensors, text and images in, answers out.

A `DeepModel` turns one JSON instance into a `Prepared` item (decoded, checked, tokenised or
preprocessed; a bad one raises `InputError`, answered 4xx) and runs a list of prepared items
in one forward pass. Items with the same ``key`` can share a batch (same tensor shapes; text
items share any batch, padded to the longest). ``tokens`` is what an item costs in a padded
batch, for the token budget.

This module is part of the self-contained runtime: standard library and numpy only.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = [
    "NUMPY_DTYPES",
    "V2_DATATYPES",
    "DeepModel",
    "InputError",
    "Prepared",
    "TensorSpec",
    "tensor_from_json",
    "tensor_prepare",
    "v2_datatype",
]

Kind = Literal["tensor", "text", "image"]

V2_DATATYPES = {
    "BOOL": "bool",
    "UINT8": "uint8",
    "UINT16": "uint16",
    "UINT32": "uint32",
    "UINT64": "uint64",
    "INT8": "int8",
    "INT16": "int16",
    "INT32": "int32",
    "INT64": "int64",
    "FP16": "float16",
    "FP32": "float32",
    "FP64": "float64",
    "BF16": "bfloat16",
}
"""OIP v2 datatype -> numpy dtype name (``bfloat16`` travels as float32 and is cast by torch)."""
NUMPY_DTYPES = {v: k for k, v in V2_DATATYPES.items()}


class InputError(Exception):
    """A request the model cannot take; ``status`` is 400 (malformed) or 422 (wrong values)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class TensorSpec:
    """One named tensor: dtype (a numpy name) and shape (None for a dimension of any size;
    the first dimension is the batch)."""

    name: str
    dtype: str
    shape: tuple[int | None, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "datatype": NUMPY_DTYPES.get(self.dtype),
            "shape": [-1 if d is None else d for d in self.shape] if self.shape else None,
        }

    def check_row(self, row: np.ndarray, where: str) -> np.ndarray:
        """``row`` (one instance, no batch dimension) cast to this dtype, or InputError."""
        want = self.shape[1:]
        if row.ndim != len(want) or any(
            w is not None and w != g for w, g in zip(want, row.shape, strict=False)
        ):
            shown = ["any" if d is None else d for d in want]
            raise InputError(
                f"{where}: input {self.name!r} has shape {list(row.shape)} but the model takes "
                f"{shown} per instance"
            )
        return cast_to(row, self.dtype, where, self.name)


def cast_to(a: np.ndarray, dtype: str, where: str, name: str) -> np.ndarray:
    """``a`` as ``dtype``; floats into an integer or bool tensor are refused (no silent loss)."""
    target = np.dtype("float32" if dtype == "bfloat16" else dtype)
    if a.dtype == target:
        return a
    if a.dtype.kind not in "biuf":
        raise InputError(f"{where}: input {name!r} must hold numbers, not {a.dtype} values")
    if (
        target.kind in "biu"
        and a.dtype.kind == "f"
        and (not np.all(np.isfinite(a)) or not np.all(a == np.round(a)))
    ):
        raise InputError(f"{where}: input {name!r} takes {dtype} (whole numbers) but got fractions")
    if target.kind == "b" and a.dtype.kind != "b" and not np.all((a == 0) | (a == 1)):
        raise InputError(f"{where}: input {name!r} takes booleans (true/false or 0/1)")
    if target.kind in "iu" and a.size:
        info = np.iinfo(target)
        if a.min() < info.min or a.max() > info.max:
            raise InputError(f"{where}: input {name!r} has values out of the {dtype} range")
    return a.astype(target)


def tensor_from_json(value: Any, where: str, name: str) -> np.ndarray:
    """A numeric array from nested JSON lists (ragged or non-numeric -> InputError)."""
    try:
        a = np.asarray(value)
    except (ValueError, TypeError, OverflowError):
        raise InputError(
            f"{where}: input {name!r} is a ragged list; every row needs the same length"
        ) from None
    if a.dtype == object:
        raise InputError(f"{where}: input {name!r} is ragged or holds non-numbers")
    if a.dtype.kind not in "biuf":
        raise InputError(f"{where}: input {name!r} must hold numbers, not {a.dtype.name} values")
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        raise InputError(f"{where}: input {name!r} holds NaN or infinity")
    return a


def v2_datatype(dtype: np.dtype[Any]) -> str:
    """The OIP v2 datatype of a numpy dtype (strings and objects travel as BYTES)."""
    return NUMPY_DTYPES.get(dtype.name, "BYTES")


@dataclass
class Prepared:
    """One instance ready for the model."""

    data: Any
    key: Hashable = None
    tokens: int = 1


@dataclass
class DeepModel:
    """What the server needs from a tensor, text or image model."""

    kind: Kind
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    prepare: Callable[[Any, dict[str, Any], str], Prepared]
    """One JSON instance (+ request parameters, + where for messages) -> a prepared item."""
    run: Callable[[list[Any]], list[Any]]
    """Prepared data of a batch -> one answer per item (a tuple of arrays, one per output, for
    tensor models; JSON-ready values for text and image tasks)."""
    example: Any
    """A valid JSON instance (warm-up, docs)."""
    task: str | None = None
    labels: list[str] | None = None
    max_length: int | None = None
    """Longest text in tokens the model takes (text models)."""
    details: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "kind": self.kind,
            "task": self.task,
            "inputs": [s.to_json() for s in self.inputs],
            "outputs": [s.to_json() for s in self.outputs],
            "labels": self.labels,
        }
        if self.max_length is not None:
            doc["max_length"] = self.max_length
        doc.update(self.details)
        return doc


def tensor_prepare(
    inputs: tuple[TensorSpec, ...],
) -> Callable[[Any, dict[str, Any], str], Prepared]:
    """``prepare`` for a tensor model: an instance is a nested list (one input) or an object
    of nested lists by input name. Shapes and dtypes are checked against ``inputs``; an input
    of ``dtype="any"`` (TorchScript) takes float32 for fractions and int64 for whole numbers."""
    names = [s.name for s in inputs]

    def prepare(instance: Any, params: dict[str, Any], where: str) -> Prepared:
        if len(inputs) == 1 and not isinstance(instance, dict):
            values = [instance]
        elif isinstance(instance, dict):
            missing = [n for n in names if n not in instance]
            if missing:
                raise InputError(f"{where}: missing input(s) {missing}; the model takes {names}")
            unknown = [k for k in instance if k not in names]
            if unknown:
                raise InputError(f"{where}: unknown input(s) {unknown}; the model takes {names}")
            values = [instance[n] for n in names]
        else:
            raise InputError(f"{where}: send an object with the inputs {names}")
        arrays = []
        for spec, v in zip(inputs, values, strict=True):
            a = tensor_from_json(v, where, spec.name)
            if spec.dtype == "any":
                a = cast_to(a, "int64" if a.dtype.kind in "iu" else "float32", where, spec.name)
            else:
                a = spec.check_row(a, where)
            arrays.append(a)
        key = tuple((a.shape, a.dtype.str) for a in arrays)
        return Prepared(tuple(arrays), key, 1)

    return prepare


def stack_rows(items: list[tuple[np.ndarray, ...]]) -> list[np.ndarray]:
    """Per-input batches from per-instance tuples of arrays."""
    return [np.stack([it[k] for it in items]) for k in range(len(items[0]))]


def split_rows(outs: list[np.ndarray], n: int) -> list[tuple[np.ndarray, ...]]:
    """Per-instance tuples of output arrays from batched outputs."""
    for o in outs:
        if o.ndim == 0 or o.shape[0] != n:
            raise RuntimeError(
                f"the model returned an output of shape {list(o.shape)} for a batch of {n}"
            )
    return [tuple(o[i] for o in outs) for i in range(n)]


def example_tensor(spec: TensorSpec, fill: int = 1) -> list[Any]:
    """A small valid instance (dynamic dimensions set to ``fill``) as nested lists."""
    shape = tuple(fill if d is None else d for d in spec.shape[1:])
    dtype = np.dtype("float32" if spec.dtype == "bfloat16" else spec.dtype)
    value: list[Any] = np.zeros(shape, dtype=dtype).tolist()
    return value
