"""MLflow model directories: the ``sklearn`` flavour (pickled or skops), or
``python_function`` backed by ``mlflow.sklearn``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..model import LoadedModel, ModelLoadError
from ..schema import InputSchema
from .sklearn import unpickle, wrap_estimator
from .skops import load_skops_object

__all__ = ["load_mlflow"]


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


def load_mlflow(
    folder: Path,
    *,
    output: str | None = None,
    trust_types: tuple[str, ...] = (),
    schema: InputSchema | None = None,
) -> LoadedModel:
    """Load an MLflow model directory holding a scikit-learn model."""
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
        obj = load_skops_object(file, trust_types=trust_types)
        trained = str(version) if version else None
    else:
        obj, trained = unpickle(file)
        if version:
            trained = str(version)
    model = wrap_estimator(obj, file, "mlflow", trained, output=output, schema=schema)
    model.framework = "mlflow" if model.framework == "sklearn" else model.framework
    return model
