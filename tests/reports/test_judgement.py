"""What a run proves: failed requests, a rate held within noise, Kubernetes replicas per node."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy_advisor.advisor.capacity import DEFAULT_RPS_PER_VCPU
from deploy_advisor.advisor.catalog import Catalog
from deploy_advisor.reports.compare import Comparison, SpecView, compare
from deploy_advisor.reports.runs import load_runs
from tests.reports.conftest import SPEC
from tests.reports.runbuilder import RunSpec, edit_result, write_run

PEAK_20 = SpecView(Path("deploy-advisor.yaml"), peak_rps=20, requests_per_day=50_000, p95_ms=200)


def _compare(dirs: list[Path], catalog: Catalog, spec: SpecView | None = SPEC) -> Comparison:
    return compare(
        runs=load_runs(dirs), catalog=catalog, spec=spec, rps_per_vcpu=DEFAULT_RPS_PER_VCPU
    )


def _refused(root: Path) -> Path:
    """The audit's run: --url at a refused port, 29 of 29 failed, a result.json saying "pass"."""
    run_dir = write_run(root, RunSpec("url", "nanode-1gb", rate=29, duration_s=1, median_ms=2))
    return edit_result(
        run_dir,
        failures={"total": 29, "by_kind": {"ConnectionRefusedError": 29}},
        server={"cpu_cores_mean": None, "cpu_cores_max": None, "memory_mb_max": None},
        url="http://127.0.0.1:29999",
    )


def test_a_run_whose_requests_all_failed_never_meets_the_slo(
    tmp_path: Path, catalog: Catalog
) -> None:
    refused = _refused(tmp_path)
    healthy = write_run(tmp_path, RunSpec("docker", "linode-2gb", rate=20))
    comparison = _compare([refused, healthy], catalog, PEAK_20)
    bad, good = comparison.rows
    assert bad.run.slo[0].passed is True  # what the file says
    assert bad.slo_passed is False and not bad.cheapest
    assert bad.slo_failure == (
        "errors 100.0%, no request succeeded: 29 of 29 requests failed (ConnectionRefusedError 29)"
    )
    assert bad.slo_text == "p95<200ms, errors<1%"
    assert (bad.cost.capacity_rps, bad.cost.instances, bad.cost.usd_per_month) == (None, None, None)
    assert "not priced: its requests failed beyond the error budget" in bad.notes
    assert comparison.cheapest is good
    assert comparison.headline.startswith(
        "docker/linode-2gb is the cheapest run that meets the SLO"
    )


def test_errors_beyond_the_budget_fail_even_when_the_file_says_pass(
    tmp_path: Path, catalog: Catalog
) -> None:
    flaky = write_run(tmp_path, RunSpec("vps", "nanode-1gb", rate=50, error_every=20))  # 5%
    slo = [
        {"name": "p95", "op": "<", "threshold": 200, "unit": "ms", "measured": 30, "passed": True},
        {"name": "errors", "op": "<", "threshold": 1, "unit": "%", "measured": 5, "passed": True},
    ]
    edit_result(flaky, slo=slo)
    within = write_run(tmp_path, RunSpec("docker", "linode-2gb", rate=50, error_every=200))
    flaky_row, within_row = _compare([flaky, within], catalog).rows
    assert flaky_row.slo_passed is False and flaky_row.cost.usd_per_1m is None
    assert flaky_row.slo_failure == "errors 5.0% > 1%: 50 of 1000 requests failed (HTTP 503 50)"
    # 0.5% is within the default 1% budget; with a spec of 99.9% availability it is not.
    assert within_row.slo_passed is True and within_row.cheapest
    strict = SpecView(Path("s.yaml"), peak_rps=40, requests_per_day=1e5, p95_ms=200,
                      error_budget_pct=0.1)  # fmt: skip
    (row,) = _compare([within], catalog, strict).rows
    assert row.slo_passed is False and row.slo_text == "p95<200ms, errors<=0.1%"


def test_requests_shed_by_the_server_are_named_in_the_verdict(
    tmp_path: Path, catalog: Catalog
) -> None:
    shedding = write_run(tmp_path, RunSpec("vps", "nanode-1gb", rate=50, error_every=20))
    edit_result(shedding, failures={"total": 50, "by_kind": {"http_503": 50}, "shed": 50})
    (row,) = _compare([shedding], catalog).rows
    assert row.slo_failure == (
        "errors 5.0% > 1%: 50 of 1000 requests failed (http_503 50); 50 shed by the server (503)"
    )


def test_capacity_search_steps_with_failed_requests_are_not_capacity(
    tmp_path: Path, catalog: Catalog
) -> None:
    run_dir = write_run(
        tmp_path, RunSpec("docker", "linode-2gb", capacity_steps=((20, 20), (40, 30), (80, 50)))
    )
    steps = [
        {"rate": 20, "achieved_rps": 20, "p95_ms": 20, "error_pct": 0.0, "passed": True},
        {"rate": 40, "achieved_rps": 40, "p95_ms": 30, "error_pct": 0.0, "passed": True},
        {"rate": 80, "achieved_rps": 80, "p95_ms": 5, "error_pct": 60.0, "passed": True},
    ]
    edit_result(run_dir, capacity={"rps": 80, "slo": "p95<200ms", "steps": steps})
    (row,) = _compare([run_dir], catalog).rows
    assert (row.cost.capacity_rps, row.cost.capacity_source) == (40, "measured")
    assert (
        "the capacity search's 80.0 req/s broke the error budget; 40.0 req/s, its best step "
        "within it, is used"
    ) in row.notes


