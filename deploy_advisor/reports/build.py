"""`deploy-advisor report`: load runs, the spec, the catalog and the advisor's pick, compare."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy_advisor.reports.baseline import RunDiff, diff_rows
from deploy_advisor.reports.compare import Advised, Comparison, SpecView, compare
from deploy_advisor.reports.runs import load_runs

__all__ = ["Report", "build_report"]


@dataclass(frozen=True)
class Report:
    """A comparison plus its diff against baseline runs, ready for any renderer."""

    comparison: Comparison
    diffs: list[RunDiff] = field(default_factory=list)
    without_baseline: list[str] = field(default_factory=list)
    has_baseline: bool = False


def _spec_view(spec: Any, path: Path) -> SpecView:
    traffic, latency = getattr(spec, "traffic", None), getattr(spec, "latency", None)
    return SpecView(
        path=path,
        peak_rps=getattr(traffic, "peak_rps", None),
        requests_per_day=getattr(traffic, "requests_per_day", None),
        p95_ms=getattr(latency, "p95_ms", None),
    )


def _advised(recommendation: Any) -> Advised:
    plans: dict[str, str] = {}
    for option in getattr(recommendation, "options", None) or []:
        plan = getattr(option, "plan", None)
        name = getattr(plan, "name", plan)
        if isinstance(name, str):
            plans.setdefault(str(option.target), name)
    return Advised(target=str(recommendation.target), mode=str(recommendation.mode), plans=plans)


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
        advised = _advised(recommend(loaded, catalog=catalog))
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
