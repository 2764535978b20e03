"""Native LightGBM models saved as text (``Booster.save_model("model.txt")``)."""

from __future__ import annotations

from pathlib import Path

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

__all__ = ["is_lightgbm_text", "load_lightgbm"]


def is_lightgbm_text(path: Path) -> bool:
    """Whether a ``.txt`` file is a LightGBM model (it starts with ``tree``)."""
    try:
        with path.open("rb") as f:
            return f.read(4) == b"tree"
    except OSError:
        return False


def load_lightgbm(
    path: Path, *, output: str | None = None, schema: InputSchema | None = None
) -> LoadedModel:
    """Load a LightGBM text model; rows go to ``Booster.predict`` as a float matrix."""
    lightgbm = framework(path, "lightgbm", "a LightGBM")
    try:
        booster = lightgbm.Booster(model_file=str(path))
    except Exception as exc:
        raise ModelLoadError(f"{path.name} is not a usable LightGBM model ({exc})") from exc
    names = [str(n) for n in booster.feature_name()]
    if booster.pandas_categorical:
        raise ModelLoadError(
            f"{path.name} was trained on pandas categorical columns, which model.txt does not "
            "describe well enough to serve; save the fitted LGBMClassifier or LGBMRegressor "
            "with joblib instead"
        )
    schema = merged_schema(
        InputSchema(columns=tuple(Column(name=n, nullable=True) for n in names)), schema, path.name
    )
    assert schema is not None
    objective = str(booster.dump_model(num_iteration=0).get("objective", "")).split(" ")[0]
    binary = objective in ("binary", "cross_entropy")
    multi = objective in ("multiclass", "multiclassova")
    classifier = binary or multi
    available = ("predict", "predict_proba", "raw") if classifier else ("predict", "raw")
    chosen = choose_output(available, output, path.name)

    def run(batch: np.ndarray, raw: bool) -> np.ndarray:
        return np.asarray(booster.predict(batch, raw_score=raw, num_threads=1))

    if chosen == "raw":

        def predict(batch: np.ndarray) -> np.ndarray:
            return run(batch, True)

    elif binary and chosen == "predict_proba":

        def predict(batch: np.ndarray) -> np.ndarray:
            p = run(batch, False)
            return np.column_stack((1.0 - p, p))

    elif binary:

        def predict(batch: np.ndarray) -> np.ndarray:
            return (run(batch, False) > 0.5).astype(np.int64)

    elif multi and chosen == "predict":

        def predict(batch: np.ndarray) -> np.ndarray:
            return np.asarray(run(batch, False).argmax(axis=1))

    else:

        def predict(batch: np.ndarray) -> np.ndarray:
            return run(batch, False)

    n_classes = booster.num_model_per_iteration() if multi else 2
    kind = OUTPUT_KINDS.get(chosen) or ("labels" if classifier else "values")
    return LoadedModel(
        path=path,
        format="lightgbm-txt",
        n_features=booster.num_feature(),
        feature_names=names,
        output_kind=kind,
        sha256=file_sha256(path),
        trained_sklearn_version=None,
        classes=list(range(n_classes)) if classifier else None,
        estimator=f"Booster ({objective or 'unknown objective'})",
        allows_nan=True,
        schema=schema,
        framework="lightgbm",
        framework_version=str(lightgbm.__version__),
        outputs=available,
        output=chosen,
        _predict=predict,
    )
