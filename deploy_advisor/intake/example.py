"""The example model: a RandomForest on scikit-learn's bundled breast_cancer data, offline.

`--kind churn|xgboost|lightgbm` trains the tabular examples instead (tabular_examples.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deploy_advisor.errors import InputError
from deploy_advisor.files import write_atomic, write_atomic_with

__all__ = [
    "EXAMPLE_DATASET",
    "EXAMPLE_KINDS",
    "ExampleModel",
    "check_example_output",
    "make_example_model",
]

EXAMPLE_DATASET = "breast_cancer"
EXAMPLE_KINDS = ("forest", "churn", "xgboost", "lightgbm")
JOBLIB_NAME = "model.joblib"
ONNX_NAME = "model.onnx"


@dataclass(frozen=True)
class ExampleModel:
    """The files written by `make_example_model` and what the model is."""

    joblib_path: Path
    onnx_path: Path
    dataset: str
    n_features: int
    n_rows: int
    train_accuracy: float


def check_example_output(out_dir: Path, *, force: bool = False) -> tuple[Path, Path]:
    """The joblib and ONNX paths in `out_dir`; an error if either exists (without force)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} is a file, not a directory; pass -o DIR with a directory path")
    joblib_path, onnx_path = out_dir / JOBLIB_NAME, out_dir / ONNX_NAME
    existing = [p for p in (joblib_path, onnx_path) if p.exists()]
    if existing and not force:
        raise InputError(
            f"{existing[0]} already exists; pass --force to overwrite it or choose another -o DIR"
        )
    return joblib_path, onnx_path


def make_example_model(out_dir: Path, *, force: bool = False) -> ExampleModel:
    """Train RandomForestClassifier(n_estimators=100, random_state=0) and save joblib and ONNX.

    The output is checked before scikit-learn is even imported: a refusal costs no training."""
    joblib_path, onnx_path = check_example_output(out_dir, force=force)

    import joblib
    from skl2onnx import to_onnx
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    data = load_breast_cancer()
    features, labels = data.data, data.target
    model = RandomForestClassifier(n_estimators=100, random_state=0).fit(features, labels)
    onnx_model = to_onnx(
        model,
        features[:1].astype("float32"),
        options={id(model): {"zipmap": False}},
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomic_with(joblib_path, lambda tmp: joblib.dump(model, tmp))
    write_atomic(onnx_path, onnx_model.SerializeToString())
    return ExampleModel(
        joblib_path=joblib_path,
        onnx_path=onnx_path,
        dataset=EXAMPLE_DATASET,
        n_features=features.shape[1],
        n_rows=features.shape[0],
        train_accuracy=float(model.score(features, labels)),
    )
