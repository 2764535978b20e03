"""Factor weights: the packaged `weights.yaml`, optionally overridden by a user's file."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from deploy_advisor.advisor.yamlfile import parse_yaml, read_text_file
from deploy_advisor.errors import CatalogError

__all__ = ["FACTORS", "LEVELS", "Weights", "load_weights"]

FACTORS = (
    "latency_freshness",
    "privacy",
    "connectivity",
    "cost",
    "traffic",
    "ops_skill",
    "availability",
    "model",
    "cloud",
)
LEVELS = ("modes", "targets")
MAX_WEIGHT = 1000.0


@dataclass(frozen=True)
class Weights:
    modes: Mapping[str, float]
    targets: Mapping[str, float]
    source: str = "packaged"

    def to_json(self) -> dict[str, Any]:
        return {"modes": dict(self.modes), "targets": dict(self.targets), "source": self.source}


@cache
def _packaged() -> Mapping[str, Any]:
    text = (Path(__file__).parent / "weights.yaml").read_text(encoding="utf-8")
    data = parse_yaml(text, "the packaged weights", CatalogError)
    assert isinstance(data, dict)
    return data


def load_weights(path: Path | None = None) -> Weights:
    """The packaged weights, with the factors that `path` names replaced."""
    base = _packaged()
    levels = {level: dict(base[level]) for level in LEVELS}
    source = "packaged"
    if path is not None:
        where = f"weights file {str(path)!r}"
        text = read_text_file(Path(path), "weights file", CatalogError)
        data = parse_yaml(text, where, CatalogError)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise CatalogError(f"{where} must be a mapping with `modes:` and/or `targets:`")
        for key, value in data.items():
            if key == "version":
                continue
            if key not in LEVELS:
                raise CatalogError(
                    f"{where}: unknown key {key!r}; use modes, targets (and version)"
                )
            if not isinstance(value, dict):
                raise CatalogError(f"{where}: {key} must map factor names to weights")
            for factor, weight in value.items():
                if factor not in FACTORS:
                    raise CatalogError(
                        f"{where}: unknown factor {key}.{factor}; factors are {', '.join(FACTORS)}"
                    )
                levels[key][factor] = _weight(weight, f"{where}: {key}.{factor}")
        source = str(path)
    for level, weights in levels.items():
        if not any(w > 0 for w in weights.values()):
            raise CatalogError(f"weights: every {level} weight is 0; give at least one a weight")
    return Weights(modes=levels["modes"], targets=levels["targets"], source=source)


def _weight(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CatalogError(f"{what} is {value!r}, which is not a number; write a number like 2")
    if value < 0:
        raise CatalogError(f"{what} is {value}, which is negative; use 0 or more")
    if value > MAX_WEIGHT:
        raise CatalogError(f"{what} is {value}; use 0 to {MAX_WEIGHT:g} (weights are relative)")
    return float(value)
