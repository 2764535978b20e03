"""The steps of a scikit-learn pipeline as skl2onnx sees them: which have no converter, which
need a change first, and which one a converter failure came from."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from deploy_advisor.edge_runtime.columns import MISSING_TEXT
from deploy_advisor.errors import ModelError

__all__ = ["failing_step", "named_steps", "onnx_ready"]

_ENCODERS = ("OneHotEncoder", "OrdinalEncoder")


def named_steps(model: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every estimator inside `model` with its path of step names (`columns/categories/encode`)."""
    children: list[tuple[str, Any]] = list(getattr(model, "steps", []))
    children += [(n, t) for n, t, _ in getattr(model, "transformers_", [])]
    children += list(getattr(model, "transformer_list", []))
    if path:
        yield path, model
    for name, child in children:
        if child is None or isinstance(child, str):  # "drop", "passthrough"
            continue
        yield from named_steps(child, f"{path}/{name}" if path else name)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _refuse(model_path: Path, where: str, step: Any, why: str) -> ModelError:
    return ModelError(
        f"{model_path.name}: step {where!r} ({type(step).__name__}) {why}; serve it with "
        "--target docker, or export it to ONNX yourself and pass the .onnx"
    )


def onnx_ready(model: Any, *, model_path: Path) -> Any:
    """A copy of `model` that skl2onnx can convert to take per-column inputs; refuses a step no
    converter handles, naming it and why."""
    from skl2onnx._supported_operators import sklearn_operator_name_map

    ready = copy.deepcopy(model)
    for where, step in named_steps(ready):
        if type(step) not in sklearn_operator_name_map:
            raise _refuse(model_path, where, step, "has no skl2onnx converter")
        name = type(step).__name__
        text = getattr(getattr(step, "statistics_", None), "dtype", np.dtype(float)).kind in "OUS"
        if name == "SimpleImputer" and text and _missing(step.missing_values):
            step.missing_values = MISSING_TEXT  # the runtime feeds a missing string as ""
        if name in _ENCODERS:
            for categories in getattr(step, "categories_", []):
                if categories.dtype.kind in "OUS" and any(map(_missing, categories)):
                    raise _refuse(
                        model_path,
                        where,
                        step,
                        "learned a missing value as a category, and ONNX string tensors cannot "
                        "hold one; impute the column before the encoder "
                        "(SimpleImputer(strategy='constant'))",
                    )
    return ready


def failing_step(traceback: TracebackType | None, model: Any) -> str | None:
    """`'path' (Class)` of the step whose converter raised, read from the failing frames."""
    where = {id(step): name for name, step in named_steps(model)}
    found = None
    while traceback is not None:
        operator = traceback.tb_frame.f_locals.get("operator")
        raw = getattr(operator, "raw_operator", None)
        if id(raw) in where:
            found = f"{where[id(raw)]!r} ({type(raw).__name__})"
        traceback = traceback.tb_next
    return found
