"""`inspect_model`: what a model file is, measured by loading it in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy_advisor.errors import ModelError

if TYPE_CHECKING:
    from deploy_advisor.runtime.schema import InputSchema

__all__ = ["ModelReport", "inspect_model", "model_format"]

SUPPORTED = (
    "a .joblib, .pkl, .pickle or .sav file (scikit-learn, XGBoost, LightGBM, CatBoost), a "
    ".skops file, an .onnx file, an XGBoost .json/.ubj booster, a LightGBM model.txt, a "
    "CatBoost .cbm file, an MLflow model directory, a PyTorch .pt2 (torch.export) or .pt "
    "(TorchScript) file, a Keras .keras file, a Hugging Face save_pretrained directory or a "
    "scaffold directory"
)
_FIXES = {
    "pickle": "re-save it with joblib.dump(model, path) where it was trained",
    "onnx": "re-export it (for example with skl2onnx.to_onnx) and check it with onnx.checker",
    "mlflow": "re-save it with mlflow.sklearn.save_model or mlflow.pyfunc.save_model",
    "skops": "check the types it holds with skops.io.get_untrusted_types and pass --trust-types",
    "xgboost": "re-save it with Booster.save_model('model.json') where it was trained",
    "lightgbm": "re-save it with Booster.save_model('model.txt') where it was trained",
    "catboost": "re-save it with model.save_model('model.cbm') where it was trained",
    "torch": "export it with torch.export.save(torch.export.export(model, (example,)), "
    "'model.pt2')",
    "keras": "re-save it with model.save('model.keras') (Keras 3) where it was trained",
    "transformers": "re-save it with model.save_pretrained(DIR) and "
    "tokenizer.save_pretrained(DIR) (or the image processor's)",
}
_NATIVE = {
    ".onnx": "onnx",
    ".skops": "skops",
    ".json": "xgboost",
    ".ubj": "xgboost",
    ".txt": "lightgbm",
    ".cbm": "catboost",
    ".pt2": "torch",
    ".pt": "torch",
    ".pth": "torch",
    ".keras": "keras",
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
    framework: str = "sklearn"
    """The framework the model needs: sklearn, xgboost, lightgbm, catboost, onnx or mlflow."""
    framework_version: str | None = None
    """The version of that framework the file was saved with where it says, else installed."""
    outputs: list[str] = field(default_factory=lambda: ["predict"])
    output: str = "predict"
    schema: dict[str, Any] = field(default_factory=dict)
    """The typed input schema (``InputSchema.to_json()``): columns, types, categories."""
    deep: dict[str, Any] | None = None
    """Deep-learning models: kind (tensor/text/image), task, inputs and outputs (names, dtypes,
    shapes), labels, max_length and an ``example`` instance (``DeepModel.describe()``)."""

    @property
    def input_schema(self) -> InputSchema:
        from deploy_advisor.runtime.schema import InputSchema

        return InputSchema.from_json(self.schema)

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
        return "transformers" if (target / "config.json").is_file() else "mlflow"
    suffix = target.suffix.lower()
    if suffix in _NATIVE:
        return _NATIVE[suffix]
    if suffix in (".joblib", ".pkl", ".pickle", ".sav"):
        return "pickle"
    shown = suffix or "no suffix"
    raise ModelError(f"`{target}` has an unknown model format ({shown}); pass {SUPPORTED}")


def inspect_model(
    path: Path,
    *,
    timeout_s: float = 300.0,
    schema: Path | None = None,
    sample: Path | None = None,
    trust_types: tuple[str, ...] = (),
    task: str | None = None,
) -> ModelReport:
    """Load the model in a fresh Python process and report its schema, size, load time and RSS.

    ``schema`` (a JSON file) replaces the schema derived from the model; ``sample`` (CSV or
    Parquet rows of training data) corrects types, categories, ranges and missing values;
    ``trust_types`` lists the types a .skops file may hold beyond those skops trusts."""
    kind = model_format(path)
    for given, what in ((schema, "--schema"), (sample, "--sample")):
        if given is not None and not given.is_file():
            raise ModelError(f"{what} {given} not found; pass an existing file")
    if sample is not None and sample.suffix.lower() not in {".csv", ".parquet"}:
        raise ModelError(f"--sample {sample}: use a .csv or .parquet file of training rows")
    argv = [sys.executable, "-m", "deploy_advisor.intake.probe", str(path)]
    if schema is not None:
        argv += ["--schema", str(schema)]
    if sample is not None:
        argv += ["--sample", str(sample)]
    if trust_types:
        argv += ["--trust-types", ",".join(trust_types)]
    if task:
        argv += ["--task", task]
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    document = _last_json_line(done.stdout)
    if document is not None and "predict_failed" in document:
        raise ModelError(
            f"Model `{path}` loads, but predicting one valid row drawn from its schema "
            f"({document['predict_failed']}) failed ({document['error']}); correct the schema "
            "with --sample data.csv or --schema schema.json"
        )
    if document is None or "error" in document:
        reason = document["error"] if document else _last_line(done.stderr) or "no output"
        raise ModelError(f"Cannot load model `{path}`: {reason}; {_FIXES[kind]}")
    notes: list[str] = []
    if kind not in (
        "onnx",
        "skops",
        "xgboost",
        "lightgbm",
        "catboost",
        "torch",
        "keras",
        "transformers",
    ):
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
