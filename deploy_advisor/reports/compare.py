"""The comparison: one row per run with its SLO verdict and cost, the cheapest run that meets
the SLO, and whether the measurements agree with the advisor."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from deploy_advisor.reports import fmt
from deploy_advisor.reports.cost import FORMULAS, PER_USE_FORMULA, Cost, cost_of, per_use_cost
from deploy_advisor.reports.model import Advised, SpecView
from deploy_advisor.reports.pricing import PlanPrice, per_use_month, platform_fee, run_plan
from deploy_advisor.reports.run_capacity import run_capacity
from deploy_advisor.reports.runs import RunResult
from deploy_advisor.reports.verdict import judge
from deploy_advisor.targets.registry import target_class

if TYPE_CHECKING:
    from deploy_advisor.advisor.catalog import Catalog

__all__ = ["Advised", "Agreement", "Comparison", "Row", "SpecView", "compare"]


@dataclass(frozen=True)
class Agreement:
    """Whether the measured runs back the advisor, in one sentence built from the numbers."""

    verdict: Literal["agree", "partly", "disagree", "unmeasured", "unconfirmed"]
    sentence: str


@dataclass(frozen=True)
class Row:
    """One run in the table: measurements, SLO verdict and cost."""

    run: RunResult
    plan: PlanPrice | None
    cost: Cost
    slo_passed: bool | None
    slo_text: str
    slo_failure: str | None
    notes: tuple[str, ...]
    cheapest: bool = False
    tag: str = ""  # `#2` when another run has the same target and plan

    @property
    def label(self) -> str:
        """How the run is named everywhere: `target/plan`, plus its tag when that is shared."""
        return f"{self.run.label} {self.tag}" if self.tag else self.run.label


@dataclass(frozen=True)
class Comparison:
    """Everything a renderer needs; renderers only format it."""

    rows: tuple[Row, ...]
    cheapest: Row | None
    headline: str
    agreement: Agreement | None
    advised: Advised | None
    spec: SpecView | None
    formulas: tuple[str, ...] = FORMULAS


def _row(
    run: RunResult,
    *,
    catalog: Catalog,
    spec: SpecView | None,
    advised: Advised | None,
    rps_per_vcpu: float,
) -> Row:
    notes: list[str] = []
    verdict = judge(run, spec)
    plan, note = run_plan(
        target=run.target,
        plan_name=run.plan,
        catalog=catalog,
        advised=advised.plans.get(run.target) if advised else None,
        scaled_to_zero=run.cold_start is not None,
    )
    notes += [note] if note else []
    priced = plan if verdict.errors_ok else None  # failed requests say nothing about cost
    fee, fee_note = platform_fee(plan=priced, catalog=catalog) if priced else (0.0, None)
    notes += [fee_note] if fee_note else []
    default = rps_per_vcpu * plan.vcpu if plan and plan.vcpu else None
    capacity = run_capacity(run, verdict=verdict, plan=plan, default_rps=default)
    notes += capacity.notes
    if run.partial:
        notes.append("partial run (interrupted); not eligible as cheapest")
    if run.generator.bound:
        notes.append("the load generator was the bottleneck; achieved req/s is a lower bound")
    notes += _cold_note(run, spec)
    if priced is not None and priced.per_use:
        monthly, use_note = per_use_month(
            plan=priced, spec=spec.full if spec else None, catalog=catalog,
            capacity_rps=capacity.rps,
        )  # fmt: skip
        notes += [use_note] if use_note else []
        cost = per_use_cost(
            usd_per_month=monthly, capacity_rps=capacity.rps, capacity_source=capacity.source,
            requests_per_day=spec.requests_per_day if spec else None,
            capacity_lower_bound=capacity.lower_bound,
        )  # fmt: skip
    else:
        cost = cost_of(
            plan_usd_per_hour=priced.usd_per_hour if priced else None,
            plan_usd_per_month=priced.usd_per_month if priced else None,
            platform_fee_month=fee,
            capacity_rps=capacity.rps,
            capacity_source=capacity.source,
            peak_rps=spec.peak_rps if spec else None,
            requests_per_day=spec.requests_per_day if spec else None,
            min_instances=plan.min_instances if plan else 1,
            capacity_lower_bound=capacity.lower_bound,
            availability=(
                100.0 - spec.error_budget_pct
                if spec and spec.error_budget_pct is not None
                else None
            ),
        )
    return Row(run, plan, cost, verdict.passed, verdict.objectives, verdict.failure, tuple(notes))


def _cold_note(run: RunResult, spec: SpecView | None) -> list[str]:
    """Cold starts weighed against the latency budget: a request that finds the instance
    scaled to zero waits for one, which the warm p95 does not show."""
    cold = run.cold_start
    budget = spec.p95_ms if spec else None
    if cold is None or not cold.count or cold.p50_ms is None or not budget:
        return []
    if cold.p50_ms <= budget:
        return [f"its cold starts fit the spec's p95 of {budget:g} ms"]
    return [
        f"its cold starts break the spec's p95 of {budget:g} ms for the requests that find the "
        "instance scaled to zero; keep one instance warm (min instances 1, billed while idle) "
        "if they must not wait"
    ]


def _price_key(row: Row, *, by_month: bool) -> float | None:
    return row.cost.usd_per_month if by_month else row.cost.usd_per_1m


def _money(row: Row, *, by_month: bool) -> str:
    if by_month:
        return f"{fmt.usd(row.cost.usd_per_month)}/month"
    return f"{fmt.usd(row.cost.usd_per_1m)} per 1M predictions"


def _where(row: Row) -> str:
    """`a 512 MB dyno` / `a 2 vCPU VPS`, from the plan."""
    traits = target_class(row.run.target)
    noun = (traits.instance_noun if traits else None) or row.run.target
    size = ""
    if row.plan and row.plan.memory_mb:
        mem = row.plan.memory_mb
        size = f"{mem / 1024:g} GB " if mem >= 1024 else f"{mem:g} MB "
    emulated = " (emulated)" if row.run.emulated else ""
    phrase = f"{size}{noun}{emulated}"
    article = "an" if phrase[:1] in "8AEIOU" or phrase[:2] in ("11", "18") else "a"
    return f"{article} {phrase}"


def _broke_at(row: Row) -> str:
    """`at 14.8 req/s (p95 260 ms)`: where the run was seen breaking the SLO, with the number."""
    cap = row.run.capacity
    by_errors = (row.slo_failure or "").startswith("errors")
    failing = [s for s in cap.steps if not s.passed] if cap and not by_errors else []
    if failing:
        step = min(failing, key=lambda s: s.rate)
        rate = step.achieved_rps if step.achieved_rps is not None else step.rate
        return f"at {fmt.rps(rate)} req/s (p95 {fmt.ms(step.p95_ms)} ms in the capacity search)"
    return f"at {fmt.rps(row.run.achieved_rps)} req/s ({row.slo_failure})"


def _agreement(
    rows: list[Row], cheapest: Row | None, advised: Advised, by_month: bool
) -> Agreement:
    picked = advised.target if advised.mode == "realtime" else f"{advised.target} ({advised.mode})"
    mine = [r for r in rows if r.run.target == advised.target]
    passing_mine = [
        r for r in mine if r.slo_passed and _price_key(r, by_month=by_month) is not None
    ]
    best = f"{cheapest.label} meets it at {_money(cheapest, by_month=by_month)}" if cheapest else ""
    if not mine:
        tail = f"; of the measured runs {best}" if cheapest else "; no measured run meets the SLO"
        return Agreement("unmeasured", f"advisor picked {picked}, which no run measured{tail}")
    if cheapest and cheapest.run.target == advised.target:
        p95 = fmt.ms(cheapest.run.latency_ms.p95)
        return Agreement(
            "agree",
            f"advisor picked {picked}; measurements agree: {cheapest.label} meets the SLO "
            f"(p95 {p95} ms at {fmt.rps(cheapest.run.achieved_rps)} req/s) at "
            f"{_money(cheapest, by_month=by_month)}, the cheapest run that does",
        )
    if passing_mine and cheapest:
        own = min(passing_mine, key=lambda r: _price_key(r, by_month=by_month) or 0.0)
        return Agreement(
            "partly",
            f"advisor picked {picked}; {own.label} meets the SLO at "
            f"{_money(own, by_month=by_month)} but {cheapest.label} meets it for less, "
            f"{_money(cheapest, by_month=by_month)}",
        )
    failed = next((r for r in mine if r.slo_passed is False), None)
    if failed is None:
        return Agreement(
            "unconfirmed",
            f"advisor picked {picked}; its runs recorded no SLO verdict, so the measurements "
            "cannot confirm it" + (f"; {best}" if cheapest else ""),
        )
    metric = (failed.slo_failure or "the SLO").split(" ")[0]
    why = (
        f"advisor picked {picked}; measured {metric} on {_where(failed)} breaks the SLO "
        f"{_broke_at(failed)}"
    )
    tail = f"; {best}" if cheapest else "; no measured run meets the SLO"
    return Agreement("disagree" if cheapest else "unconfirmed", why + tail)


def _headline(cheapest: Row | None, rows: list[Row], by_month: bool) -> str:
    if cheapest:
        c = cheapest.cost
        scale = (
            f" for the spec's peak with {c.instances} instance{'s' if c.instances != 1 else ''}"
            if by_month
            else ""
        )
        if cheapest.plan is not None and cheapest.plan.per_use:
            scale = " for the spec's traffic, billed per use"
        cold = cheapest.run.cold_start
        wait = (
            f"; a cold start after scaling to zero waits {fmt.ms(cold.p50_ms)} ms (p50)"
            if cold is not None and cold.count
            else ""
        )
        return (
            f"{cheapest.label} is the cheapest run that meets the SLO: "
            f"{_money(cheapest, by_month=by_month)}{scale}, "
            f"p95 {fmt.ms(cheapest.run.latency_ms.p95)} ms "
            f"at {fmt.rps(cheapest.run.achieved_rps)} req/s{wait}"
        )
    if all(r.slo_passed is None for r in rows):
        return "No run recorded an SLO; pass --spec to judge the runs against latency.p95_ms"
    passing = [r.label for r in rows if r.slo_passed and not r.run.partial]
    if passing:
        return f"{', '.join(passing)} meets the SLO but has no catalog price to compare"
    return "No run meets the SLO"


def _tagged(rows: list[Row]) -> list[Row]:
    """Runs of the same target and plan get `#1`, `#2`… and a note naming their directory."""
    seen = Counter(r.run.label for r in rows)
    count: Counter[str] = Counter()
    out = []
    for row in rows:
        if seen[row.run.label] == 1:
            out.append(row)
            continue
        count[row.run.label] += 1
        where = f"run directory {row.run.path}"
        if row.run.url and row.run.target == "url":
            where += f", {row.run.url}"
        notes = (where, *row.notes)
        out.append(replace(row, tag=f"#{count[row.run.label]}", notes=notes))
    return out


def compare(
    *,
    runs: list[RunResult],
    catalog: Catalog,
    spec: SpecView | None = None,
    advised: Advised | None = None,
    rps_per_vcpu: float,
) -> Comparison:
    """Build the comparison of `runs`, priced from `catalog`, judged against `spec`."""
    rows = _tagged(
        [
            _row(r, catalog=catalog, spec=spec, advised=advised, rps_per_vcpu=rps_per_vcpu)
            for r in runs
        ]
    )
    by_month = spec is not None and spec.peak_rps is not None
    eligible = [
        r
        for r in rows
        if r.slo_passed and not r.run.partial and _price_key(r, by_month=by_month) is not None
    ]
    cheapest = min(
        eligible,
        key=lambda r: (_price_key(r, by_month=by_month), r.run.latency_ms.p95 or 0.0),
        default=None,
    )
    rows = [replace(r, cheapest=True) if r is cheapest else r for r in rows]
    marked = next((r for r in rows if r.cheapest), None)
    agreement = _agreement(rows, marked, advised, by_month) if advised else None
    return Comparison(
        rows=tuple(rows),
        cheapest=marked,
        headline=_headline(marked, rows, by_month),
        agreement=agreement,
        advised=advised,
        spec=spec,
        formulas=(
            (*FORMULAS, PER_USE_FORMULA)
            if any(r.plan is not None and r.plan.per_use for r in rows)
            else FORMULAS
        ),
    )
