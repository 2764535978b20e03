"""Model facts a scaffold needs: intake's inspection plus one timed prediction."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from deploy_advisor.errors import ModelError
from deploy_advisor.targets.base import ModelFacts
from deploy_advisor.targets.code import CODE_DIR, check_code, code_on_path
from deploy_advisor.targets.pinning import code_modules, framework_pins, model_needs

__all__ = ["model_facts", "safe_model_name"]

_PAYLOAD_COUNT = 20


def safe_model_name(path: Path) -> str:
    """The model's file name, reduced to characters that are safe in any path or manifest."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", path.name).lstrip(".")
    if not name or name in {".", ".."}:
        raise ModelError(f"model file name {path.name!r} is unusable; rename it, e.g. model.joblib")
    return name


def model_facts(path: Path, *, code: Path | None = None) -> ModelFacts:
    """Read what the model file needs, inspect it in a fresh process, time one prediction here.

    `code` (scaffold --code) holds the user's modules the model imports: on the import path
    while the model loads, and no pin needed for them."""
    from deploy_advisor.intake.inspect import inspect_model
    from deploy_advisor.intake.payloads import sample_payloads
    from deploy_advisor.runtime.loader import DEEP_SUFFIXES

    if path.is_dir() and not (path / "config.json").is_file():
        raise ModelError(
            f"{str(path)!r} is a directory; scaffold takes a model file or a Hugging Face "
            "save_pretrained directory (--model PATH)"
        )
    code = check_code(code)
    deep_file = path.is_dir() or path.suffix.lower() in DEEP_SUFFIXES
    needs = None if deep_file else model_needs(path)
    pins = framework_pins(needs, given=code_modules(code), model_name=path.name) if needs else ()
    with code_on_path(code):
        report = inspect_model(path)
        if report.deep is not None:
            return _deep_facts(path, report, code_dir=CODE_DIR if code is not None else None)
        if not report.n_features:
            raise ModelError(f"model {str(path)!r} does not say how many features it takes")
        payloads = sample_payloads(report, count=_PAYLOAD_COUNT)
        predict_ms = _predict_ms(path, report.n_features, payloads)
    return ModelFacts(
        file_name=safe_model_name(path),
        format=report.format,
        n_features=report.n_features,
        sha256=report.sha256,
        size_bytes=report.size_bytes,
        load_seconds=round(report.load_seconds, 3),
        rss_mb=round(report.rss_mb, 1),
        predict_ms=round(predict_ms, 3),
        trained_sklearn_version=report.trained_sklearn_version,
        payloads_json=json.dumps(payloads, indent=1) + "\n",
        pins=pins,
        code_dir=CODE_DIR if code is not None else None,
    )


def _deep_facts(path: Path, report: Any, *, code_dir: str | None) -> ModelFacts:
    """Facts of a deep-learning model file: no columns; one call on its example instance."""
    from deploy_advisor.intake.payloads import sample_payloads

    payloads = sample_payloads(report, count=_PAYLOAD_COUNT)
    return ModelFacts(
        file_name=safe_model_name(path),
        format=report.format,
        n_features=0,
        sha256=report.sha256,
        size_bytes=report.size_bytes,
        load_seconds=round(report.load_seconds, 3),
        rss_mb=round(report.rss_mb, 1),
        predict_ms=round(_deep_predict_ms(path), 3),
        trained_sklearn_version=None,
        payloads_json=json.dumps(payloads, indent=1) + "\n",
        code_dir=code_dir,
        input_kind=(report.deep or {}).get("kind"),
    )


def _deep_predict_ms(path: Path) -> float:
    """Median time of one forward pass on the model's example instance, in milliseconds."""
    import warnings

    from deploy_advisor.runtime.loader import load_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        deep = load_model(path).deep
        assert deep is not None
        item = deep.prepare(deep.example, {}, "example")
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            deep.run([item.data])
            timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings)[len(timings) // 2]


def _predict_ms(path: Path, n_features: int, payloads: list[dict[str, Any]]) -> float:
    """Median time of one single-row prediction through the runtime's loader, in milliseconds:
    a row of zeros, or for a model over named, typed columns the first sample record."""
    import warnings

    import numpy as np

    from deploy_advisor.runtime.loader import load_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = load_model(path)
        row: Any = np.zeros((1, n_features))
        try:
            model.predict(row)
        except Exception:
            records = next((b["records"][:1] for b in payloads if b.get("records")), None)
            if records is None:
                raise
            from deploy_advisor.runtime.frames import typed_batch

            row = typed_batch({"records": records}, model.schema)  # as the server checks it
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            model.predict(row)
            timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings)[len(timings) // 2]
