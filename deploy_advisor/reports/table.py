"""The comparison table as plain cells, shared by the terminal, Markdown and HTML renderers."""

from __future__ import annotations

from deploy_advisor.reports import fmt
from deploy_advisor.reports.compare import Comparison, Row

__all__ = [
    "CAPACITY_WORDS",
    "COLUMNS",
    "COMPACT",
    "compact",
    "capacity_cell",
    "cells",
    "notes",
    "slo_cell",
    "spec_line",
]

COLUMNS = (
    "target", "plan", "emulated", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors",
    "CPU cores", "mem MB", "SLO", "capacity req/s", "$/hour", "$/month", "$/1M",
)  # fmt: skip
COMPACT = (
    "target", "plan", "emu", "req/s", "p50/p95/p99 ms", "err", "CPU/MB", "SLO", "capacity",
    "$/hour", "$/month", "$/1M",
)  # fmt: skip

CAPACITY_WORDS = {"measured": "measured", "achieved": "achieved", "default": "default", "none": ""}


def slo_cell(row: Row) -> str:
    return {True: "pass", False: "FAIL", None: "—"}[row.slo_passed]


def capacity_cell(row: Row, *, short: bool = False) -> str:
    """`180 measured`, or `180 meas` in the narrow terminal table."""
    source = row.cost.capacity_source
    if row.cost.capacity_rps is None:
        return fmt.DASH
    word = {"measured": "meas", "achieved": "ach", "default": "dflt"}.get(source, "")
    return f"{fmt.rps(row.cost.capacity_rps)} {word if short else CAPACITY_WORDS[source]}"


def cells(row: Row, *, short: bool = False) -> list[str]:
    """One row's cells in COLUMNS order."""
    run, cost = row.run, row.cost
    plan = row.plan.name if row.plan else (run.plan or fmt.DASH)
    if row.plan and row.plan.assumed:
        plan += "?"
    month = fmt.usd(cost.usd_per_month)
    if cost.instances and cost.instances > 1 and cost.usd_per_month is not None:
        month += f" ×{cost.instances}"
    return [
        ("★ " if row.cheapest else "") + run.target,
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


def spec_line(comparison: Comparison) -> str | None:
    spec = comparison.spec
    if spec is None:
        return None
    parts = [f"peak {fmt.rps(spec.peak_rps)} req/s" if spec.peak_rps is not None else None]
    if spec.requests_per_day is not None:
        parts.append(f"{spec.requests_per_day:,.0f} requests/day")
    if spec.p95_ms is not None:
        parts.append(f"p95 < {spec.p95_ms:g} ms")
    return f"Spec {spec.path}: " + ", ".join(p for p in parts if p)


def notes(comparison: Comparison) -> list[str]:
    """Per-run notes (assumed plans, fees, partial runs, SLO failures) and price dates."""
    lines = []
    for row in comparison.rows:
        if row.slo_failure:
            lines.append(f"{row.run.label}: {row.slo_failure}")
        lines += [f"{row.run.label}: {note}" for note in row.notes]
    dated = sorted({f"{r.plan.name} {r.plan.as_of}" for r in comparison.rows if r.plan})
    if dated:
        lines.append("prices as of: " + ", ".join(dated))
    return lines


def compact(row: Row) -> list[str]:
    """The row in COMPACT order, for a 120-column terminal."""
    c = cells(row, short=True)
    lat = row.run.latency_ms
    whole = "/".join(fmt.DASH if v is None else f"{v:.0f}" for v in (lat.p50, lat.p95, lat.p99))
    return [c[0], c[1], c[2], c[3], whole, c[7], f"{c[8]}/{c[9]}", *c[10:]]
