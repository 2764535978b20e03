"""Facts about the model that the scaffold needs, behind one seam (`model_facts`)."""

from __future__ import annotations

import hashlib
import re
import time
import warnings
from pathlib import Path
from typing import Any

from deploy_advisor.errors import ModelError
from deploy_advisor.targets.base import ModelFacts

__all__ = ["model_facts", "safe_model_name"]

_MODEL_SUFFIXES = (".joblib", ".pkl", ".pickle", ".onnx")


def safe_model_name(path: Path) -> str:
    """The model's file name, reduced to characters that are safe in any path or manifest."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", path.name).lstrip(".")
    if not name or name in {".", ".."}:
        raise ModelError(f"model file name {path.name!r} is unusable; rename it, e.g. model.joblib")
    return name


def model_facts(path: Path) -> ModelFacts:
    """Load the model once to learn its shape, load time, memory and training sklearn version."""
    if not path.is_file():
        raise ModelError(f"model file {str(path)!r} not found; pass --model PATH to a model file")
    if path.suffix.lower() not in _MODEL_SUFFIXES:
        suffixes = ", ".join(_MODEL_SUFFIXES)
        raise ModelError(f"model {str(path)!r} has an unknown suffix; use one of {suffixes}")
    data = path.read_bytes()
    import psutil

    rss_before = psutil.Process().memory_info().rss
    started = time.perf_counter()
    if path.suffix.lower() == ".onnx":
        model, trained, n_features = _load_onnx(path)
        fmt = "onnx"
    else:
        model, trained = _load_pickle(path)
        n_features = int(getattr(model, "n_features_in_", 0) or 0)
        fmt = "joblib"
    load_seconds = time.perf_counter() - started
    rss_mb = max(psutil.Process().memory_info().rss - rss_before, 0) / 2**20
    if n_features <= 0:
        raise ModelError(f"model {str(path)!r} does not say how many features it takes")
    return ModelFacts(
        file_name=safe_model_name(path),
        format=fmt,
        n_features=n_features,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        load_seconds=round(load_seconds, 3),
        rss_mb=round(rss_mb + len(data) / 2**20, 1),
        predict_ms=round(_predict_ms(model, n_features, fmt), 3),
        trained_sklearn_version=trained,
    )


def _load_pickle(path: Path) -> tuple[Any, str | None]:
    """Unpickle with joblib; sklearn's version warning tells the version it was trained with."""
    import joblib
    import sklearn
    from sklearn.exceptions import InconsistentVersionWarning

    trained: str | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = joblib.load(path)
        except Exception as exc:
            raise ModelError(
                f"cannot load {str(path)!r} ({exc}); is it a joblib/pickle model?"
            ) from exc
    for warning in caught:
        if isinstance(warning.message, InconsistentVersionWarning):
            trained = warning.message.original_sklearn_version
    if trained is None and type(model).__module__.startswith("sklearn"):
        trained = sklearn.__version__
    if not hasattr(model, "predict"):
        raise ModelError(
            f"{str(path)!r} holds a {type(model).__name__}, not a model with predict()"
        )
    return model, trained


def _load_onnx(path: Path) -> tuple[Any, None, int]:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    shape = session.get_inputs()[0].shape
    n_features = shape[-1] if len(shape) >= 2 and isinstance(shape[-1], int) else 0
    return session, None, n_features


def _predict_ms(model: Any, n_features: int, fmt: str) -> float:
    """Median time of one single-row prediction, in milliseconds."""
    import numpy as np

    row = np.zeros((1, n_features), dtype=np.float32 if fmt == "onnx" else np.float64)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        if fmt == "onnx":
            model.run(None, {model.get_inputs()[0].name: row})
        else:
            model.predict(row)
        timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings)[len(timings) // 2]
