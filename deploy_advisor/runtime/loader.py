"""Load a trained model from a file or directory into one uniform object.

Formats: joblib or pickle files (``.joblib``, ``.pkl``, ``.pickle``, ``.sav``), ONNX files
(``.onnx``, run by onnxruntime on one thread), and MLflow model directories (the ``sklearn``
flavour, or ``python_function`` backed by ``mlflow.sklearn``). A directory may also be a
scaffold (its ``deploy-advisor.lock.json`` names the model file) or a folder holding exactly
one model file.

This module is part of the self-contained runtime: it imports only the standard library and
numpy at import time; scikit-learn, joblib and onnxruntime are imported when a model needs them.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import pickle
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .frames import derive_schema
from .schema import InputSchema

__all__ = [
    "MODEL_SUFFIXES",
    "LoadedModel",
    "ModelLoadError",
    "load_model",
    "resolve_model_path",
]

log = logging.getLogger("model_server")

PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle", ".sav")
MODEL_SUFFIXES = (*PICKLE_SUFFIXES, ".onnx")
LOCK_FILE = "deploy-advisor.lock.json"
SAGEMAKER_MODEL_DIR = "/opt/ml/model"

_warned_unpickle = False


class ModelLoadError(Exception):
    """The model cannot be found, read or used; the message names the file and the fix."""


@dataclass
class LoadedModel:
    """A model ready to predict, with what the server needs to validate requests."""

    path: Path
    """The model file (for an MLflow directory, the pickled model inside it)."""
    format: str
    """``"joblib"``, ``"pickle"``, ``"onnx"`` or ``"mlflow"``."""
    n_features: int | None
    """Columns each input row must have; None when the model does not say."""
    feature_names: list[str] | None
    """Column names in order, when the model was trained with names."""
    output_kind: str
    """``"probabilities"`` (one row of class probabilities per input row), ``"labels"``
    or ``"values"`` (regression)."""
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
    schema: InputSchema | None = None
    """The typed columns the model takes, when it needs more than a row of numbers."""
    _predict: Callable[[np.ndarray], np.ndarray] = field(default=lambda b: b, repr=False)

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Predict a 2-D float batch; one output row (or value) per input row."""
        return self._predict(batch)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary (used by ``inspect`` and the model metadata endpoint)."""
        return {
            "file": str(self.path),
            "format": self.format,
            "estimator": self.estimator,
            "n_features": self.n_features,
            "feature_names": self.feature_names,
            "output_kind": self.output_kind,
            "classes": self.classes,
            "allows_nan": self.allows_nan,
            "sha256": self.sha256,
            "trained_sklearn_version": self.trained_sklearn_version,
            "load_seconds": round(self.load_seconds, 4),
        }


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
    if (p / "MLmodel").is_file():
        return p
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
        if (folder / "MLmodel").is_file():
            return folder
        found = sorted(f for f in folder.iterdir() if f.is_file() and f.suffix in MODEL_SUFFIXES)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(f.name for f in found)
            raise ModelLoadError(f"{folder} holds several model files ({names}); pass one of them")
    raise ModelLoadError(
        f"no model file in {p}: expected one of {', '.join(MODEL_SUFFIXES)}, an MLflow model "
        "directory (with MLmodel) or a scaffold directory"
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --- entry point -----------------------------------------------------------------------------


def load_model(path: str | Path | None) -> LoadedModel:
    """Load the model that ``path`` designates (see :func:`resolve_model_path`)."""
    started = time.perf_counter()
    target = resolve_model_path(path)
    if target.is_dir():
        model = _load_mlflow(target)
    elif target.suffix == ".onnx":
        model = _load_onnx(target)
    elif target.suffix in PICKLE_SUFFIXES:
        fmt = "joblib" if target.suffix == ".joblib" else "pickle"
        obj, version = _unpickle(target)
        model = _wrap_estimator(obj, target, fmt, version)
    else:
        raise ModelLoadError(
            f"{target.name}: unknown model format {target.suffix or '(no suffix)'}; "
            f"use one of {', '.join(MODEL_SUFFIXES)} or an MLflow model directory"
        )
    model.load_seconds = time.perf_counter() - started
    return model


# --- joblib / pickle ---------------------------------------------------------------------------


def _warn_unpickle(path: Path) -> None:
    global _warned_unpickle
    if not _warned_unpickle:
        _warned_unpickle = True
        log.warning(
            "loading %s unpickles it, which runs code stored in the file: "
            "load only models you trust",
            path.name,
        )


def _unpickle(path: Path) -> tuple[Any, str | None]:
    """The object stored in a joblib/pickle file and the scikit-learn version that saved it."""
    _warn_unpickle(path)
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
            raise ModelLoadError(
                f"{path.name} needs the Python package {exc.name!r}, which is not installed; "
                "install the package the model was trained with"
            ) from exc
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


def _wrap_estimator(obj: Any, path: Path, fmt: str, trained: str | None) -> LoadedModel:
    if not hasattr(obj, "predict"):
        raise ModelLoadError(
            f"{path.name} holds a {type(obj).__name__}, which has no predict method; "
            "save the fitted estimator or pipeline itself"
        )
    n_features = getattr(obj, "n_features_in_", None)
    names = getattr(obj, "feature_names_in_", None)
    feature_names = [str(n) for n in names] if names is not None else None
    if n_features is None and feature_names is not None:
        n_features = len(feature_names)
    classes = getattr(obj, "classes_", None)
    classes_list = (
        [c.item() if isinstance(c, np.generic) else c for c in classes]
        if (classes is not None)
        else None
    )

    has_proba = False
    try:
        has_proba = hasattr(obj, "predict_proba")
    except Exception:
        has_proba = False
    if has_proba:
        kind, method = "probabilities", obj.predict_proba
    else:
        is_classifier = getattr(obj, "_estimator_type", None) == "classifier" or (
            classes is not None
        )
        try:
            from sklearn.base import is_classifier as sk_is_classifier

            is_classifier = is_classifier or bool(sk_is_classifier(obj))
        except Exception:
            pass
        kind, method = ("labels" if is_classifier else "values"), obj.predict

    if feature_names is not None:
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
        n_features=int(n_features) if n_features is not None else None,
        feature_names=feature_names,
        output_kind=kind,
        sha256=_sha256(path),
        trained_sklearn_version=trained,
        classes=classes_list,
        estimator=type(obj).__name__,
        allows_nan=_allows_nan(obj),
        schema=derive_schema(obj),
        _predict=predict,
    )


# --- ONNX --------------------------------------------------------------------------------------

_ONNX_FLOAT_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64}


def _load_onnx(path: Path) -> LoadedModel:
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ModelLoadError(
            f"{path.name} is an ONNX model and needs onnxruntime: pip install onnxruntime"
        ) from exc
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    try:
        sess = ort.InferenceSession(
            str(path), sess_options=opts, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:
        raise ModelLoadError(f"{path.name} is not a usable ONNX model ({exc})") from exc
    inputs = sess.get_inputs()
    if len(inputs) != 1:
        raise ModelLoadError(
            f"{path.name} has {len(inputs)} inputs; only models with one float tensor input "
            "[None, n_features] are supported (skl2onnx: initial_types=[('input', "
            "FloatTensorType([None, N]))])"
        )
    inp = inputs[0]
    dtype = _ONNX_FLOAT_TYPES.get(inp.type)
    if dtype is None:
        raise ModelLoadError(
            f"{path.name}: input {inp.name!r} has type {inp.type}; a float or double tensor "
            "is needed"
        )
    shape = list(inp.shape)
    n_features = shape[1] if len(shape) == 2 and isinstance(shape[1], int) else None

    outputs = sess.get_outputs()
    chosen = next((o for o in outputs if "prob" in o.name.lower()), None)
    if chosen is not None:
        kind = "probabilities"
    else:
        chosen = outputs[0]
        kind = "labels" if chosen.type in ("tensor(int64)", "tensor(string)") else "values"
    out_name, in_name = chosen.name, inp.name
    is_seq_map = chosen.type.startswith("seq(map")

    run = _fast_run(sess, in_name, out_name, n_features, dtype)

    def predict(batch: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(batch, dtype=dtype)
        out = run([out_name], {in_name: x})[0]
        if is_seq_map:  # ZipMap output: one {class: probability} per row
            keys = sorted(out[0]) if out else []
            return np.array([[row[k] for k in keys] for row in out], dtype=np.float32)
        out = np.asarray(out)
        if kind == "values" and out.ndim == 2 and out.shape[1] == 1:
            out = out[:, 0]
        return out

    return LoadedModel(
        path=path,
        format="onnx",
        n_features=n_features,
        feature_names=None,
        output_kind=kind,
        sha256=_sha256(path),
        trained_sklearn_version=None,
        classes=None,
        estimator=f"ONNX ({sess.get_modelmeta().producer_name or 'unknown producer'})",
        allows_nan=False,
        _predict=predict,
    )


def _fast_run(
    sess: Any, in_name: str, out_name: str, n_features: int | None, dtype: Any
) -> Callable[[list[str], dict[str, np.ndarray]], list[Any]]:
    """``sess.run`` without its per-call argument checks (about 1.3 us of 5 for one row), when
    this onnxruntime has the inner session and it gives the same answer; else ``sess.run``."""
    inner = getattr(getattr(sess, "_sess", None), "run", None)
    if inner is None or n_features is None:
        return sess.run  # type: ignore[no-any-return]
    try:
        import onnxruntime as ort

        options = ort.RunOptions()
        probe = np.linspace(0.0, 1.0, 2 * n_features).reshape(2, n_features).astype(dtype)
        want = sess.run([out_name], {in_name: probe})[0]
        got = inner([out_name], {in_name: probe}, options)[0]
        if not np.array_equal(np.asarray(want), np.asarray(got)):
            return sess.run  # type: ignore[no-any-return]
    except Exception:
        return sess.run  # type: ignore[no-any-return]

    def run(names: list[str], feed: dict[str, np.ndarray]) -> list[Any]:
        return inner(names, feed, options)  # type: ignore[no-any-return]

    return run


# --- MLflow ------------------------------------------------------------------------------------


def _read_mlmodel(path: Path) -> dict[str, Any]:
    """The MLmodel YAML file; uses PyYAML when present, else a reader for its simple subset."""
    text = path.read_text(encoding="utf-8")
    try:
        import yaml
    except ImportError:
        return _read_simple_yaml(text)
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ModelLoadError(f"{path} is not an MLmodel file (expected a YAML mapping)")
    return data


def _read_simple_yaml(text: str) -> dict[str, Any]:
    """Nested mappings of scalars, indented by spaces: enough for MLmodel's ``flavors``."""
    root: dict[str, Any] = {}
    stack: list[tuple[int, dict[str, Any]]] = [(-1, root)]
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith(("#", "- ")):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        key, sep, value = raw.strip().partition(":")
        if not sep:
            continue
        while stack and indent <= stack[-1][0]:
            stack.pop()
        parent = stack[-1][1]
        value = value.strip()
        if value == "":
            child: dict[str, Any] = {}
            parent[key] = child
            stack.append((indent, child))
        else:
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            parent[key] = None if value in ("null", "~") else value
    return root


