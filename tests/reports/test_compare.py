from __future__ import annotations

from pathlib import Path

import pytest

from deploy_advisor.advisor.capacity import DEFAULT_RPS_PER_VCPU
from deploy_advisor.advisor.catalog import Catalog
from deploy_advisor.reports.baseline import diff_rows
from deploy_advisor.reports.build import Report
from deploy_advisor.reports.compare import compare
from deploy_advisor.reports.cost import cost_of
from deploy_advisor.reports.runs import load_runs
from tests.reports.conftest import advised_comparison
from tests.reports.runbuilder import RunSpec, write_run


def test_formulas_with_numbers() -> None:
    cost = cost_of(
        plan_usd_per_hour=0.036,
        plan_usd_per_month=24.0,
        platform_fee_month=73.0,
        capacity_rps=30.0,
        capacity_source="measured",
        peak_rps=100.0,
        requests_per_day=1_000_000,
    )
    assert cost.instances == 4  # ceil(100 / 30)
    assert cost.usd_per_hour == pytest.approx(0.144)
    assert cost.usd_per_month == pytest.approx(4 * 24 + 73)
    assert cost.usd_per_1m == pytest.approx(0.036 / (30 * 3600) * 1e6)
    assert cost.usd_per_1m_spec == pytest.approx(169 / (1_000_000 * 730 / 24) * 1e6)


def test_rows_costs_and_capacity_sources(report: Report) -> None:
    rows = {r.run.target: r for r in report.comparison.rows}
    heroku, vps, docker, k8s = rows["heroku"], rows["vps"], rows["docker"], rows["kubernetes"]
    assert (heroku.cost.capacity_rps, heroku.cost.capacity_source) == (9.9, "measured")
    assert heroku.cost.instances == 5 and heroku.cost.usd_per_month == pytest.approx(125.0)
    assert heroku.slo_passed is False and heroku.slo_failure == "p95 278 ms > 200 ms"
    # vps held its offered 50 req/s: capacity is at least that (a lower bound)
    assert (vps.cost.capacity_rps, vps.cost.capacity_source) == (50.0, "held")
    assert vps.cost.capacity_lower_bound is True
    assert vps.cost.usd_per_1m == pytest.approx(0.1)
    assert docker.cost.capacity_rps == 198.0 and docker.cost.capacity_lower_bound is False
    # 50 req/s over the scaffold's 2 replicas, each sized as one m5.large node: 25 per node
    assert (k8s.cost.capacity_rps, k8s.cost.capacity_source) == (25.0, "achieved")
    assert k8s.cost.instances == 2  # eks-m5-large: a node pool of at least 2 nodes
    assert k8s.cost.usd_per_month == pytest.approx(2 * 70.08 + 73.0)  # control plane added
    assert "includes eks-control-plane $73.00/month" in k8s.notes


def test_cheapest_passing_and_the_advisor_disagreement(report: Report) -> None:
    comparison = report.comparison
    assert comparison.cheapest is not None and comparison.cheapest.run.target == "vps"
    assert [r.cheapest for r in comparison.rows] == [False, True, False, False]
    assert comparison.agreement is not None and comparison.agreement.verdict == "disagree"
    assert comparison.agreement.sentence == (
        "advisor picked heroku; measured p95 on a 512 MB dyno (emulated) breaks the SLO at "
        "14.8 req/s (p95 260 ms in the capacity search); vps/linode-2gb meets it at $12.00/month"
    )


def test_agreement_when_the_advisor_picked_the_cheapest(
    run_dirs: list[Path], catalog: Catalog
) -> None:
    comparison = advised_comparison(run_dirs, catalog, target="vps")
    assert comparison.agreement is not None and comparison.agreement.verdict == "agree"
    assert comparison.agreement.sentence.startswith(
        "advisor picked vps; measurements agree: vps/linode-2gb meets the SLO (p95 32.4 ms at "
        "50.0 req/s) at $12.00/month"
    )


def test_unnamed_plan_priced_as_cheapest_and_default_capacity(
    tmp_path: Path, catalog: Catalog
) -> None:
    run_dir = write_run(tmp_path, RunSpec("docker", None, rate=20, slo_p95_ms=None))
    (row,) = compare(
        runs=load_runs([run_dir]), catalog=catalog, spec=None, rps_per_vcpu=DEFAULT_RPS_PER_VCPU
    ).rows
    assert (
        row.plan is not None and row.plan.assumed and row.plan.name == "nanode-1gb"
    )  # the cheapest plan that hosts docker
    assert (row.cost.capacity_rps, row.cost.capacity_source) == (100.0, "default")  # 1 vCPU
    assert row.slo_passed is None and row.cost.instances == 1


def test_baseline_diff_directions(tmp_path: Path, catalog: Catalog) -> None:
    old = write_run(tmp_path / "old", RunSpec("vps", "linode-2gb", rate=50, median_ms=30))
    new = write_run(tmp_path / "new", RunSpec("vps", "linode-2gb", rate=50, median_ms=15))
    other = write_run(tmp_path / "new", RunSpec("docker", "linode-4gb", rate=50))

    def rows(dirs: list[Path]):  # type: ignore[no-untyped-def]
        return compare(
            runs=load_runs(dirs), catalog=catalog, rps_per_vcpu=DEFAULT_RPS_PER_VCPU
        ).rows

    (diff,), unmatched = diff_rows(rows=rows([new, other]), baseline=rows([old]))
    assert unmatched == ["docker/linode-4gb"]
    assert diff.p95.arrow == "▼" and diff.p95.better is True
    assert diff.p95.change_pct == pytest.approx(-50, abs=8)
    assert diff.capacity.better is None and diff.capacity.text() == "50.0 → 50.0 req/s = +0.0%"
