"""joblib and pickle files: scikit-learn estimators and pipelines, and the scikit-learn
wrappers of XGBoost, LightGBM and CatBoost."""

from __future__ import annotations

import logging
import pickle
import warnings
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
    merged_schema,
    plain_labels,
)
from ..schema import InputSchema
from .sklearn_schema import sklearn_schema

__all__ = ["load_pickle", "unpickle", "warn_unpickle", "wrap_estimator"]

log = logging.getLogger("model_server")

# Top-level modules that belong to a published package: a missing one is installed, not copied.
_PACKAGES = {
    "sklearn": "scikit-learn",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "catboost": "catboost",
    "pandas": "pandas",
    "scipy": "scipy",
    "imblearn": "imbalanced-learn",
    "category_encoders": "category-encoders",
    "cloudpickle": "cloudpickle",
}
_warned = False


def warn_unpickle(path: Path) -> None:
    """Log once per process that loading this file runs code stored in it."""
    global _warned
    if not _warned:
        _warned = True
        log.warning(
            "loading %s unpickles it, which runs code stored in the file: "
            "load only models you trust",
            path.name,
        )


def missing_module_error(path: Path, exc: ModuleNotFoundError) -> ModelLoadError:
    """The error for a model that references a module this Python cannot import."""
    name = exc.name or str(exc)
    top = name.split(".")[0]
    if top in _PACKAGES:
        return ModelLoadError(
            f"{path.name} needs the Python package {_PACKAGES[top]!r} (module {name!r}), which "
            f"is not installed; pip install {_PACKAGES[top]}"
        )
    return ModelLoadError(
        f"{path.name} needs the Python module {name!r}, which is not importable: it holds code "
        f"from your own project; pass scaffold --code PATH (the file or package defining "
        f"{top!r}), or to serve it put that code on PYTHONPATH"
    )


def unpickle(path: Path) -> tuple[Any, str | None]:
    """The object stored in a joblib/pickle file and the scikit-learn version that saved it."""
    warn_unpickle(path)
    trained: str | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            try:
                import joblib
            except ImportError:
                with path.open("rb") as f:
                    obj = pickle.load(f)  # noqa: S301 - the user chose to trust this model
            else:
                obj = joblib.load(path)
        except ModuleNotFoundError as exc:
            raise missing_module_error(path, exc) from exc
        except Exception as exc:
            raise ModelLoadError(
                f"{path.name} cannot be unpickled ({type(exc).__name__}: {exc}); "
                "is it a joblib/pickle file of a scikit-learn model?"
            ) from exc
    for w in caught:
        original = getattr(w.message, "original_sklearn_version", None)
        if original is not None:
            trained = str(original)
            break
    if trained is None:
        saved = getattr(obj, "_sklearn_version", None)
        trained = str(saved) if saved else None
    if trained is None and _is_sklearn(obj):
        import sklearn

        trained = str(sklearn.__version__)
    return obj, trained


def _is_sklearn(obj: Any) -> bool:
    return type(obj).__module__.split(".")[0] in ("sklearn", "imblearn") or any(
        c.__module__.startswith("sklearn.") for c in type(obj).__mro__[1:]
    )


def _allows_nan(est: Any) -> bool:
    try:
        from sklearn.utils import get_tags

        return bool(get_tags(est).input_tags.allow_nan)
    except Exception:
        return False


def _framework(obj: Any) -> tuple[str, str | None]:
    top = type(obj).__module__.split(".")[0]
    if top in ("xgboost", "lightgbm"):
        mod = __import__(top)
        return top, str(getattr(mod, "__version__", "")) or None
    return "sklearn", None


def _has(obj: Any, name: str) -> bool:
    try:
        return hasattr(obj, name)
    except Exception:
        return False


def _methods(obj: Any, framework: str) -> dict[str, Any]:
    found: dict[str, Any] = {"predict": obj.predict}
    for name in ("predict_proba", "decision_function"):
        if _has(obj, name):
            found[name] = getattr(obj, name)
    if framework == "xgboost":
        found["raw"] = lambda x: obj.predict(x, output_margin=True)
    elif framework == "lightgbm":
        found["raw"] = lambda x: obj.predict(x, raw_score=True)
    return found


def _is_classifier(obj: Any) -> bool:
    if getattr(obj, "_estimator_type", None) == "classifier" or _has(obj, "classes_"):
        return True
    try:
        from sklearn.base import is_classifier

        return bool(is_classifier(obj))
    except Exception:
        return False


