"""Change against earlier runs, matched by (target, plan): Δ p95, Δ capacity and Δ $/1M."""

from __future__ import annotations

from dataclasses import dataclass

from deploy_advisor.reports import fmt
from deploy_advisor.reports.compare import Row

__all__ = ["Delta", "RunDiff", "diff_rows"]


@dataclass(frozen=True)
class Delta:
    """One metric before and after; `better` follows the metric's good direction."""

    metric: str
    unit: str
    before: float | None
    after: float | None
    lower_is_better: bool

    @property
    def change_pct(self) -> float | None:
        if self.before is None or self.after is None or self.before == 0:
            return None
        return 100.0 * (self.after - self.before) / self.before

    @property
    def better(self) -> bool | None:
        """True when improved, False when worse, None when unchanged or unknown."""
        if self.before is None or self.after is None or self.after == self.before:
            return None
        return (self.after < self.before) == self.lower_is_better

    @property
    def arrow(self) -> str:
        if self.before is None or self.after is None:
            return "?"
        return "▲" if self.after > self.before else "▼" if self.after < self.before else "="

    def text(self) -> str:
        """`31.0 → 38.1 ms ▲ +22.9%`: the change as a cost diff shows it."""
        show = fmt.usd if self.unit == "$" else fmt.ms if self.unit == "ms" else fmt.rps
        unit = "" if self.unit == "$" else f" {self.unit}"
        change = self.change_pct
        tail = f" {self.arrow} {change:+.1f}%" if change is not None else f" {self.arrow}"
        return f"{show(self.before)} → {show(self.after)}{unit}{tail}"


@dataclass(frozen=True)
class RunDiff:
    """One run against its baseline run of the same target and plan."""

    label: str
    p95: Delta
    capacity: Delta
    usd_per_1m: Delta


def _key(row: Row) -> tuple[str, str | None]:
    return row.run.target, row.plan.name if row.plan else row.run.plan


def diff_rows(
    *, rows: tuple[Row, ...], baseline: tuple[Row, ...]
) -> tuple[list[RunDiff], list[str]]:
    """Diffs for the rows that have a baseline, and the labels of rows that have none."""
    earlier = {_key(b): b for b in baseline}
    diffs: list[RunDiff] = []
    unmatched: list[str] = []
    for row in rows:
        old = earlier.get(_key(row))
        if old is None:
            unmatched.append(row.label)
            continue
        diffs.append(
            RunDiff(
                label=row.label,
                p95=Delta("p95", "ms", old.run.latency_ms.p95, row.run.latency_ms.p95, True),
                capacity=Delta(
                    "capacity", "req/s", old.cost.capacity_rps, row.cost.capacity_rps, False
                ),
                usd_per_1m=Delta("$/1M", "$", old.cost.usd_per_1m, row.cost.usd_per_1m, True),
            )
        )
    return diffs, unmatched
