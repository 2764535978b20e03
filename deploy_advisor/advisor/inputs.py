"""From command-line flags to a spec: which file to read, and how flags override it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from deploy_advisor.advisor.spec import (
    DEFAULT_SPEC_FILE,
    Spec,
    load_spec,
    merge_overrides,
    spec_from_mapping,
)
from deploy_advisor.errors import SpecError

__all__ = ["NULL_WORDS", "build_spec", "flag_overrides", "model_size_mb", "positive_number"]

NULL_WORDS = frozenset({"none", "null", "nobody", "~"})


def flag_overrides(**flags: Any) -> dict[str, Any]:
    """Dotted spec paths for the flags that were given (None = not given)."""
    mapping = {
        "name": "name",
        "model": "model.path",
        "model_size_mb": "model.size_mb",
        "gpu": "model.gpu",
        "p95_ms": "latency.p95_ms",
        "freshness": "latency.freshness",
        "requests_per_day": "traffic.requests_per_day",
        "peak_rps": "traffic.peak_rps",
        "pattern": "traffic.pattern",
        "batch_rows": "traffic.batch_rows",
        "pii": "privacy.pii",
        "on_device_only": "privacy.on_device_only",
        "region": "privacy.region",
        "connectivity": "connectivity",
        "budget": "budget.monthly_usd",
        "ops_skill": "team.ops_skill",
        "availability": "availability",
        "edge_devices": "edge.devices",
    }
    out: dict[str, Any] = {}
    for key, value in flags.items():
        if value is None:
            continue
        path = mapping[key]
        if path == "latency.p95_ms" and isinstance(value, str):
            if value.strip().lower() in NULL_WORDS:
                value = None
        elif path == "privacy.region" and isinstance(value, str) and value.lower() in NULL_WORDS:
            value = None
        out[path] = value
    return out


def model_size_mb(path: Path) -> float | None:
    """Size in MB of a model file or MLflow model directory, or None if it is not there."""
    try:
        if path.is_file():
            return round(path.stat().st_size / 1e6, 3)
        if (path / "MLmodel").is_file():  # an MLflow model directory
            total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
            return round(total / 1e6, 3)
    except OSError:
        return None
    return None


def build_spec(spec_path: Path | None, overrides: Mapping[str, Any]) -> Spec:
    """The spec file (or ./deploy-advisor.yaml, or the defaults) with the flags written in.

    When no size is given anywhere, `model.size_mb` is the size of the model file that `--model`
    or the file's `model.path` names (a path in the file is relative to the file).
    """
    if spec_path is None and Path(DEFAULT_SPEC_FILE).is_file():
        spec_path = Path(DEFAULT_SPEC_FILE)
    base = load_spec(spec_path) if spec_path is not None else spec_from_mapping({})
    overrides = dict(overrides)
    given_size = "model.size_mb" in overrides or "size_mb" in (base.source.get("model") or {})
    if not given_size:
        size = _size_of_named_model(spec_path, base, overrides)
        if size is not None:
            overrides["model.size_mb"] = size
    if not overrides:
        return base
    return merge_overrides(base, overrides)


def _size_of_named_model(
    spec_path: Path | None, base: Spec, overrides: Mapping[str, Any]
) -> float | None:
    if "model.path" in overrides:
        named, label = overrides["model.path"], "--model"
        path = Path(named) if isinstance(named, str) and named else None
    else:
        named, label = base.model.path, f"{spec_path}: model.path"
        path = (spec_path or Path()).parent / named if named else None
    if path is None:
        return None
    size = model_size_mb(path)
    if size is None:
        raise SpecError(
            f"{label} is {str(named)!r}, which is not a model file or MLflow model directory, "
            "and no model size is given; fix the path or give --model-size-mb"
        )
    return size


def positive_number(
    value: str | None, flag: str, *, low: float = 0.0, high: float = math.inf
) -> float | None:
    """Parse a flag that must be a number above `low` (0 by default) and at most `high`."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or not low < number <= high:
        bounds = f"above {low:g}" + (f" and at most {high:,.0f}" if math.isfinite(high) else "")
        raise SpecError(f"{flag} is {value!r}, which is not a number {bounds}; e.g. {flag} 150")
    return number
