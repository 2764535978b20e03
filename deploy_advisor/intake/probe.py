"""Load one model in a fresh process and print what it is as one JSON line.

`python -m deploy_advisor.intake.probe PATH [--schema F] [--sample F] [--trust-types T,...]`:
run by `inspect_model` in a subprocess, so that the load time and resident memory are the
model's alone, not those of the calling process.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["probe"]

# A model counts as trained on the bundled dataset when it gets this share of its rows right.
DATASET_MATCH_ACCURACY = 0.9


class NotNumeric(Exception):
    """The model loads but cannot predict a valid row drawn from its schema."""

    def __init__(self, row: list[Any], cause: Exception) -> None:
        super().__init__(f"{type(cause).__name__}: {_first_line(cause)}".rstrip(": "))
        self.row = row


def probe(
    path: Path,
    *,
    schema_file: Path | None = None,
    sample: Path | None = None,
    trust_types: tuple[str, ...] = (),
    task: str | None = None,
) -> dict[str, Any]:
    """Load the model, time it, measure RSS and predict once; return plain JSON-able facts."""
    import psutil

    from deploy_advisor.intake.sample import schema_from_sample
    from deploy_advisor.runtime.frames import example_row
    from deploy_advisor.runtime.loader import load_model, read_schema_file

    given = read_schema_file(schema_file) if schema_file is not None else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        started = time.perf_counter()
        loaded = load_model(path, trust_types=trust_types, schema=given, task=task)
        load_seconds = time.perf_counter() - started
    schema = loaded.schema
    if sample is not None:
        schema = schema_from_sample(schema, sample)
    rss_mb = psutil.Process().memory_info().rss / 2**20
    installed = _installed_sklearn()
    trained = loaded.trained_sklearn_version
    notes = set()
    for warning in caught:
        original = getattr(warning.message, "original_sklearn_version", None)
        if original is not None:
            trained = str(original)
        else:
            notes.add(str(warning.message).strip().splitlines()[0])
    n_features = loaded.n_features
    n_outputs = None
    if n_features and schema.columns:
        row = example_row(schema)
        try:
            output = loaded.predict_frame([row])
        except Exception as exc:
            raise NotNumeric(row, exc) from exc
        n_outputs = int(output.shape[1]) if output.ndim == 2 else 1
    return {
        "format": loaded.format,
        "estimator": loaded.estimator,
        "sha256": loaded.sha256,
        "n_features": n_features,
        "feature_names": list(loaded.feature_names) if loaded.feature_names else None,
        "output_kind": loaded.output_kind,
        "n_outputs": n_outputs,
        "classes": loaded.classes,
        "load_seconds": load_seconds,
        "rss_mb": rss_mb,
        "trained_sklearn_version": trained,
        "installed_sklearn_version": installed,
        "load_warnings": sorted(notes),
        "sample_dataset": _bundled_dataset(loaded, n_features),
        "framework": loaded.framework,
        "framework_version": loaded.framework_version,
        "outputs": list(loaded.outputs),
        "output": loaded.output,
        "schema": schema.to_json(),
        "deep": _deep(loaded),
    }


def _deep(loaded: Any) -> dict[str, Any] | None:
    """What a deep model takes and answers, checked by running it on its example instance."""
    deep = loaded.deep
    if deep is None:
        return None
    doc: dict[str, Any] = deep.describe()
    if deep.example is not None:
        item = deep.prepare(deep.example, {}, "example")
        deep.run([item.data])
    doc["example"] = deep.example
    return doc


def _installed_sklearn() -> str | None:
    try:
        return metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:
        return None


def _bundled_dataset(loaded: Any, n_features: int | None) -> str | None:
    """'breast_cancer' when the model classifies that bundled dataset's rows (the example model)."""
    if (
        n_features != 30
        or not loaded.schema.numeric_only
        or loaded.output_kind not in ("probabilities", "labels")
    ):
        return None
    import numpy as np
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    try:
        output = np.asarray(loaded.predict(data.data))
        if loaded.output_kind == "probabilities":
            output = output.argmax(axis=1)
        accuracy = float((output.reshape(-1).astype(np.int64) == data.target).mean())
    except (ValueError, TypeError, IndexError):  # other labels or shapes: not the example model
        return None
    return "breast_cancer" if accuracy >= DATASET_MATCH_ACCURACY else None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m deploy_advisor.intake.probe")
    parser.add_argument("model", type=Path)
    parser.add_argument("--schema", type=Path)
    parser.add_argument("--sample", type=Path)
    parser.add_argument("--trust-types", default="")
    parser.add_argument("--task")
    args = parser.parse_args()
    trusted = tuple(t.strip() for t in args.trust_types.split(",") if t.strip())
    try:
        document = probe(
            args.model,
            schema_file=args.schema,
            sample=args.sample,
            trust_types=trusted,
            task=args.task,
        )
    except NotNumeric as exc:
        document = {"error": str(exc), "predict_failed": json.dumps(exc.row, default=str)}
    except Exception as exc:  # reported to the parent as one line, never a traceback
        document = {"error": f"{type(exc).__name__}: {_first_line(exc)}".rstrip(": ")}
    sys.stdout.write(json.dumps(document) + "\n")


if __name__ == "__main__":
    main()
