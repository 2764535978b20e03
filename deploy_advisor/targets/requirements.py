"""Pinned serving dependencies: scikit-learn at its training version, plus what the model names."""

from __future__ import annotations

from importlib import metadata

from deploy_advisor.targets.base import ModelFacts, Requirement
from deploy_advisor.targets.requirements_deep import DEEP_FORMATS, deep_requirements

__all__ = ["render_requirements", "serving_requirements", "sklearn_mismatch"]

# scikit-learn releases before this one were built against numpy 1.x and break on numpy 2.
_FIRST_SKLEARN_FOR_NUMPY2 = (1, 4, 2)
_LAST_NUMPY1 = "1.26.4"
# The first scikit-learn release with wheels for CPython 3.11.
_FIRST_SKLEARN_FOR_PY311 = (1, 1, 3)


def _installed(name: str) -> str:
    return metadata.version(name)


def _as_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def sklearn_mismatch(facts: ModelFacts) -> str | None:
    """A warning when the model was trained with another scikit-learn than the one here."""
    trained = facts.trained_sklearn_version
    if trained is None:
        return None
    here = _installed("scikit-learn")
    if trained == here:
        return None
    note = (
        f"model was trained with scikit-learn {trained} but this machine has {here}; "
        f"requirements.txt pins scikit-learn=={trained} so serving matches training"
    )
    if _as_tuple(trained) < _FIRST_SKLEARN_FOR_PY311:
        note += f" (scikit-learn {trained} has no wheels for Python 3.11: retrain or pin Python)"
    return note


def serving_requirements(
    facts: ModelFacts, *, gunicorn: bool, gpu: bool = False
) -> tuple[Requirement, ...]:
    """The minimal pinned set the runtime needs to serve this model (`gpu`: CUDA torch)."""
    reqs: list[Requirement] = []
    trained = facts.trained_sklearn_version
    if facts.format in DEEP_FORMATS:  # deep-learning models (issue 17): CPU-only wheels
        reqs.extend(deep_requirements(facts.format, gpu=gpu))
    elif facts.format == "onnx":
        reqs.append(Requirement("numpy", _installed("numpy")))
        reqs.append(Requirement("onnxruntime", _installed("onnxruntime"), "runs the ONNX model"))
    elif trained is not None and trained != _installed("scikit-learn"):
        numpy = _installed("numpy")
        if _as_tuple(trained) < _FIRST_SKLEARN_FOR_NUMPY2:
            numpy = _LAST_NUMPY1
        reqs.append(Requirement("numpy", numpy, f"compatible with scikit-learn {trained}"))
        reqs.append(Requirement("scikit-learn", trained, "the version the model was trained with"))
        reqs.append(Requirement("joblib", _installed("joblib")))
    else:
        sklearn = trained or _installed("scikit-learn")
        reqs.append(Requirement("numpy", _installed("numpy")))
        reqs.append(Requirement("scipy", _installed("scipy")))
        reqs.append(Requirement("scikit-learn", sklearn, "the version the model was trained with"))
        reqs.append(Requirement("joblib", _installed("joblib")))
        reqs.append(Requirement("threadpoolctl", _installed("threadpoolctl")))
    if facts.format != "onnx":
        pinned = {r.name for r in reqs}
        reqs.extend(r for r in facts.pins if r.name not in pinned)
    reqs.append(Requirement("orjson", _installed("orjson")))
    reqs.append(Requirement("uvicorn", _installed("uvicorn")))
    reqs.append(Requirement("uvloop", _installed("uvloop")))
    reqs.append(Requirement("httptools", _installed("httptools")))
    if gunicorn:
        reqs.append(Requirement("gunicorn", _installed("gunicorn")))
    return tuple(reqs)


def render_requirements(reqs: tuple[Requirement, ...]) -> str:
    """requirements.txt text: one pin a line, with the reason as a trailing comment."""
    lines = ["# Serving dependencies, pinned by deploy-advisor scaffold."]
    for req in reqs:
        lines.append(f"{req.line()}  # {req.reason}" if req.reason else req.line())
    return "\n".join(lines) + "\n"