@pytest.mark.parametrize("achieved", [19.96, 20.03])
def test_a_rate_held_within_noise_is_one_instance(
    tmp_path: Path, catalog: Catalog, achieved: float
) -> None:
    run_dir = edit_result(
        write_run(tmp_path, RunSpec("docker", "linode-2gb", rate=20)), achieved_rps=achieved
    )
    (row,) = _compare([run_dir], catalog, PEAK_20).rows
    cost = row.cost
    assert (cost.capacity_rps, cost.capacity_source, cost.capacity_lower_bound) == (
        20,
        "held",
        True,
    )
    assert (cost.instances, cost.usd_per_month) == (1, pytest.approx(12.0))
    assert (
        f"capacity is a lower bound: the run held its offered 20.0 req/s (achieved {achieved:.2f}) "
        "and was not pushed beyond"
    ) in row.notes


def test_a_rate_not_held_or_with_errors_keeps_the_achieved_rate(
    tmp_path: Path, catalog: Catalog
) -> None:
    short = edit_result(
        write_run(tmp_path, RunSpec("docker", "linode-2gb", rate=20)), achieved_rps=19.0
    )
    errors = write_run(tmp_path, RunSpec("vps", "linode-2gb", rate=20, error_every=200))
    users = edit_result(  # closed loop: no offered rate to hold
        write_run(tmp_path, RunSpec("heroku", "heroku-standard-1x", rate=20)),
        asked_rps=None,
        load={"mode": "users", "rate": None, "users": 8, "duration_s": 20, "ramp_s": 0},
    )
    rows = _compare([short, errors, users], catalog, PEAK_20).rows
    assert [(r.cost.capacity_source, r.cost.capacity_lower_bound) for r in rows] == [
        ("achieved", False),
        ("achieved", False),
        ("achieved", False),
    ]
    assert rows[0].cost.instances == 2  # 19.0 req/s really is short of a 20 req/s peak


def _k8s(root: Path, plan: str, **result: object) -> Path:
    run_dir = write_run(root, RunSpec("kubernetes", plan, rate=50))
    return edit_result(run_dir, **result) if result else run_dir


def test_kubernetes_capacity_is_per_node_not_per_service(tmp_path: Path, catalog: Catalog) -> None:
    # Two replicas, each limited to the whole linode-2gb node (1 vCPU, 2 GB): one fits a node.
    two = _k8s(tmp_path / "a", "lke-linode-2gb",
               deployment={"replicas": 2, "cpu_limit": 1, "memory_limit_mb": 2048})  # fmt: skip
    # Four half-size replicas on a 2 vCPU, 4 GB node: four fit one node.
    four = _k8s(tmp_path / "b", "lke-linode-4gb",
                deployment={"replicas": 4, "cpu_limit": 0.5, "memory_limit_mb": 1024})  # fmt: skip
    spec = SpecView(Path("s.yaml"), peak_rps=100, requests_per_day=1e6, p95_ms=200)
    one_node, whole = _compare([two, four], catalog, spec).rows
    node = catalog.plan("linode-2gb")
    assert node.usd_per_hour is not None
    assert one_node.cost.capacity_rps == 25.0  # 50 req/s ÷ 2 replicas × 1 per node
    assert one_node.cost.instances == 4  # ceil(100 / 25), above the pool's minimum of 3
    assert one_node.cost.usd_per_1m == pytest.approx(node.usd_per_hour / (25 * 3600) * 1e6)
    assert "50.0 req/s from 2 replicas = 25.0 req/s each; 1 fits on one lke-linode-2gb node" in (
        one_node.notes
    )
    assert whole.cost.capacity_rps == 50.0 and whole.cost.instances == 3  # 4 replicas per node


def test_kubernetes_replicas_read_from_the_scaffold_or_assumed(
    tmp_path: Path, catalog: Catalog
) -> None:
    from deploy_advisor.intake.example import make_example_model
    from deploy_advisor.targets.scaffold import scaffold

    benched = _k8s(tmp_path / "bench", "lke-linode-4gb")
    model = make_example_model(tmp_path / "model").joblib_path
    scaffold(model=model, target="kubernetes", out_dir=benched / "scaffold", plan="lke-linode-4gb")
    unknown = _k8s(tmp_path / "loadtest", "lke-linode-4gb")
    (run,) = load_runs([benched])
    assert run.deployment is not None
    assert (run.deployment.replicas, run.deployment.cpu_limit) == (2, 2.0)
    from_scaffold, assumed = _compare([benched, unknown], catalog).rows
    assert from_scaffold.cost.capacity_rps == assumed.cost.capacity_rps == 25.0
    assert not any("assumed" in n for n in from_scaffold.notes)
    assert (
        "replica count not recorded; assumed the scaffold's 2 replicas, each limited to one "
        "node's CPU and memory"
    ) in assumed.notes
