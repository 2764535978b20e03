"""skops files (``.skops``): scikit-learn models saved without pickle's arbitrary code."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from ..model import LoadedModel, ModelLoadError
from ..schema import InputSchema
from .sklearn import wrap_estimator

__all__ = ["load_skops", "load_skops_object"]


def load_skops_object(file: Path, *, trust_types: tuple[str, ...] = ()) -> Any:
    """The object in a skops file; refuses types skops does not trust unless listed."""
    try:
        sio = importlib.import_module("skops.io")
    except ImportError as exc:
        raise ModelLoadError(
            f"{file.name} is in skops format; install skops to load it (pip install skops)"
        ) from exc
    try:
        untrusted = [str(t) for t in sio.get_untrusted_types(file=str(file))]
    except Exception as exc:
        raise ModelLoadError(f"{file.name} cannot be read by skops ({exc})") from exc
    unknown = [t for t in untrusted if t not in trust_types]
    if unknown:
        raise ModelLoadError(
            f"{file.name} holds types skops does not trust: {', '.join(unknown)}; check that "
            f"they are yours, then pass --trust-types {','.join(unknown)} (server: "
            "MODEL_TRUST_TYPES)"
        )
    try:
        return sio.load(str(file), trusted=untrusted)
    except ModuleNotFoundError as exc:
        from .sklearn import missing_module_error

        raise missing_module_error(file, exc) from exc
    except Exception as exc:
        raise ModelLoadError(f"{file.name} cannot be loaded by skops ({exc})") from exc


def load_skops(
    path: Path,
    *,
    output: str | None = None,
    trust_types: tuple[str, ...] = (),
    schema: InputSchema | None = None,
) -> LoadedModel:
    """Load a ``.skops`` file."""
    obj = load_skops_object(path, trust_types=trust_types)
    saved = getattr(obj, "_sklearn_version", None)
    return wrap_estimator(
        obj, path, "skops", str(saved) if saved else None, output=output, schema=schema
    )
