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


def _loadtest(root: Path, *, target: str, scaffold_for: str, plan: str | None = None) -> Path:
    """Four seconds at 20 req/s against the example model as `target` runs it on 127.0.0.1."""
    from deploy_advisor.intake.example import make_example_model
    from deploy_advisor.loadtest.runner import load_shape
    from deploy_advisor.loadtest.session import LoadTestRequest, run_session
    from deploy_advisor.loadtest.slo import parse_slos
    from deploy_advisor.targets.scaffold import scaffold

    model = make_example_model(root / "model").joblib_path
    scaffold(model=model, target=scaffold_for, out_dir=root / "scaffold")
    request = LoadTestRequest(
        directory=root / "scaffold", url=None, target=target, plan=plan,
        shape=load_shape(rate=20, users=None, duration_s=4, ramp_s=0.5),
        slos=parse_slos("p95<200ms"), slo_text="p95<200ms", run_dir=root / "run", live=False,
    )  # fmt: skip
    _, run_dir = run_session(request)
    return run_dir


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runtime server in this process's venv: the local target, which loadtest does not time."""
    return _loadtest(
        tmp_path_factory.mktemp("real"), target="local", scaffold_for="docker", plan=PLAN
    )


@pytest.fixture(scope="module")
def heroku_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The heroku scaffold's Procfile web process (gunicorn in a dyno-sized cgroup), launched by
    loadtest, which times it from start until /readyz answered."""
    return _loadtest(tmp_path_factory.mktemp("heroku"), target="heroku", scaffold_for="heroku")


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


def test_start_to_ready_of_a_real_launch_in_every_format(real_run: Path, heroku_run: Path) -> None:
    from deploy_advisor.reports.html import render_html
    from tests.reports.test_renderers import _column, _text

    result = json.loads((heroku_run / "result.json").read_text(encoding="utf-8"))
    assert result["requests"] > 40 and result["failures"]["total"] == 0  # it really ran
    took = result["start_to_ready_s"]
    assert 0.1 < took < 90  # gunicorn loaded the model and answered /readyz within its timeout
    assert "start_to_ready_s" not in json.loads((real_run / "result.json").read_text())

    report = build_report(run_dirs=[real_run, heroku_run])
    assert [r["start_to_ready_s"] for r in report_json(report)["runs"]] == [None, took]
    column = _column(render_markdown(report), "start → ready s")
    assert column == {"local": "—", "heroku": fmt.seconds(took)}
    assert f"<td>{fmt.seconds(took)}</td>" in render_html(report)
    label = report.comparison.rows[1].label
    assert f"\n  {label}: {fmt.seconds(took)} s\n" in _text(report)


def test_a_start_slower_than_the_startup_probe_is_noted(heroku_run: Path, tmp_path: Path) -> None:
    """The real heroku run, copied as a kubernetes run benched from a real kubernetes scaffold
    (the launch itself needs Docker); its start set either side of the probe's allowance."""
    from deploy_advisor.intake.example import make_example_model
    from deploy_advisor.targets.scaffold import scaffold

    model = make_example_model(tmp_path / "model").joblib_path
    scaffold(model=model, target="kubernetes", out_dir=tmp_path / "k8s", plan="lke-linode-4gb")
    runs = {}
    for name in ("slow", "quick"):
        runs[name] = shutil.copytree(heroku_run, tmp_path / name)
        shutil.copytree(tmp_path / "k8s", runs[name] / "scaffold")
    allowed = build_report(run_dirs=[runs["slow"]]).comparison.rows[0].run.startup_probe_s
    assert allowed is not None and allowed >= 10  # at least 5 × 2 s, more for a slow load
    for name, took in (("slow", allowed + 5), ("quick", allowed - 1)):
        path = runs[name] / "result.json"
        edited = {**json.loads(path.read_text()), "target": "kubernetes", "plan": "lke-linode-4gb"}
        path.write_text(json.dumps({**edited, "start_to_ready_s": took}))

    report = build_report(run_dirs=[runs["slow"], runs["quick"]])
    slow, quick = report.comparison.rows
    assert slow.run.deployment is not None and slow.run.deployment.replicas == 2
    assert (
        f"start → ready took {fmt.seconds(allowed + 5)} s (all 2 replicas), longer than the "
        f"{fmt.seconds(allowed)} s its scaffold's startupProbe allows (initialDelaySeconds + "
        "failureThreshold × periodSeconds): Kubernetes would restart a pod before it is ready; "
        "raise the probe's failureThreshold in k8s/deployment.yaml"
    ) in slow.notes
    assert not any("startupProbe" in n for n in quick.notes)
    from tests.reports.test_renderers import _text

    assert (
        f"  {quick.label}: {fmt.seconds(allowed - 1)} s, all 2 replicas, startup probe allows "
        f"{fmt.seconds(allowed)} s\n"
    ) in _text(report)
