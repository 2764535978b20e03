"""What a report compares runs against: the spec's numbers and the advisor's pick."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploy_advisor.advisor.spec import Spec

__all__ = ["Advised", "SpecView"]


@dataclass(frozen=True)
class SpecView:
    """The parts of the requirements spec a report uses."""

    path: Path
    peak_rps: float | None
    requests_per_day: float | None
    p95_ms: float | None
    error_budget_pct: float | None = None  # 100 - availability: the failed requests allowed
    full: Spec | None = None
    """The whole spec, to price a per-use plan with the advisor's own formulas."""


@dataclass(frozen=True)
class Advised:
    """The advisor's recommendation for the same spec."""

    target: str
    mode: str
    plans: dict[str, str] = field(default_factory=dict)
