"""Native XGBoost boosters saved as ``.json`` or ``.ubj`` (``Booster.save_model``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..model import (
    OUTPUT_KINDS,
    LoadedModel,
    ModelLoadError,
    choose_output,
    file_sha256,
    framework,
    merged_schema,
)
from ..schema import Column, InputSchema

__all__ = ["load_xgboost"]

_TYPES = {"int": "int", "i": "bool", "float": "float", "q": "float"}


def _saved_version(path: Path, config: dict[str, Any]) -> str | None:
    version: Any = None
    if path.suffix == ".json":
        try:
            version = json.loads(path.read_text(encoding="utf-8")).get("version")
        except (ValueError, OSError, AttributeError):
            version = None
    version = version or config.get("version")
    return ".".join(str(v) for v in version) if isinstance(version, list) else None


def load_xgboost(
    path: Path, *, output: str | None = None, schema: InputSchema | None = None
) -> LoadedModel:
    """Load a native XGBoost booster; rows go to ``inplace_predict`` as a float matrix."""
    xgboost = framework(path, "xgboost", "an XGBoost")
    try:
        booster = xgboost.Booster(model_file=str(path))
    except Exception as exc:
        raise ModelLoadError(f"{path.name} is not a usable XGBoost model ({exc})") from exc
    booster.set_param({"nthread": 1})
    config = json.loads(booster.save_config())
    learner = config["learner"]
    objective = str(learner["objective"]["name"])
    n = booster.num_features()
    names = list(booster.feature_names or [f"f{i}" for i in range(n)])
    types = list(booster.feature_types or ["float"] * n)
    if "c" in types:
        cats = [nm for nm, t in zip(names, types, strict=True) if t == "c"]
        raise ModelLoadError(
            f"{path.name} has categorical features ({', '.join(cats)}), which a native booster "
            "file does not describe well enough to serve; save the fitted XGBClassifier or "
            "XGBRegressor with joblib instead"
        )
    schema = merged_schema(
        InputSchema(
            columns=tuple(
                Column(name=nm, type=_TYPES.get(t, "float"), nullable=True)  # type: ignore[arg-type]
                for nm, t in zip(names, types, strict=True)
            )
        ),
        schema,
        path.name,
    )
    assert schema is not None
    num_class = int(learner["learner_model_param"].get("num_class", "0") or 0)
    binary = objective in ("binary:logistic", "binary:logitraw", "binary:hinge")
    classifier = binary or objective.startswith("multi:")
    available: tuple[str, ...] = ("predict", "raw")
    if objective in ("binary:logistic", "multi:softprob"):
        available = ("predict", "predict_proba", "raw")
    chosen = choose_output(available, output, path.name)
    classes = list(range(max(num_class, 2))) if classifier else None

    def run(batch: np.ndarray, kind: str) -> np.ndarray:
        return np.asarray(booster.inplace_predict(batch, predict_type=kind))

    if chosen == "raw":

        def predict(batch: np.ndarray) -> np.ndarray:
            return run(batch, "margin")

    elif chosen == "predict_proba" and binary:

        def predict(batch: np.ndarray) -> np.ndarray:
            p = run(batch, "value")
            return np.column_stack((1.0 - p, p))

    elif chosen == "predict" and objective == "binary:logistic":

        def predict(batch: np.ndarray) -> np.ndarray:
            return (run(batch, "value") > 0.5).astype(np.int64)

    elif chosen == "predict" and objective == "binary:logitraw":

        def predict(batch: np.ndarray) -> np.ndarray:
            return (run(batch, "margin") > 0.0).astype(np.int64)

    elif chosen == "predict" and objective == "multi:softprob":

        def predict(batch: np.ndarray) -> np.ndarray:
            return np.asarray(run(batch, "value").argmax(axis=1))

    else:

        def predict(batch: np.ndarray) -> np.ndarray:
            return run(batch, "value")

    kind = OUTPUT_KINDS.get(chosen) or ("labels" if classifier else "values")
    return LoadedModel(
        path=path,
        format=f"xgboost-{path.suffix.lstrip('.')}",
        n_features=n,
        feature_names=list(booster.feature_names) if booster.feature_names else None,
        output_kind=kind,
        sha256=file_sha256(path),
        trained_sklearn_version=None,
        classes=classes,
        estimator=f"Booster ({objective})",
        allows_nan=True,
        schema=schema,
        framework="xgboost",
        framework_version=_saved_version(path, config) or str(xgboost.__version__),
        outputs=available,
        output=chosen,
        _predict=predict,
    )