def _native_categoricals(obj: Any, framework: str) -> dict[str, tuple[Any, ...] | None]:
    """Columns an XGBoost/LightGBM wrapper took as pandas ``category`` columns, with the
    categories seen in training when the model records them."""
    found: dict[str, tuple[Any, ...] | None] = {}
    try:
        if framework == "xgboost":
            booster = obj.get_booster()
            pairs = zip(booster.feature_names or [], booster.feature_types or [], strict=False)
            found = {str(n): None for n, t in pairs if t == "c"}
            if found:
                for name, values in booster.get_categories(export_to_arrow=True).to_arrow():
                    if name in found and values is not None:
                        found[name] = tuple(values.to_pylist())
        elif framework == "lightgbm" and obj.booster_.pandas_categorical:
            infos = obj.booster_.dump_model(num_iteration=0)["feature_infos"]
            names = [n for n, info in infos.items() if info.get("values")]
            cats = obj.booster_.pandas_categorical
            found = {str(n): tuple(c) for n, c in zip(names, cats, strict=False)}
    except Exception:
        return found
    return found


def _with_categoricals(
    schema: InputSchema | None, cats: dict[str, tuple[Any, ...] | None]
) -> InputSchema | None:
    if schema is None or not cats:
        return schema
    from ..schema import Column

    columns = tuple(
        Column(
            name=c.name,
            type="string" if all(isinstance(v, str) for v in cats[c.name] or ("",)) else c.type,
            known_values=cats[c.name],
            nullable=True,
        )
        if c.name in cats
        else c
        for c in schema.columns
    )
    return InputSchema(columns=columns, needs_dataframe=True)


def wrap_estimator(
    obj: Any,
    path: Path,
    fmt: str,
    trained: str | None,
    *,
    output: str | None = None,
    schema: InputSchema | None = None,
) -> LoadedModel:
    """A `LoadedModel` around a fitted estimator with scikit-learn's predict API."""
    if type(obj).__module__.split(".")[0] == "catboost":
        from .catboost import wrap_catboost

        return wrap_catboost(obj, path, fmt, output=output, schema=schema)
    if not hasattr(obj, "predict"):
        raise ModelLoadError(
            f"{path.name} holds a {type(obj).__name__}, which has no predict method; "
            "save the fitted estimator or pipeline itself"
        )
    framework, version = _framework(obj)
    categoricals = _native_categoricals(obj, framework)
    allows_nan = _allows_nan(obj) or framework in ("xgboost", "lightgbm")
    derived = _with_categoricals(sklearn_schema(obj, allow_nan=allows_nan), categoricals)
    schema = merged_schema(derived, schema, path.name)
    names = getattr(obj, "feature_names_in_", None)
    feature_names = [str(n) for n in names] if names is not None else None
    n_features = len(schema.columns) if schema is not None else None
    methods = _methods(obj, framework)
    chosen = choose_output(tuple(methods), output, path.name)
    method = methods[chosen]
    if chosen == "predict":
        kind = "labels" if _is_classifier(obj) else "values"
    else:
        kind = OUTPUT_KINDS[chosen]

    if schema is not None and schema.needs_dataframe:
        frame_schema = schema
        named = feature_names is not None

        as_category = dict.fromkeys(categoricals, "category")

        def predict(batch: np.ndarray) -> np.ndarray:
            frame = to_frame(batch, frame_schema, named=named)
            if as_category:
                frame = frame.astype(as_category)
            return np.asarray(method(frame))

    elif feature_names is not None:
        # Rows arrive as arrays; scikit-learn would warn on every call that they carry no names.
        def predict(batch: np.ndarray) -> np.ndarray:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="X does not have valid feature names")
                return np.asarray(method(batch))
    else:

        def predict(batch: np.ndarray) -> np.ndarray:
            return np.asarray(method(batch))

    return LoadedModel(
        path=path,
        format=fmt,
        n_features=n_features,
        feature_names=feature_names,
        output_kind=kind,
        sha256=file_sha256(path),
        trained_sklearn_version=trained,
        classes=plain_labels(getattr(obj, "classes_", None)),
        estimator=type(obj).__name__,
        allows_nan=allows_nan,
        schema=schema or InputSchema(columns=()),
        framework=framework,
        framework_version=version if framework != "sklearn" else trained,
        outputs=tuple(methods),
        output=chosen,
        _predict=predict,
    )


def load_pickle(
    path: Path, *, output: str | None = None, schema: InputSchema | None = None
) -> LoadedModel:
    """Load a joblib/pickle file."""
    fmt = "joblib" if path.suffix == ".joblib" else "pickle"
    obj, version = unpickle(path)
    return wrap_estimator(obj, path, fmt, version, output=output, schema=schema)
