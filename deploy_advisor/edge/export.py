"""Export a model to ONNX (no ZipMap): scikit-learn with skl2onnx (one float32 input, or one input
per column for a pipeline over a DataFrame), boosters with their converters; ONNX is kept as is."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy_advisor.edge.convert import (
    NATIVE_SUFFIXES,
    check_convertible,
    convert,
    framework_of,
    load_native,
    n_features_of,
)
from deploy_advisor.errors import ModelError
from deploy_advisor.runtime.schema import Column, InputSchema

from .typed import convert_typed, typed_schema

__all__ = ["ExportedModel", "export_onnx", "load_original"]

ONNX_SUFFIX = ".onnx"


@dataclass(frozen=True)
class ExportedModel:
    """The ONNX file written, and whether it was converted or copied."""

    path: Path
    converted: bool
    n_features: int
    size_bytes: int
    schema: InputSchema | None = None
    """The named, typed columns when the model takes one ONNX input per column."""


def load_original(model_path: Path) -> Any:
    """The model saved with joblib/pickle, or in XGBoost's, LightGBM's or CatBoost's format."""
    import joblib

    if not model_path.exists():
        raise ModelError(f"model {model_path} not found; pass --model PATH")
    if model_path.suffix.lower() in NATIVE_SUFFIXES:
        return load_native(model_path)
    try:
        return joblib.load(model_path)
    except Exception as exc:
        raise ModelError(
            f"cannot load {model_path} with joblib ({type(exc).__name__}); pass a joblib/pickle "
            "scikit-learn model or an .onnx file"
        ) from None


def export_onnx(*, model_path: Path, out_path: Path) -> ExportedModel:
    """Write `out_path`: the converted estimator, or a copy of an .onnx input."""
    if model_path.suffix.lower() == ONNX_SUFFIX:
        if not model_path.exists():
            raise ModelError(f"model {model_path} not found; pass --model PATH")
        _copy_atomic(model_path, out_path)
        width, schema = _onnx_inputs(out_path)
        return ExportedModel(
            path=out_path,
            converted=False,
            n_features=width,
            size_bytes=out_path.stat().st_size,
            schema=schema,
        )
    estimator = load_original(model_path)
    n_features = n_features_of(estimator)
    if n_features is None:
        raise ModelError(f"{model_path} is not a fitted model (no n_features_in_)")
    schema = None
    if framework_of(estimator) in ("sklearn", "imblearn"):
        check_convertible(estimator, model_path=model_path)
        schema = typed_schema(estimator, model_path)
    if schema is not None:
        onnx_model = convert_typed(estimator, schema, model_path=model_path)
    elif framework_of(estimator) in ("sklearn", "imblearn"):
        onnx_model = _convert(estimator, n_features, model_path)
    else:
        onnx_model = convert(estimator, n_features=n_features, model_path=model_path)
    data = onnx_model.SerializeToString()
    _write_bytes_atomic(out_path, data)
    return ExportedModel(
        path=out_path, converted=True, n_features=n_features, size_bytes=len(data), schema=schema
    )


def _convert(estimator: Any, n_features: int, model_path: Path) -> Any:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    options = {"zipmap": False} if hasattr(estimator, "predict_proba") else None
    try:
        return convert_sklearn(
            estimator,
            initial_types=[("input", FloatTensorType([None, n_features]))],
            options={id(estimator): options} if options else None,
        )
    except Exception as exc:
        raise ModelError(
            f"skl2onnx cannot convert {model_path} ({type(exc).__name__}: {str(exc)[:160]}); "
            "export it to ONNX yourself and pass the .onnx file"
        ) from None


def _onnx_inputs(path: Path) -> tuple[int, InputSchema | None]:
    """How many features the model takes, and its columns when it takes one input per column."""
    import onnxruntime as ort

    from deploy_advisor.edge_runtime.columns import typed_columns

    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelError(f"{path} is not a loadable ONNX model ({str(exc)[:160]})") from None
    columns = typed_columns(session)
    if columns is not None:
        schema = InputSchema(
            columns=tuple(
                Column(c.name, c.type, c.categories, c.nullable)  # type: ignore[arg-type]
                for c in columns
            ),
            needs_dataframe=True,
        )
        return len(columns), schema
    shape = session.get_inputs()[0].shape
    if len(shape) != 2 or not isinstance(shape[1], int):
        raise ModelError(
            f"{path} takes input of shape {shape}; the edge runtime needs [N, features]"
        )
    return shape[1], None


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as f:
        f.write(data)
    Path(f.name).chmod(0o644)
    Path(f.name).replace(path)


def _copy_atomic(source: Path, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as f:
        tmp = Path(f.name)
    shutil.copyfile(source, tmp)
    tmp.chmod(0o644)
    tmp.replace(path)
