"""`inspect_model`: what a model file is, measured by loading it in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from deploy_advisor.errors import ModelError

__all__ = ["ModelReport", "inspect_model", "model_format"]

SUPPORTED = (
    "a .joblib, .pkl, .pickle or .sav file (scikit-learn), an .onnx file, an MLflow model "
    "directory or a scaffold directory"
)
_FIXES = {
    "pickle": "re-save it with joblib.dump(model, path) where it was trained",
    "onnx": "re-export it (for example with skl2onnx.to_onnx) and check it with onnx.checker",
    "mlflow": "re-save it with mlflow.sklearn.save_model or mlflow.pyfunc.save_model",
}


@dataclass(frozen=True)
class ModelReport:
    """Everything `deploy-advisor inspect` reports about one model."""

    path: str
    format: str
    estimator: str
    sha256: str
    size_bytes: int
    n_features: int | None
    feature_names: list[str] | None
    output_kind: str
    n_outputs: int | None
    classes: list[Any] | None
    load_seconds: float
    rss_mb: float
    trained_sklearn_version: str | None
    installed_sklearn_version: str | None
    sample_dataset: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def sklearn_mismatch(self) -> bool:
        """True when the model was pickled with another scikit-learn than the installed one."""
        return bool(
            self.trained_sklearn_version
            and self.installed_sklearn_version
            and self.trained_sklearn_version != self.installed_sklearn_version
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sklearn_mismatch": self.sklearn_mismatch}


def model_format(path: Path) -> str:
    """'pickle', 'onnx' or 'mlflow' for what `path` designates; ModelError naming the fix."""
    from deploy_advisor.runtime.loader import ModelLoadError, resolve_model_path

    if not path.exists():
        raise ModelError(f"Model `{path}` not found; pass the path of {SUPPORTED}")
    try:
        target = resolve_model_path(path)
    except ModelLoadError as exc:
        raise ModelError(f"Cannot use `{path}`: {exc}") from None
    if target.is_dir():
        return "mlflow"
    suffix = target.suffix.lower()
    if suffix == ".onnx":
        return "onnx"
    if suffix in (".joblib", ".pkl", ".pickle", ".sav"):
        return "pickle"
    shown = suffix or "no suffix"
    raise ModelError(f"`{target}` has an unknown model format ({shown}); pass {SUPPORTED}")


def inspect_model(path: Path, *, timeout_s: float = 300.0) -> ModelReport:
    """Load the model in a fresh Python process and report its schema, size, load time and RSS."""
    kind = model_format(path)
    done = subprocess.run(
        [sys.executable, "-m", "deploy_advisor.intake.probe", str(path)],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    document = _last_json_line(done.stdout)
    if document is not None and "predict_failed" in document:
        raise ModelError(
            f"Model `{path}` loads, but predicting one row of {document['predict_failed']} zeros "
            f"failed ({document['error']}); deploy-advisor serves models that take rows of "
            "numbers: encode text or categorical columns before the model, or export a pipeline "
            "that takes numbers"
        )
    if document is None or "error" in document:
        reason = document["error"] if document else _last_line(done.stderr) or "no output"
        raise ModelError(f"Cannot load model `{path}`: {reason}; {_FIXES[kind]}")
    notes: list[str] = []
    if kind != "onnx":
        notes.append(
            f"loading {path.name} unpickles it, which runs code stored in the file: load only "
            f"models you trust (sha256 {document['sha256'][:16]}…)"
        )
    trained, installed = document["trained_sklearn_version"], document["installed_sklearn_version"]
    if trained and installed and trained != installed:
        notes.append(
            f"pickled with scikit-learn {trained} but {installed} is installed: predictions may "
            f"differ; serve it with scikit-learn=={trained} or re-save it"
        )
    notes += document.pop("load_warnings")
    return ModelReport(path=str(path), size_bytes=_size_bytes(path), warnings=notes, **document)


def _size_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _last_json_line(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            try:
                parsed = json.loads(line)
            except json.JSONDecodeError:
                return None
            return parsed if isinstance(parsed, dict) else None
    return None


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1].strip() if lines else ""
