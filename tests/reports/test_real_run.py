"""A report of a real run: the example model, the real runtime server, a short real Locust run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from deploy_advisor.advisor.capacity import instances_needed
from deploy_advisor.advisor.catalog import load_catalog
from deploy_advisor.reports import fmt
from deploy_advisor.reports.build import build_report
from deploy_advisor.reports.json_doc import report_json
from deploy_advisor.reports.markdown import render_markdown

REPO = Path(__file__).resolve().parents[2]
PLAN = "linode-2gb"


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four seconds at 20 req/s against the example model served by the runtime on 127.0.0.1."""
    from deploy_advisor.intake.example import make_example_model
    from deploy_advisor.loadtest.runner import load_shape
    from deploy_advisor.loadtest.session import LoadTestRequest, run_session
    from deploy_advisor.loadtest.slo import parse_slos
    from deploy_advisor.targets.scaffold import scaffold

    root = tmp_path_factory.mktemp("real")
    model = make_example_model(root / "model").joblib_path
    scaffold(model=model, target="docker", out_dir=root / "scaffold")
    request = LoadTestRequest(
        directory=root / "scaffold", url=None, target="local", plan=PLAN,
        shape=load_shape(rate=20, users=None, duration_s=4, ramp_s=0.5),
        slos=parse_slos("p95<200ms"), slo_text="p95<200ms", run_dir=root / "run", live=False,
    )  # fmt: skip
    _, run_dir = run_session(request)
    return run_dir


def test_report_numbers_are_the_runs_numbers(real_run: Path, tmp_path: Path) -> None:
    result = json.loads((real_run / "result.json").read_text(encoding="utf-8"))
    assert result["requests"] > 40 and result["failures"]["total"] == 0  # it really ran
    spec = tmp_path / "deploy-advisor.yaml"
    shutil.copy(REPO / "examples" / "deploy-advisor.yaml", spec)

    report = build_report(run_dirs=[real_run], spec_path=spec)
    (row,) = report_json(report)["runs"]

    assert (row["target"], row["plan"], row["emulated"]) == ("local", PLAN, False)
    assert row["achieved_rps"] == result["achieved_rps"]
    assert row["latency_ms"] == {k: result["latency_ms"][k] for k in ("p50", "p95", "p99")}
    assert row["error_pct"] == 0.0
    assert row["server"] == result["server"]
    # The example spec's availability, 99.9%, is an error budget of 0.1%.
    assert row["slo"]["passed"] is True and row["slo"]["objectives"] == "p95<200ms, errors<=0.1%"
    # The SLO held and the generator was not the bottleneck: a run that kept up with its 20 req/s
    # (within 2%) shows capacity of at least 20; one that fell short, its achieved rate.
    assert result["generator"]["bound"] is False
    held = result["achieved_rps"] >= 0.98 * 20
    capacity = 20 if held else result["achieved_rps"]
    assert row["capacity"] == {
        "rps": capacity,
        "source": "held" if held else "achieved",
        "lower_bound": held,
    }
    plan = load_catalog().plan(PLAN)
    assert plan.usd_per_hour is not None and plan.usd_per_month is not None
    # the example spec's peak, 20 req/s, plus one spare instance at its 99.9% availability (N+1)
    instances = instances_needed(20, capacity) + 1
    cost = row["cost"]
    assert cost["instances"] == instances
    assert cost["usd_per_month"] == pytest.approx(plan.usd_per_month * instances)
    assert cost["usd_per_1m"] == pytest.approx(plan.usd_per_hour / (capacity * 3600) * 1e6)
    p = result["latency_ms"]
    markdown = render_markdown(report).replace("**", "")  # the cheapest row is in bold
    assert f"| {fmt.ms(p['p50'])} | {fmt.ms(p['p95'])} | {fmt.ms(p['p99'])} |" in markdown
