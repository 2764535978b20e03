"""The answer of "what would change this": one change to one input, and the changes found.

Kept apart from the search (`whatif.py`) so that the result types (`decision.py`) can name them
without importing the search.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deploy_advisor.advisor.spec import FLAGS

__all__ = ["NUMERIC", "Change", "WhatIf"]

#: The inputs that are numbers, moved by factors.
NUMERIC = (
    "budget.monthly_usd",
    "traffic.peak_rps",
    "traffic.requests_per_day",
    "latency.p95_ms",
    "model.size_mb",
    "traffic.batch_rows",
)


@dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any
    distance: float
    mode: str
    target: str
    plan: str | None
    monthly_usd: float | None

    def describe(self) -> str:
        what = f"{self.mode} on {self.target}"
        if self.plan is not None and self.monthly_usd is not None:
            what += f" ({self.plan}, ${self.monthly_usd:,.2f}/month)"
        old, new = _show(self.path, self.old), _show(self.path, self.new)
        return f"{self.path} {old} -> {new}{_pct(self)} gives {what}"

    def to_json(self) -> dict[str, Any]:
        return {
            "input": self.path,
            "flag": FLAGS.get(self.path),
            "from": self.old,
            "to": self.new,
            "distance": round(self.distance, 3),
            "mode": self.mode,
            "target": self.target,
            "plan": self.plan,
            "monthly_usd": None if self.monthly_usd is None else round(self.monthly_usd, 2),
            "text": self.describe(),
        }


def _show(path: str, value: Any) -> str:
    if value is None:
        return "null (nobody waits)" if path == "latency.p95_ms" else "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int):
        text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"
        if path == "budget.monthly_usd":
            return f"${text}"
        if path == "availability":
            return f"{value:g}%"
        return text
    return str(value)


def _pct(change: Change) -> str:
    if (
        change.path in NUMERIC
        and isinstance(change.old, int | float)
        and isinstance(change.new, int | float)
        and change.old
    ):
        pct = (change.new - change.old) / change.old * 100
        return f" ({pct:+.0f}%)"
    return ""


@dataclass(frozen=True)
class WhatIf:
    best: Change | None
    others: list[Change]
    tried: int

    def to_json(self) -> dict[str, Any]:
        return {
            "best": self.best.to_json() if self.best else None,
            "others": [c.to_json() for c in self.others],
            "tried": self.tried,
        }

    def line(self) -> str:
        if self.best is None:
            return "no single change to one input (within 100x) flips this choice"
        return self.best.describe()
