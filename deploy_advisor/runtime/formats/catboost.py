"""CatBoost models: native ``.cbm`` files and pickled ``CatBoostClassifier``/``Regressor``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..frames import to_frame
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

__all__ = ["load_cbm", "wrap_catboost"]

_CLASSIFY_LOSSES = ("Logloss", "CrossEntropy", "MultiClass", "MultiClassOneVsAll")


def load_cbm(
    path: Path, *, output: str | None = None, schema: InputSchema | None = None
) -> LoadedModel:
    """Load a native CatBoost model file."""
    catboost = framework(path, "catboost", "a CatBoost")
    model = catboost.CatBoost()
    try:
        model.load_model(str(path))
    except Exception as exc:
        raise ModelLoadError(f"{path.name} is not a usable CatBoost model ({exc})") from exc
    return wrap_catboost(model, path, "catboost-cbm", output=output, schema=schema)


def _saved_version(model: Any) -> str | None:
    try:
        info = dict(model.get_metadata()).get("catboost_version_info", "")
    except Exception:
        return None
    found = re.search(r"tags/v(\d+\.\d+(?:\.\d+)?)", str(info))
    return found.group(1) if found else None


def _classes(model: Any) -> list[Any] | None:
    try:
        params = json.loads(dict(model.get_metadata()).get("class_params", "{}"))
        names = params.get("class_names")
        if names:
            return list(names)
    except Exception:
        pass
    names = getattr(model, "classes_", None)
    return [v.item() if isinstance(v, np.generic) else v for v in names] if names else None


def wrap_catboost(
    model: Any,
    path: Path,
    fmt: str,
    *,
    output: str | None = None,
    schema: InputSchema | None = None,
) -> LoadedModel:
    """A `LoadedModel` around a fitted CatBoost model (categorical features take strings)."""
    import catboost

    names = [str(n) for n in (model.feature_names_ or [])]
    cat_idx = set(model.get_cat_feature_indices())
    schema = merged_schema(
        InputSchema(
            columns=tuple(
                Column(name=n, type="string", nullable=False)
                if j in cat_idx
                else Column(name=n, type="float", nullable=True)
                for j, n in enumerate(names)
            ),
            needs_dataframe=bool(cat_idx),
        ),
        schema,
        path.name,
    )
    assert schema is not None
    try:
        loss = str(model.get_all_params().get("loss_function", ""))
    except Exception:
        loss = ""
    classifier = loss.split(":")[0] in _CLASSIFY_LOSSES
    available = ("predict", "predict_proba", "raw") if classifier else ("predict", "raw")
    chosen = choose_output(available, output, path.name)
    ptype = {"predict": "Class", "predict_proba": "Probability", "raw": "RawFormulaVal"}[chosen]
    if not classifier and chosen == "predict":
        ptype = "RawFormulaVal"
    kind = OUTPUT_KINDS.get(chosen) or ("labels" if classifier else "values")
    frame_schema = schema
    cat_features = sorted(cat_idx)

    def predict(batch: np.ndarray) -> np.ndarray:
        if frame_schema.needs_dataframe:
            pool = catboost.Pool(to_frame(batch, frame_schema), cat_features=cat_features)
        else:
            pool = catboost.Pool(batch, feature_names=names or None)
        out = np.asarray(model.predict(pool, prediction_type=ptype, thread_count=1))
        if out.ndim == 2 and out.shape[1] == 1:
            out = out[:, 0]
        return out

    return LoadedModel(
        path=path,
        format=fmt,
        n_features=len(schema.columns) or None,
        feature_names=names or None,
        output_kind=kind,
        sha256=file_sha256(path),
        trained_sklearn_version=None,
        classes=_classes(model) if classifier else None,
        estimator=type(model).__name__,
        allows_nan=True,
        schema=schema,
        framework="catboost",
        framework_version=_saved_version(model) or str(catboost.__version__),
        outputs=available,
        output=chosen,
        _predict=predict,
    )
