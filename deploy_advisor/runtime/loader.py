"""Load a trained model from a file or directory into one uniform `LoadedModel`.

Formats (one module each under :mod:`.formats`): joblib or pickle files (``.joblib``,
``.pkl``, ``.pickle``, ``.sav``: scikit-learn estimators and pipelines, and the XGBoost,
LightGBM and CatBoost scikit-learn wrappers), skops files (``.skops``), ONNX files
(``.onnx``), XGBoost boosters (``.json``, ``.ubj``), LightGBM text models (``.txt``), CatBoost
models (``.cbm``) and MLflow model directories. A directory may also be a scaffold (its
``deploy-advisor.lock.json`` names the model file) or a folder holding exactly one model file.

This module is part of the self-contained runtime: it imports only the standard library and
numpy at import time; each framework is imported when a model needs it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from .model import OUTPUTS, LoadedModel, ModelLoadError
from .schema import InputSchema

__all__ = [
    "MODEL_SUFFIXES",
    "OUTPUTS",
    "LoadedModel",
    "ModelLoadError",
    "check_format",
    "load_model",
    "read_schema_file",
    "resolve_model_path",
]

PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle", ".sav")
NATIVE_SUFFIXES = (".skops", ".onnx", ".ubj", ".cbm")
DEEP_SUFFIXES = (".pt2", ".pt", ".pth", ".keras")
"""Deep-learning model files (issue 17): torch.export, TorchScript or state dicts, Keras 3."""
MODEL_SUFFIXES = (*PICKLE_SUFFIXES, *NATIVE_SUFFIXES, *DEEP_SUFFIXES, ".json", ".txt")
"""Model files; a ``.json`` or ``.txt`` counts only when it is an XGBoost or LightGBM model."""
LOCK_FILE = "deploy-advisor.lock.json"
SAGEMAKER_MODEL_DIR = "/opt/ml/model"


def _is_model_file(f: Path) -> bool:
    if f.suffix in PICKLE_SUFFIXES or f.suffix in NATIVE_SUFFIXES or f.suffix in DEEP_SUFFIXES:
        return True
    if f.suffix == ".txt":
        from .formats.lightgbm import is_lightgbm_text

        return is_lightgbm_text(f)
    if f.suffix == ".json" and f.name != LOCK_FILE:
        try:
            with f.open("rb") as fh:
                head = fh.read(4096)
        except OSError:
            return False
        return b'"learner"' in head
    return False


# --- finding the model file ------------------------------------------------------------------


def resolve_model_path(path: str | Path | None) -> Path:
    """The model file or MLflow directory that ``path`` designates.

    ``path`` may be a model file, an MLflow model directory, a scaffold directory (the lock
    file names the model), or a directory holding exactly one model file (directly or in
    ``model/``). None means SageMaker's ``/opt/ml/model``.
    """
    p = Path(path if path is not None else SAGEMAKER_MODEL_DIR).expanduser()
    if not p.exists():
        raise ModelLoadError(f"model path {p} does not exist; pass a model file or directory")
    if p.is_file():
        return p
    if (p / "MLmodel").is_file() or (p / "config.json").is_file():
        return p  # an MLflow model or a transformers save_pretrained directory
    lock = p / LOCK_FILE
    if lock.is_file():
        try:
            rel = json.loads(lock.read_text(encoding="utf-8"))["model"]["file"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelLoadError(
                f"{lock} has no model.file entry ({exc}); re-run scaffold"
            ) from exc
        target = p / str(rel)
        if not target.exists():
            raise ModelLoadError(f"{lock} names {rel}, which is missing from {p}")
        return target
    for folder in (p, p / "model"):
        if not folder.is_dir():
            continue
        if (folder / "MLmodel").is_file() or (folder / "config.json").is_file():
            return folder
        found = sorted(f for f in folder.iterdir() if f.is_file() and _is_model_file(f))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(f.name for f in found)
            raise ModelLoadError(f"{folder} holds several model files ({names}); pass one of them")
    raise ModelLoadError(
        f"no model file in {p}: expected one of {', '.join(MODEL_SUFFIXES)}, an MLflow model "
        "directory (with MLmodel) or a scaffold directory"
    )


def read_schema_file(path: str | Path) -> InputSchema:
    """An `InputSchema` from a JSON file (as ``inspect --json`` prints it under ``schema``)."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and isinstance(doc.get("schema"), dict):
            doc = doc["schema"]
        schema = InputSchema.from_json(doc)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelLoadError(
            f'schema file {p} is not usable ({exc}); write {{"columns": [{{"name": ..., '
            '"type": ...}]}} or pass what inspect --json prints'
        ) from exc
    if not schema.columns:
        raise ModelLoadError(f"schema file {p} lists no columns")
    return schema


def _unknown_format(target: Path) -> str:
    return (
        f"{target.name}: unknown model format {target.suffix or '(no suffix)'}; "
        f"use one of {', '.join(MODEL_SUFFIXES)} (.json: an XGBoost booster, .txt: a "
        "LightGBM model) or an MLflow model directory"
    )


def check_format(path: str | Path | None) -> Path:
    """The model path ``path`` designates, once its format is one :func:`load_model` reads."""
    target = resolve_model_path(path)
    if not target.is_dir() and not _is_model_file(target):
        raise ModelLoadError(_unknown_format(target))
    return target


def load_model(
    path: str | Path | None,
    *,
    output: str | None = None,
    trust_types: tuple[str, ...] | list[str] = (),
    schema: InputSchema | None = None,
    task: str | None = None,
) -> LoadedModel:
    """Load the model that ``path`` designates (see :func:`resolve_model_path`).

    ``output`` picks one of :data:`OUTPUTS` (default: probabilities where the model has them);
    ``trust_types`` lists the types a skops file may hold beyond those skops trusts;
    ``schema`` replaces the schema derived from the model; ``task`` is the transformers
    task when the model's config does not say.
    """
    started = time.perf_counter()
    target = resolve_model_path(path)
    trusted = tuple(trust_types)
    suffix = target.suffix
    if target.is_dir() and (target / "config.json").is_file():
        from .formats.transformers import load_transformers

        model = load_transformers(target, task=task)
    elif suffix in (".pt2", ".pt", ".pth"):
        from .formats.torch import load_torch

        model = load_torch(target)
    elif suffix == ".keras":
        from .formats.keras import load_keras

        model = load_keras(target)
    elif target.is_dir():
        from .formats.mlflow import load_mlflow

        model = load_mlflow(target, output=output, trust_types=trusted, schema=schema)
    elif suffix == ".onnx":
        from .formats.onnx import load_onnx

        model = load_onnx(target, output=output, schema=schema)
    elif suffix in PICKLE_SUFFIXES:
        from .formats.sklearn import load_pickle

        model = load_pickle(target, output=output, schema=schema)
    elif suffix == ".skops":
        from .formats.skops import load_skops

        model = load_skops(target, output=output, trust_types=trusted, schema=schema)
    elif suffix == ".ubj" or (suffix == ".json" and _is_model_file(target)):
        from .formats.xgboost import load_xgboost

        model = load_xgboost(target, output=output, schema=schema)
    elif suffix == ".txt" and _is_model_file(target):
        from .formats.lightgbm import load_lightgbm

        model = load_lightgbm(target, output=output, schema=schema)
    elif suffix == ".cbm":
        from .formats.catboost import load_cbm

        model = load_cbm(target, output=output, schema=schema)
    else:
        raise ModelLoadError(_unknown_format(target))
    model.load_seconds = time.perf_counter() - started
    return model
