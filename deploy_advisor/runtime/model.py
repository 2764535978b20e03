"""`LoadedModel`: one trained model behind a uniform interface, whatever its framework.

This module is part of the self-contained runtime: standard library and numpy only.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .schema import InputSchema
from .tensors import DeepModel

__all__ = [
    "OUTPUT_KINDS",
    "OUTPUTS",
    "LoadedModel",
    "ModelLoadError",
    "file_sha256",
    "framework",
]

log = logging.getLogger("model_server")

OUTPUTS = ("predict", "predict_proba", "decision_function", "raw")
"""What a model can answer: labels or values, class probabilities, decision scores, margins."""
OUTPUT_KINDS = {"predict_proba": "probabilities", "decision_function": "scores", "raw": "margins"}
"""The ``output_kind`` of each output but ``predict`` (which gives labels or values)."""


class ModelLoadError(Exception):
    """The model cannot be found, read or used; the message names the file and the fix."""


Predict = Callable[[np.ndarray], np.ndarray]


@dataclass
class LoadedModel:
    """A model ready to predict, with what the server needs to validate requests."""

    path: Path
    """The model file (for an MLflow directory, the pickled model inside it)."""
    format: str
    """``"joblib"``, ``"pickle"``, ``"onnx"``, ``"mlflow"``, ``"skops"``, ``"xgboost-json"``,
    ``"xgboost-ubj"``, ``"lightgbm-txt"`` or ``"catboost-cbm"``."""
    n_features: int | None
    """Columns each input row must have; None when the model does not say."""
    feature_names: list[str] | None
    """Column names in order, when the model was trained with names."""
    output_kind: str
    """``"probabilities"`` (one row of class probabilities per input row), ``"labels"``,
    ``"values"`` (regression), ``"scores"`` (decision function) or ``"margins"`` (raw)."""
    sha256: str
    trained_sklearn_version: str | None
    """The scikit-learn version that saved the model, when known."""
    classes: list[Any] | None = None
    """Class labels in the order of the probability columns, when known."""
    estimator: str = ""
    """The model's class name, e.g. ``RandomForestClassifier``."""
    allows_nan: bool = False
    """Whether the model accepts NaN (missing values) in its input."""
    load_seconds: float = 0.0
    schema: InputSchema = field(default_factory=lambda: InputSchema(columns=()))
    """The typed columns the model takes; ``schema.numeric_only`` selects the float fast path."""
    framework: str = "sklearn"
    """``"sklearn"``, ``"xgboost"``, ``"lightgbm"``, ``"catboost"``, ``"onnx"`` or ``"mlflow"``."""
    framework_version: str | None = None
    """The framework version the file was saved with where it says, else the installed one."""
    outputs: tuple[str, ...] = ("predict",)
    """Which of :data:`OUTPUTS` the model has."""
    output: str = "predict"
    """The output this model answers with."""
    # --- deep-learning models (issue 17) ---
    deep: DeepModel | None = None
    """Tensor, text and image models: how requests are prepared and batched (see
    :mod:`.tensors`); None for tabular models."""
    _predict: Predict = field(default=lambda b: b, repr=False)
    _frame: Callable[[np.ndarray], Any] | None = field(default=None, repr=False)

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Predict a batch: a 2-D float matrix, or for DataFrame models a 2-D object matrix of
        checked values (see :mod:`.frames`); one output row (or value) per input row."""
        return self._predict(batch)

    def predict_frame(self, rows: list[list[Any]]) -> np.ndarray:
        """Predict rows of typed values in the schema's column order (checked by the caller)."""
        from .frames import as_batch

        table = np.empty((len(rows), len(self.schema.columns)), dtype=object)
        table[:] = rows
        return self._predict(as_batch(table, self.schema))

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary (used by ``inspect`` and the model metadata endpoint)."""
        return {
            "file": str(self.path),
            "format": self.format,
            "estimator": self.estimator,
            "framework": self.framework,
            "framework_version": self.framework_version,
            "n_features": self.n_features,
            "feature_names": self.feature_names,
            "output_kind": self.output_kind,
            "outputs": list(self.outputs),
            "output": self.output,
            "classes": self.classes,
            "allows_nan": self.allows_nan,
            "sha256": self.sha256,
            "trained_sklearn_version": self.trained_sklearn_version,
            "load_seconds": round(self.load_seconds, 4),
            "schema": self.schema.to_json(),
            **({"deep": self.deep.describe()} if self.deep is not None else {}),
        }


def framework(path: Path, module: str, kind: str) -> Any:
    """The library `module` that a model file of `kind` (e.g. "a LightGBM") needs; when it is
    missing, a load error naming the file and the pip command."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ModelLoadError(
            f"{path.name} is {kind} model and needs {module}: pip install {module}"
        ) from exc


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def plain_labels(values: Any) -> list[Any] | None:
    """Class labels as plain Python values (numpy scalars unwrapped), or None."""
    if values is None:
        return None
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def merged_schema(
    derived: InputSchema | None, given: InputSchema | None, name: str
) -> InputSchema | None:
    """The schema a user gave (from a file or a sample) in place of the derived one, when it
    has as many columns; a DataFrame model keeps needing a DataFrame."""
    if given is None or derived is None:
        return given or derived
    if len(given.columns) != len(derived.columns):
        raise ModelLoadError(
            f"the schema has {len(given.columns)} columns but {name} takes "
            f"{len(derived.columns)}; fix the schema file"
        )
    text = [c.name for c in given.columns if c.type == "string"]
    if text and not derived.needs_dataframe:
        raise ModelLoadError(
            f"the schema makes column {text[0]!r} a string, but {name} takes numbers only; "
            "fix the schema file"
        )
    if derived.needs_dataframe and not given.needs_dataframe:
        return InputSchema(columns=given.columns, needs_dataframe=True)
    return given


def choose_output(available: tuple[str, ...], wanted: str | None, name: str) -> str:
    """The output to answer with: ``wanted`` when the model has it, else probabilities when it
    has them, else ``predict``."""
    if wanted is None or wanted == "":
        return "predict_proba" if "predict_proba" in available else "predict"
    if wanted not in OUTPUTS:
        raise ModelLoadError(f"unknown output {wanted!r}; use one of {', '.join(OUTPUTS)}")
    if wanted not in available:
        raise ModelLoadError(
            f"{name} has no {wanted} output; it has {', '.join(available)} (--output / "
            "MODEL_OUTPUT)"
        )
    return wanted
