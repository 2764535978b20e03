"""Capacity search: raise the open-loop rate until an SLO breaks, then narrow the gap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deploy_advisor.errors import InputError
from deploy_advisor.loadtest.result import SHORTFALL

__all__ = ["CapacitySearch", "find_capacity"]

RunStep = Callable[[float], dict[str, Any]]


@dataclass
class CapacitySearch:
    """The steps run, the best passing step, and why the search stopped."""

    slo_text: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    stopped_by: str = "max-steps"

    @property
    def best(self) -> dict[str, Any] | None:
        passing = [r for r, s in zip(self.results, self.steps, strict=True) if s["passed"]]
        return max(passing, key=lambda r: r["achieved_rps"], default=None)

    def to_json(self) -> dict[str, Any]:
        best = self.best
        return {
            "rps": best["achieved_rps"] if best else None,
            "slo": self.slo_text,
            "generator_bound": self.stopped_by == "generator",
            "stopped_by": self.stopped_by,
            "steps": self.steps,
        }


def _step_row(rate: float, result: dict[str, Any]) -> dict[str, Any]:
    requests = result["requests"]
    held = result["achieved_rps"] >= SHORTFALL * rate
    return {
        "rate": round(rate, 2),
        "achieved_rps": result["achieved_rps"],
        "p95_ms": result["latency_ms"]["p95"],
        "p99_ms": result["latency_ms"]["p99"],
        "error_pct": round(100 * result["failures"]["total"] / requests, 3) if requests else None,
        "passed": held and all(v["passed"] for v in result["slo"]),
        "generator_bound": result["generator"]["bound"],
    }


def find_capacity(
    *,
    run_step: RunStep,
    slo_text: str,
    start_rate: float = 10.0,
    factor: float = 1.5,
    max_steps: int = 12,
    refine: int = 2,
    max_rate: float = 20000.0,
) -> CapacitySearch:
    """Step the rate up by `factor` until a step fails, then bisect `refine` times in between.

    A step passes when every SLO holds and the achieved rate is within 5% of the asked rate. The
    search stops early when the generator, not the server, is the bottleneck: the capacity is then
    a lower bound (`stopped_by: generator`), never the server's figure.
    """
    if start_rate <= 0 or factor <= 1:
        raise InputError("capacity search needs a positive start --rate and a factor above 1")
    search = CapacitySearch(slo_text)
    last_pass: float | None = None
    first_fail: float | None = None

    def step(rate: float) -> dict[str, Any]:
        result = run_step(rate)
        row = _step_row(rate, result)
        search.steps.append(row)
        search.results.append(result)
        return row

    rate = start_rate
    while len(search.steps) < max_steps and rate <= max_rate:
        row = step(rate)
        if result_partial(search):
            search.stopped_by = "interrupted"
            return search
        if row["generator_bound"]:
            search.stopped_by = "generator"
            return search
        if not row["passed"]:
            first_fail = rate
            search.stopped_by = "slo"
            break
        last_pass = rate
        rate *= factor
    if first_fail is None or last_pass is None:
        return search
    for _ in range(refine):
        if first_fail / last_pass < 1.08 or len(search.steps) >= max_steps:
            break
        middle = (last_pass + first_fail) / 2
        row = step(middle)
        if result_partial(search) or row["generator_bound"]:
            search.stopped_by = "interrupted" if result_partial(search) else "generator"
            break
        if row["passed"]:
            last_pass = middle
        else:
            first_fail = middle
    return search


def result_partial(search: CapacitySearch) -> bool:
    return bool(search.results and search.results[-1]["partial"])
