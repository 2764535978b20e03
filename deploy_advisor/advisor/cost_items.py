"""What a plan costs a month, line by line: the results the cost model hands back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deploy_advisor.advisor.price_plan import PricePlan

__all__ = ["Ineligible", "LineItem", "PlanCost", "usd", "usd_rate"]


@dataclass(frozen=True)
class LineItem:
    """One priced thing: `quantity` x `unit_usd` a month (or a usage charge, quantity 1)."""

    kind: str  # instance|node|control_plane|load_balancer|usage|device|run_hours
    plan: str
    quantity: float
    unit_usd: float
    monthly_usd: float
    what: str


@dataclass(frozen=True)
class PlanCost:
    plan: PricePlan
    mode: str
    monthly_usd: float
    instances: int = 1
    capacity_rps: float | None = None
    workers: int = 1
    explain: Callable[[], list[str]] = field(default=list, repr=False, compare=False)
    always_on_usd: float | None = None
    run_hours: float | None = None
    extras: tuple[PricePlan, ...] = ()
    capacity_measured: bool = False
    items: tuple[LineItem, ...] = ()
    headroom: str | None = None

    @property
    def breakdown(self) -> tuple[str, ...]:
        """How the monthly figure was reached, line by line (formatted on demand)."""
        return tuple(self.explain())

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan.name,
            "provider": self.plan.provider,
            "monthly_usd": round(self.monthly_usd, 2),
            "instances": self.instances,
            "capacity_rps_per_instance": _r(self.capacity_rps),
            "capacity_measured": self.capacity_measured,
            "workers_per_instance": self.workers,
            "always_on_usd": _r(self.always_on_usd),
            "run_hours_per_month": _r(self.run_hours),
            "extras": [p.name for p in self.extras],
            "headroom": self.headroom,
            "breakdown": list(self.breakdown),
            "confidence": self.plan.confidence,
            "as_of": self.plan.as_of,
            "source": self.plan.source,
        }


@dataclass(frozen=True)
class Ineligible:
    plan: PricePlan
    reason: str
    extras: tuple[str, ...] = field(default=())


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def usd(value: float) -> str:
    """Dollars and cents, with thousands separators."""
    return f"${value:,.2f}"


def usd_rate(value: float) -> str:
    """A unit price, with the digits that make the sum next to it add up ($0.0075, not $0.01)."""
    return f"${value:,.2f}" if value >= 1 or value == 0 else f"${value:.4g}"
