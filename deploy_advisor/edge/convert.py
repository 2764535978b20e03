"""ONNX converters for every tabular framework: skl2onnx, onnxmltools (XGBoost, LightGBM) and
CatBoost's own exporter; a model no converter covers is refused with the reason."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from deploy_advisor.errors import ModelError

__all__ = [
    "NATIVE_SUFFIXES",
    "check_convertible",
    "convert",
    "framework_of",
    "load_native",
    "n_features_of",
]

NATIVE_SUFFIXES = (".json", ".ubj", ".txt", ".cbm")
_KNOWN = ("sklearn", "xgboost", "lightgbm", "catboost", "imblearn", "deploy_advisor")


def framework_of(model: Any) -> str:
    """The top-level module of the model's class: sklearn, xgboost, lightgbm, catboost, ..."""
    return type(model).__module__.split(".")[0]


class LightGBMBooster:
    """A LightGBM booster read from model.txt, answering like its scikit-learn wrapper."""

    def __init__(self, booster: Any) -> None:
        self.booster = booster
        objective = str(booster.dump_model().get("objective", ""))
        self.classifier = objective.startswith(("binary", "multiclass", "multiclassova"))
        self.n_features_in_ = int(booster.num_feature())
        if self.classifier:
            self.predict_proba = self._proba

    def _proba(self, rows: np.ndarray) -> np.ndarray:
        scores = np.asarray(self.booster.predict(rows))
        return np.column_stack([1 - scores, scores]) if scores.ndim == 1 else scores

    def predict(self, rows: np.ndarray) -> np.ndarray:
        scores = np.asarray(self.booster.predict(rows))
        if not self.classifier:
            return scores
        return (scores > 0.5).astype(np.int64) if scores.ndim == 1 else scores.argmax(axis=1)


def load_native(path: Path) -> Any:
    """An XGBoost, LightGBM or CatBoost model saved in its framework's own format."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".json", ".ubj"):
            import json

            import xgboost

            config = xgboost.Booster(model_file=str(path)).attr("scikit_learn")
            kind = json.loads(config).get("_estimator_type") if config else None
            model = xgboost.XGBClassifier() if kind == "classifier" else xgboost.XGBRegressor()
            model.load_model(str(path))
            return model
        if suffix == ".txt":
            import lightgbm

            return LightGBMBooster(lightgbm.Booster(model_file=str(path)))
        import catboost

        probe = catboost.CatBoost()
        probe.load_model(str(path))
        loss = str(probe.get_all_params().get("loss_function", ""))
        classifier = loss in {"Logloss", "CrossEntropy", "MultiClass", "MultiClassOneVsAll"}
        loaded = catboost.CatBoostClassifier() if classifier else catboost.CatBoostRegressor()
        loaded.load_model(str(path))
        return loaded
    except ImportError as exc:
        raise ModelError(
            f"{path.name} needs {exc.name} to be exported; pip install 'deploy-advisor[tabular]'"
        ) from None
    except Exception as exc:
        raise ModelError(
            f"cannot load {path.name} ({type(exc).__name__}: {str(exc)[:120]}); pass an XGBoost "
            "model.json/.ubj, a LightGBM model.txt or a CatBoost .cbm"
        ) from None


def n_features_of(model: Any) -> int | None:
    """How many numbers a row of the model's input has, when the model says."""
    names = getattr(model, "feature_names_", None)  # CatBoost's; its n_features_in_ may be 0
    if names:
        return len(names)
    width = getattr(model, "n_features_in_", None)
    return int(width) if isinstance(width, int | np.integer) else None


def _custom_steps(model: Any) -> list[str]:
    """Classes inside a pipeline that come from the user's own code (no converter knows them)."""
    found = []
    children: list[Any] = []
    if framework_of(model) not in _KNOWN:
        found.append(f"{type(model).__name__} ({type(model).__module__})")
    children += [step for _, step in getattr(model, "steps", [])]
    children += [t for _, t, _ in getattr(model, "transformers_", [])]
    for child in children:
        if child not in ("drop", "passthrough") and child is not None:
            found += _custom_steps(child)
    return found


def check_convertible(model: Any, *, model_path: Path) -> None:
    """Refuse a model with a class from the user's own code (no converter knows it)."""
    custom = _custom_steps(model)
    if custom:
        raise ModelError(
            f"{model_path.name} uses your own class {custom[0]}: no ONNX converter exists for "
            "it; serve it with another target, or export it to ONNX yourself and pass the .onnx"
        )


def convert(model: Any, *, n_features: int, model_path: Path) -> Any:
    """The ONNX model (float input [N, n_features], no ZipMap where the converter allows)."""
    check_convertible(model, model_path=model_path)
    framework = framework_of(model)
    try:
        if framework == "catboost":
            return _catboost(model)
        from onnxmltools.convert.common.data_types import FloatTensorType

        initial = [("input", FloatTensorType([None, n_features]))]
        if framework == "xgboost":
            import copy

            from onnxmltools import convert_xgboost

            unnamed = copy.deepcopy(model)
            unnamed.get_booster().feature_names = None  # the converter wants f0, f1, ...
            return convert_xgboost(unnamed, initial_types=initial)
        if framework == "lightgbm" or isinstance(model, LightGBMBooster):
            from onnxmltools import convert_lightgbm

            booster = model.booster if isinstance(model, LightGBMBooster) else model
            return convert_lightgbm(booster, initial_types=initial, zipmap=False)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(
            f"the {framework} converter cannot export {model_path.name} ({type(exc).__name__}: "
            f"{str(exc)[:160]}); export it to ONNX yourself and pass the .onnx file"
        ) from None
    raise ModelError(f"no ONNX converter for {type(model).__name__} ({framework})")


def _catboost(model: Any) -> Any:
    """CatBoost's own ONNX export (it has no converter in onnxmltools)."""
    import onnx

    with tempfile.TemporaryDirectory(prefix="da-catboost-") as folder:
        path = Path(folder) / "model.onnx"
        model.save_model(str(path), format="onnx")
        return onnx.load(str(path))
