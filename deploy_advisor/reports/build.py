"""`deploy-advisor report`: load runs, the spec, the catalog and the advisor's pick, compare."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from deploy_advisor.reports.baseline import RunDiff, diff_rows
from deploy_advisor.reports.compare import Advised, Comparison, SpecView, compare
from deploy_advisor.reports.runs import load_runs

if TYPE_CHECKING:
    from deploy_advisor.advisor.recommend import Recommendation
    from deploy_advisor.advisor.spec import Spec

__all__ = ["Report", "build_report"]


@dataclass(frozen=True)
class Report:
    """A comparison plus its diff against baseline runs, ready for any renderer."""

    comparison: Comparison
    diffs: list[RunDiff] = field(default_factory=list)
    without_baseline: list[str] = field(default_factory=list)
    has_baseline: bool = False


def _spec_view(spec: Spec, path: Path) -> SpecView:
    return SpecView(
        path=path,
        peak_rps=float(spec.traffic.peak_rps),
        requests_per_day=float(spec.traffic.requests_per_day),
        p95_ms=None if spec.latency.p95_ms is None else float(spec.latency.p95_ms),
        error_budget_pct=round(100.0 - float(spec.availability), 6),
        full=spec,
    )


def _advised(recommendation: Recommendation) -> Advised:
    """The advisor's pick, with the cheapest fitting plan it found for each eligible target."""
    plans = {t.name: t.cost.plan.name for t in recommendation.targets if t.cost is not None}
    return Advised(target=recommendation.target, mode=recommendation.mode, plans=plans)


def build_report(
    *,
    run_dirs: list[Path],
    spec_path: Path | None = None,
    baseline_dirs: list[Path] | None = None,
    catalog_path: Path | None = None,
) -> Report:
    """Everything `report` shows: rows, cheapest passing run, advisor agreement, baseline diff."""
    runs = load_runs(run_dirs)
    baseline_runs = load_runs(baseline_dirs) if baseline_dirs else []

    from deploy_advisor.advisor.capacity import DEFAULT_RPS_PER_VCPU
    from deploy_advisor.advisor.catalog import load_catalog

    catalog = load_catalog(catalog_path)
    spec = advised = None
    if spec_path is not None:
        from deploy_advisor.advisor.recommend import recommend
        from deploy_advisor.advisor.spec import load_spec

        loaded = load_spec(spec_path)
        spec = _spec_view(loaded, spec_path)
        advised = _advised(recommend(loaded, catalog=catalog, what_if=False))
    comparison = compare(
        runs=runs, catalog=catalog, spec=spec, advised=advised, rps_per_vcpu=DEFAULT_RPS_PER_VCPU
    )
    if not baseline_dirs:
        return Report(comparison)
    before = compare(
        runs=baseline_runs,
        catalog=catalog,
        spec=spec,
        advised=advised,
        rps_per_vcpu=DEFAULT_RPS_PER_VCPU,
    )
    diffs, unmatched = diff_rows(rows=comparison.rows, baseline=before.rows)
    return Report(comparison, diffs, unmatched, has_baseline=True)
