"""From command-line flags to a spec: which file to read, and how flags override it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy_advisor import console
from deploy_advisor.advisor.flags import SPEC_FLAGS, parameter
from deploy_advisor.advisor.spec import (
    DEFAULT_SPEC_FILE,
    Spec,
    load_spec,
    merge_overrides,
    spec_from_mapping,
)
from deploy_advisor.errors import SpecError

if TYPE_CHECKING:
    from deploy_advisor.advisor.recommend import Recommendation

__all__ = [
    "NULL_WORDS", "build_spec", "flag_overrides", "model_size_mb", "positive_number",
    "recommend_from_flags",
]  # fmt: skip

NULL_WORDS = frozenset({"none", "null", "nobody", "~"})
_PATHS = {parameter(flag): flag.path for flag in SPEC_FLAGS}


def flag_overrides(**flags: Any) -> dict[str, Any]:
    """Dotted spec paths for the flags that were given (None = not given), by parameter name."""
    out: dict[str, Any] = {}
    for key, value in flags.items():
        if value is None:
            continue
        path = _PATHS[key]
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


def recommend_from_flags(
    *,
    spec_path: Path | None,
    overrides: Mapping[str, Any],
    weights_path: Path | None = None,
    catalog_path: Path | None = None,
    replace_catalog: bool = False,
    rps_per_vcpu: str | None = None,
) -> Recommendation:
    """`recommend`: the spec file (or ./deploy-advisor.yaml, or the defaults) with the flags, the
    catalog and the weights, each read and checked, then the advisor's answer."""
    from deploy_advisor.advisor.catalog import load_catalog
    from deploy_advisor.advisor.recommend import recommend
    from deploy_advisor.advisor.weights import load_weights

    rate = positive_number(rps_per_vcpu, "--rps-per-vcpu", low=0.01, high=1_000_000)
    no_file = spec_path is None and not Path(DEFAULT_SPEC_FILE).is_file()
    result = recommend(
        build_spec(spec_path, overrides),
        catalog=load_catalog(catalog_path, replace=replace_catalog),
        weights=load_weights(weights_path),
        rps_per_vcpu=rate,
    )
    if no_file:
        console.info(
            f"No {DEFAULT_SPEC_FILE} here: using the defaults and flags "
            "(`deploy-advisor init` writes one)."
        )
    return result
