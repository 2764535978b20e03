"""The comparison table as plain cells, shared by the terminal, Markdown and HTML renderers."""

from __future__ import annotations

from deploy_advisor.reports import fmt
from deploy_advisor.reports.compare import Comparison, Row

__all__ = [
    "AT_SPEC",
    "CAPACITY_WORDS",
    "COLD",
    "COLUMNS",
    "COMPACT",
    "COMPACT_COLD",
    "cold_cell",
    "columns",
    "compact",
    "compact_columns",
    "capacity_cell",
    "cells",
    "has_cold_starts",
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
COLD = "cold start p50/max ms"
COMPACT_COLD = "cold s"

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


def has_cold_starts(comparison: Comparison) -> bool:
    """True when a run scaled to zero, so the table gets a cold-start column."""
    return any(row.run.cold_start is not None for row in comparison.rows)


def columns(comparison: Comparison) -> tuple[str, ...]:
    """COLUMNS, with the cold starts after p99 when a run scaled to zero, and the $/1M at the
    spec's traffic when a spec gives requests/day."""
    names = list(COLUMNS)
    if has_cold_starts(comparison):
        names.insert(names.index("p99 ms") + 1, COLD)
    return (*names, AT_SPEC) if spec_priced(comparison) else tuple(names)


def compact_columns(comparison: Comparison) -> tuple[str, ...]:
    """COMPACT; with a spec's traffic, $/1M at spec in place of $/hour ($/month says it); with
    cold starts, emu and CPU/MB give way to them (the other formats keep all three)."""
    names = list(COMPACT)
    if has_cold_starts(comparison):
        names[names.index("CPU/MB")] = COMPACT_COLD
        names.remove("emu")
    if spec_priced(comparison):
        names.remove("$/hour")
        names.append("$/1M spec")
    return tuple(names)


def slo_cell(row: Row) -> str:
    return {True: "pass", False: "FAIL", None: "—"}[row.slo_passed]


def cold_cell(row: Row, *, seconds: bool = False) -> str:
    """`1812/2310` ms (`1.8/2.3` s in the terminal); a dash for a run without a cold start."""
    cold = row.run.cold_start
    if cold is None or not cold.count or cold.p50_ms is None or cold.max_ms is None:
        return fmt.DASH
    if seconds:
        return f"{cold.p50_ms / 1000:.1f}/{cold.max_ms / 1000:.1f}"
    return f"{fmt.ms(cold.p50_ms)}/{fmt.ms(cold.max_ms)}"


def capacity_cell(row: Row, *, short: bool = False) -> str:
    """`180 measured`, `≥20.0 held` (a lower bound); `180 meas`, `≥20.0` in the terminal table."""
    source = row.cost.capacity_source
    if row.cost.capacity_rps is None:
        return fmt.DASH
    word = {"measured": "meas", "held": "", "achieved": "ach", "default": "dflt"}.get(source, "")
    bound = "≥" if row.cost.capacity_lower_bound else ""
    text = f"{bound}{fmt.rps(row.cost.capacity_rps)} {word if short else CAPACITY_WORDS[source]}"
    return text.rstrip()


def _named(row: Row, *, short: bool = False) -> dict[str, str]:
    """Every cell of the row by its column name."""
    run, cost = row.run, row.cost
    plan = row.plan.name if row.plan else (run.plan or fmt.DASH)
    if row.plan and row.plan.assumed:
        plan += "?"
    month = fmt.usd(cost.usd_per_month)
    if cost.instances and cost.instances > 1 and cost.usd_per_month is not None:
        month += f" ×{cost.instances}"
    target = f"{run.target} {row.tag}" if row.tag else run.target
    return {
        "target": ("★ " if row.cheapest else "") + target,
        "plan": plan,
        "emulated": "yes" if run.emulated else "no",
        "req/s": fmt.rps(run.achieved_rps),
        "p50 ms": fmt.ms(run.latency_ms.p50),
        "p95 ms": fmt.ms(run.latency_ms.p95),
        "p99 ms": fmt.ms(run.latency_ms.p99),
        COLD: cold_cell(row),
        "errors": fmt.pct(run.error_pct),
        "CPU cores": fmt.cores(run.server.cpu_cores_mean),
        "mem MB": fmt.mb(run.server.memory_mb_max),
        "SLO": slo_cell(row),
        "capacity req/s": capacity_cell(row, short=short),
        "$/hour": fmt.usd(cost.usd_per_hour),
        "$/month": month,
        "$/1M": fmt.usd(cost.usd_per_1m),
        AT_SPEC: fmt.usd(cost.usd_per_1m_spec),
    }


def cells(row: Row, *, names: tuple[str, ...] = COLUMNS) -> list[str]:
    """One row's cells in the order of `names` (from `columns`)."""
    named = _named(row)
    return [named[name] for name in names]


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


def compact(row: Row, *, names: tuple[str, ...] = COMPACT) -> list[str]:
    """The row in the order of `names` (from `compact_columns`), for a 120-column terminal."""
    named = _named(row, short=True)
    lat, use = row.run.latency_ms, row.run.server
    named.update({
        "emu": named["emulated"],
        "p50/95/99 ms": "/".join(
            fmt.DASH if v is None else f"{v:.0f}" for v in (lat.p50, lat.p95, lat.p99)
        ),
        "err": named["errors"],
        "CPU/MB": f"{fmt.cores(use.cpu_cores_mean)}/{fmt.mb(use.memory_mb_max)}",
        COMPACT_COLD: cold_cell(row, seconds=True),
        "capacity": named["capacity req/s"],
        "$/1M spec": named[AT_SPEC],
    })  # fmt: skip
    return [named[name] for name in names]
