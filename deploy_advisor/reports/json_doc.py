"""The report as one JSON document for machines, with a version field."""

from __future__ import annotations

from typing import Any

from deploy_advisor import __version__
from deploy_advisor.reports.baseline import Delta
from deploy_advisor.reports.build import Report
from deploy_advisor.reports.compare import Row

__all__ = ["REPORT_VERSION", "report_json"]

REPORT_VERSION = 1


def _row(row: Row) -> dict[str, Any]:
    run, cost, lat = row.run, row.cost, row.run.latency_ms
    return {
        "label": row.label,
        "target": run.target,
        "plan": row.plan.name if row.plan else run.plan,
        "plan_assumed": bool(row.plan and row.plan.assumed),
        "emulated": run.emulated,
        "partial": run.partial,
        "run_dir": str(run.path),
        "achieved_rps": run.achieved_rps,
        "latency_ms": {"p50": lat.p50, "p95": lat.p95, "p99": lat.p99},
        "cold_start": run.cold_start.model_dump() if run.cold_start is not None else None,
        "requests": run.requests,
        "failed": run.failures.total,
        "shed": run.failures.shed,
        "error_pct": run.error_pct,
        "server": run.server.model_dump(),
        "slo": {"passed": row.slo_passed, "objectives": row.slo_text, "failure": row.slo_failure},
        "capacity": {
            "rps": cost.capacity_rps,
            "source": cost.capacity_source,
            "lower_bound": cost.capacity_lower_bound,
        },
        "cost": {
            "instances": cost.instances,
            "usd_per_hour": cost.usd_per_hour,
            "usd_per_month": cost.usd_per_month,
            "platform_fee_month": cost.platform_fee_month,
            "usd_per_1m": cost.usd_per_1m,
            "usd_per_1m_at_spec": cost.usd_per_1m_spec,
            "price_as_of": row.plan.as_of if row.plan else None,
            "price_source": row.plan.source if row.plan else None,
        },
        "cheapest": row.cheapest,
        "notes": list(row.notes),
    }


def _delta(delta: Delta) -> dict[str, Any]:
    return {
        "before": delta.before,
        "after": delta.after,
        "change_pct": delta.change_pct,
        "better": delta.better,
    }


def report_json(report: Report) -> dict[str, Any]:
    """A plain dict, stable for machines: bump REPORT_VERSION when a field changes meaning."""
    comparison = report.comparison
    spec = comparison.spec
    cheapest = comparison.cheapest
    return {
        "version": REPORT_VERSION,
        "generator": f"deploy-advisor {__version__}",
        "headline": comparison.headline,
        "spec": None
        if spec is None
        else {
            "path": str(spec.path),
            "peak_rps": spec.peak_rps,
            "requests_per_day": spec.requests_per_day,
            "p95_ms": spec.p95_ms,
            "error_budget_pct": spec.error_budget_pct,
        },
        "cheapest": None
        if cheapest is None
        else {
            "label": cheapest.label,
            "target": cheapest.run.target,
            "plan": cheapest.plan.name if cheapest.plan else None,
        },
        "advisor": None
        if comparison.advised is None or comparison.agreement is None
        else {
            "target": comparison.advised.target,
            "mode": comparison.advised.mode,
            "verdict": comparison.agreement.verdict,
            "why": comparison.agreement.sentence,
        },
        "runs": [_row(r) for r in comparison.rows],
        "formulas": list(comparison.formulas),
        "baseline": None
        if not report.has_baseline
        else {
            "diffs": [
                {
                    "run": d.label,
                    "p95_ms": _delta(d.p95),
                    "capacity_rps": _delta(d.capacity),
                    "usd_per_1m": _delta(d.usd_per_1m),
                }
                for d in report.diffs
            ],
            "without_baseline": report.without_baseline,
        },
    }
