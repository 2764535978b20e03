"""The comparison table as plain cells, shared by the terminal, Markdown and HTML renderers."""

from __future__ import annotations

from deploy_advisor.reports import fmt
from deploy_advisor.reports.compare import Comparison, Row

__all__ = [
    "AT_SPEC",
    "CAPACITY_WORDS",
    "COLUMNS",
    "COMPACT",
    "columns",
    "compact",
    "compact_columns",
    "capacity_cell",
    "cells",
    "notes",
    "slo_cell",
    "spec_line",
    "spec_priced",
]

COLUMNS = (
    "target", "plan", "emulated", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors",
    "CPU cores", "mem MB", "SLO", "capacity req/s", "$/hour", "$/month", "$/1M",
)  # fmt: skip
COMPACT = (
    "target", "plan", "emu", "req/s", "p50/95/99 ms", "err", "CPU/MB", "SLO", "capacity",
    "$/hour", "$/month", "$/1M",
)  # fmt: skip
AT_SPEC = "$/1M at spec"

CAPACITY_WORDS = {
    "measured": "measured",
    "held": "held",
    "achieved": "achieved",
    "default": "default",
    "none": "",
}


def spec_priced(comparison: Comparison) -> bool:
    """True when the spec gives the traffic to price a $/1M at spec."""
    return comparison.spec is not None and comparison.spec.requests_per_day is not None


def columns(comparison: Comparison) -> tuple[str, ...]:
    """COLUMNS, plus the $/1M at the spec's traffic when a spec gives requests/day."""
    return (*COLUMNS, AT_SPEC) if spec_priced(comparison) else COLUMNS


def compact_columns(comparison: Comparison) -> tuple[str, ...]:
    """COMPACT; with a spec's traffic, $/1M at spec in place of $/hour ($/month says it)."""
    if not spec_priced(comparison):
        return COMPACT
    return (*COMPACT[:-3], *COMPACT[-2:], "$/1M spec")


def slo_cell(row: Row) -> str:
    return {True: "pass", False: "FAIL", None: "—"}[row.slo_passed]


def capacity_cell(row: Row, *, short: bool = False) -> str:
    """`180 measured`, `≥20.0 held` (a lower bound); `180 meas`, `≥20.0` in the terminal table."""
    source = row.cost.capacity_source
    if row.cost.capacity_rps is None:
        return fmt.DASH
    word = {"measured": "meas", "held": "", "achieved": "ach", "default": "dflt"}.get(source, "")
    bound = "≥" if row.cost.capacity_lower_bound else ""
    text = f"{bound}{fmt.rps(row.cost.capacity_rps)} {word if short else CAPACITY_WORDS[source]}"
    return text.rstrip()


def cells(row: Row, *, short: bool = False, at_spec: bool = False) -> list[str]:
    """One row's cells in COLUMNS order, and the $/1M at spec last when `at_spec`."""
    run, cost = row.run, row.cost
    plan = row.plan.name if row.plan else (run.plan or fmt.DASH)
    if row.plan and row.plan.assumed:
        plan += "?"
    month = fmt.usd(cost.usd_per_month)
    if cost.instances and cost.instances > 1 and cost.usd_per_month is not None:
        month += f" ×{cost.instances}"
    target = f"{run.target} {row.tag}" if row.tag else run.target
    values = [
        ("★ " if row.cheapest else "") + target,
        plan,
        "yes" if run.emulated else "no",
        fmt.rps(run.achieved_rps),
        fmt.ms(run.latency_ms.p50),
        fmt.ms(run.latency_ms.p95),
        fmt.ms(run.latency_ms.p99),
        fmt.pct(run.error_pct),
        fmt.cores(run.server.cpu_cores_mean),
        fmt.mb(run.server.memory_mb_max),
        slo_cell(row),
        capacity_cell(row, short=short),
        fmt.usd(cost.usd_per_hour),
        month,
        fmt.usd(cost.usd_per_1m),
    ]
    return [*values, fmt.usd(cost.usd_per_1m_spec)] if at_spec else values


def spec_line(comparison: Comparison) -> str | None:
    spec = comparison.spec
    if spec is None:
        return None
    parts = [f"peak {fmt.rps(spec.peak_rps)} req/s" if spec.peak_rps is not None else None]
    if spec.requests_per_day is not None:
        parts.append(f"{spec.requests_per_day:,.0f} requests/day")
    if spec.p95_ms is not None:
        parts.append(f"p95 < {spec.p95_ms:g} ms")
    if spec.error_budget_pct is not None:
        parts.append(f"errors ≤ {spec.error_budget_pct:g}% (availability)")
    return f"Spec {spec.path}: " + ", ".join(p for p in parts if p)


def notes(comparison: Comparison) -> list[str]:
    """Per-run notes (assumed plans, fees, partial runs, SLO failures, cold starts), price dates."""
    lines = []
    for row in comparison.rows:
        if row.slo_failure:
            lines.append(f"{row.label}: {row.slo_failure}")
        lines += [f"{row.label}: {note}" for note in row.notes]
        cold = row.run.cold_start
        if cold is not None and cold.count:
            lines.append(
                f"{row.label}: {cold.count} cold start(s) after scaling to zero, "
                f"p50 {fmt.ms(cold.p50_ms)} ms, max {fmt.ms(cold.max_ms)} ms"
            )
    dated = sorted({f"{r.plan.name} {r.plan.as_of}" for r in comparison.rows if r.plan})
    if dated:
        lines.append("prices as of: " + ", ".join(dated))
    return lines


def compact(row: Row, *, at_spec: bool = False) -> list[str]:
    """The row in COMPACT order, for a 120-column terminal."""
    c = cells(row, short=True, at_spec=at_spec)
    lat = row.run.latency_ms
    whole = "/".join(fmt.DASH if v is None else f"{v:.0f}" for v in (lat.p50, lat.p95, lat.p99))
    money = c[13:] if at_spec else c[12:]  # $/hour gives way to $/1M at spec
    return [c[0], c[1], c[2], c[3], whole, c[7], f"{c[8]}/{c[9]}", c[10], c[11], *money]