def _load_mlflow(folder: Path) -> LoadedModel:
    meta = _read_mlmodel(folder / "MLmodel")
    flavors = meta.get("flavors") or {}
    sk = flavors.get("sklearn")
    pyfunc = flavors.get("python_function")
    if isinstance(sk, dict) and sk.get("pickled_model"):
        file = folder / str(sk["pickled_model"])
        fmt = str(sk.get("serialization_format") or "cloudpickle")
        version = sk.get("sklearn_version")
    elif isinstance(pyfunc, dict) and pyfunc.get("loader_module") == "mlflow.sklearn":
        file = folder / str(pyfunc.get("model_path") or "model.pkl")
        fmt = "cloudpickle"
        version = None
    else:
        present = ", ".join(sorted(flavors)) or "none"
        raise ModelLoadError(
            f"MLflow model {folder} has flavours {present}; only the sklearn flavour (or "
            "python_function with loader_module mlflow.sklearn) can be served"
        )
    if not file.is_file():
        raise ModelLoadError(f"MLflow model {folder}: {file.name} is missing")
    if fmt == "skops":
        obj = _load_skops(file)
        trained = str(version) if version else None
    else:
        obj, trained = _unpickle(file)
        if version:
            trained = str(version)
    model = _wrap_estimator(obj, file, "mlflow", trained)
    return model


def _load_skops(file: Path) -> Any:
    try:
        sio = importlib.import_module("skops.io")
    except ImportError as exc:
        raise ModelLoadError(
            f"{file.name} was saved by MLflow in skops format; install skops to load it "
            "(pip install skops)"
        ) from exc
    _warn_unpickle(file)
    try:
        untrusted = sio.get_untrusted_types(file=str(file))
        return sio.load(str(file), trusted=untrusted)
    except Exception as exc:
        raise ModelLoadError(f"{file.name} cannot be loaded by skops ({exc})") from exc
