from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from deploy_advisor.advisor.capacity import DEFAULT_RPS_PER_VCPU
from deploy_advisor.advisor.catalog import Catalog, load_catalog
from deploy_advisor.errors import InputError
from deploy_advisor.reports import fmt
from deploy_advisor.reports.baseline import diff_rows
from deploy_advisor.reports.build import Report
from deploy_advisor.reports.compare import compare
from deploy_advisor.reports.json_doc import report_json
from deploy_advisor.reports.markdown import MARKER, render_markdown
from deploy_advisor.reports.output import write_report_file
from deploy_advisor.reports.runs import load_runs
from deploy_advisor.reports.terminal import render_terminal
from tests.reports.conftest import SPEC
from tests.reports.runbuilder import RunSpec, write_run

GOLDEN = Path(__file__).parent / "golden"


def _text(report: Report) -> str:
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, width=120, no_color=True, highlight=False)
    for renderable in render_terminal(report):
        console.print(renderable)
    return out.getvalue()


def test_terminal_table_exact(report: Report, request: pytest.FixtureRequest) -> None:
    text = _text(report)
    golden = GOLDEN / "terminal.txt"
    if request.config.getoption("--update-golden"):
        golden.write_text(text.split("★ cheapest run that meets")[0], encoding="utf-8")
    assert text.startswith(golden.read_text(encoding="utf-8"))
    assert (
        "  $/month = plan $/month × instances + platform fees (Kubernetes control plane)\n" in text
    )


def test_markdown_for_a_pull_request(report: Report) -> None:
    md = render_markdown(report)
    assert md.startswith(MARKER + "\n### deploy-advisor report\n")
    assert (
        "| **★ vps** | **linode-2gb** | **yes** | **50.0** | **17.7** | **32.4** | **41.4** | "
        "**0.0%** | **0.60** | **180** | **pass** | **≥50.0 held** | **$0.0180** | **$12.00** | "
        "**$0.100** | **$0.79** |"
    ) in md
    assert "| $/hour | $/month | $/1M | $/1M at spec |\n" in md
    assert "| heroku | heroku-standard-1x | yes | 12.0 | 113 | 278 | 368 |" in md
    assert "- $/hour = plan $/hour × instances" in md


def test_json_has_a_version_and_the_numbers(report: Report) -> None:
    doc = json.loads(json.dumps(report_json(report)))
    assert doc["version"] == 1
    assert doc["cheapest"] == {"label": "vps/linode-2gb", "target": "vps", "plan": "linode-2gb"}
    assert doc["advisor"]["verdict"] == "disagree"
    heroku = doc["runs"][0]
    assert heroku["cost"]["instances"] == 5 and heroku["capacity"] == {
        "rps": 9.9,
        "source": "measured",
        "lower_bound": False,
    }
    assert doc["baseline"] is None


def test_baseline_in_every_format(tmp_path: Path, catalog: Catalog) -> None:
    old = write_run(tmp_path / "old", RunSpec("vps", "linode-2gb", rate=50, median_ms=30))
    new = write_run(tmp_path / "new", RunSpec("vps", "linode-2gb", rate=50, median_ms=15))
    before = compare(
        runs=load_runs([old]), catalog=catalog, spec=SPEC, rps_per_vcpu=DEFAULT_RPS_PER_VCPU
    )
    after = compare(
        runs=load_runs([new]), catalog=catalog, spec=SPEC, rps_per_vcpu=DEFAULT_RPS_PER_VCPU
    )
    diffs, unmatched = diff_rows(rows=after.rows, baseline=before.rows)
    report = Report(after, diffs, unmatched, has_baseline=True)
    p95 = diffs[0].p95.text()
    assert p95.startswith(f"{before.rows[0].run.latency_ms.p95:.1f} → ") and " ▼ -" in p95
    assert re.search(rf"\nvps/linode-2gb +{re.escape(p95)} ", _text(report))
    assert f"| vps/linode-2gb | 🟢 {p95} |" in render_markdown(report)
    delta = report_json(report)["baseline"]["diffs"][0]["p95_ms"]
    assert delta["better"] is True and delta["change_pct"] < -30


def test_report_files_are_not_written_over_user_files(tmp_path: Path) -> None:
    mine = tmp_path / "notes.md"
    mine.write_text("my notes\n")
    with pytest.raises(InputError, match="exists and is not a deploy-advisor report; pass --force"):
        write_report_file(path=mine, text="x", marker=MARKER)
    assert mine.read_text() == "my notes\n"
    write_report_file(path=mine, text=MARKER + "\nfirst\n", marker=MARKER, force=True)
    write_report_file(path=mine, text=MARKER + "\nsecond\n", marker=MARKER)  # ours: replaced
    assert mine.read_text().endswith("second\n")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.md"]  # no temp files left


def test_spec_cost_column_in_terminal_and_markdown(report: Report, catalog: Catalog) -> None:
    rows = report.comparison.rows
    heroku = rows[0].cost  # $125/month for 500,000 requests a day, not $0.97 at full use
    assert heroku.usd_per_1m_spec == pytest.approx(125 / (500_000 * 730 / 24) * 1e6)
    lines = render_markdown(report).splitlines()
    assert next(li for li in lines if li.startswith("| target |")).endswith(
        "| $/1M | $/1M at spec |"
    )
    for row in rows:
        line = next(li for li in lines if f"| {row.run.plan} |" in li.replace("**", ""))
        assert line.replace("**", "").endswith(
            f"| {fmt.usd(row.cost.usd_per_1m)} | {fmt.usd(row.cost.usd_per_1m_spec)} |"
        )
    text = _text(report)
    assert "$/month     $/1M  $/1M spec\n" in text  # $/hour gives way in 120 columns
    assert "pass     ≥50.0      $12.00   $0.100      $0.79\n" in text
    bare = Report(compare(runs=[r.run for r in rows], catalog=catalog, rps_per_vcpu=100.0))
    assert "| $/1M |\n" in render_markdown(bare)  # no spec, no $/1M at spec column
    assert "$/1M spec" not in _text(bare) and " $/hour " in _text(bare)


REPO = Path(__file__).resolve().parents[2]
# A Cloud Run run that scaled to zero: the loadtest's own summary of three cold starts.
COLD = RunSpec(
    "cloud-run", "cloud-run-1vcpu-2gib", rate=20, median_ms=16, cold_starts_s=(1.84, 2.31, 1.62)
)


@pytest.fixture
def cold_report(run_dirs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Report:
    """The four runs and the Cloud Run one against the example spec, as `report --spec` does."""
    from deploy_advisor.reports.build import build_report

    monkeypatch.chdir(tmp_path)
    (tmp_path / "deploy-advisor.yaml").write_bytes(
        (REPO / "examples/deploy-advisor.yaml").read_bytes()
    )
    cloud = write_run(tmp_path / "runs", COLD)
    return build_report(run_dirs=[*run_dirs, cloud], spec_path=Path("deploy-advisor.yaml"))


def test_cold_start_column_in_the_terminal(
    cold_report: Report, request: pytest.FixtureRequest
) -> None:
    text = _text(cold_report)
    table = text[text.index("\ntarget ") + 1 : text.index("★ cheapest run that meets")]
    golden = GOLDEN / "terminal_cold.txt"
    if request.config.getoption("--update-golden"):
        golden.write_text(table, encoding="utf-8")
    assert table == golden.read_text(encoding="utf-8")
    assert "cold s = cold start p50/max after scaling to zero\n" in text
    assert max(len(line) for line in golden.read_text().splitlines()) <= 120


def _column(markdown: str, name: str) -> dict[str, str]:
    """The cells of one Markdown column, by the row's target (bold and star removed)."""
    lines = [li.replace("**", "").replace("★ ", "") for li in markdown.splitlines()]
    header = next(li for li in lines if li.startswith("| target |")).split(" | ")
    at = header.index(name)
    rows = [li.split(" | ") for li in lines if li.startswith("| ") and "---" not in li]
    return {r[0].lstrip("| "): r[at] for r in rows[1:]}


def test_cold_start_column_in_markdown_json_and_html(cold_report: Report) -> None:
    from deploy_advisor.reports.html import render_html

    md = render_markdown(cold_report)
    assert "| p99 ms | cold start p50/max ms | errors |" in md
    cold = _column(md, "cold start p50/max ms")
    assert cold == {
        "heroku": "—", "vps": "—", "docker": "—", "kubernetes": "—", "cloud-run": "1840/2310"
    }  # fmt: skip
    assert _column(md, "SLO")["cloud-run"] == "pass"  # the columns after it did not shift
    runs = report_json(cold_report)["runs"]
    assert [r["cold_start"] for r in runs] == [None] * 4 + [
        {"count": 3, "p50_ms": 1840.0, "max_ms": 2310.0}
    ]
    html = render_html(cold_report)
    assert "<th>p99 ms</th><th>cold start p50/max ms</th><th>errors</th>" in html
    row = html[html.index('data-target="cloud-run"') :].split("</tr>")[0]
    assert "<td>1840/2310</td>" in row and '<td class="pass">pass</td>' in row


def test_a_run_that_scaled_to_zero_is_priced_per_use(cold_report: Report) -> None:
    from deploy_advisor.advisor.costs import PlanCost, plan_cost
    from deploy_advisor.advisor.spec import load_spec

    comparison = cold_report.comparison
    cloud = comparison.rows[-1]
    assert cloud.plan is not None and cloud.plan.per_use
    assert cloud.cost.capacity_rps == 20 and cloud.cost.capacity_source == "held"
    catalog = load_catalog()
    advisor = plan_cost(
        catalog.plan("cloud-run-1vcpu-2gib"), load_spec(Path("deploy-advisor.yaml")), "realtime",
        catalog, rps_per_vcpu=20.0,
    )  # fmt: skip
    assert isinstance(advisor, PlanCost)
    assert cloud.cost.usd_per_month == advisor.monthly_usd  # the free tier covers 50,000 a day
    assert (cloud.cost.instances, cloud.cost.usd_per_hour, cloud.cost.usd_per_1m) == (0, None, None)
    assert comparison.cheapest is cloud
    assert comparison.headline.endswith(
        "$0/month for the spec's traffic, billed per use, p95 28.8 ms at 20.0 req/s; "
        "a cold start after scaling to zero waits 1840 ms (p50)"
    )
    assert cloud.notes[-2:] == (
        "its cold starts break the spec's p95 of 200 ms for the requests that find the instance "
        "scaled to zero; keep one instance warm (min instances 1, billed while idle) if they "
        "must not wait",
        "billed per use: " + advisor.breakdown[0],
    )
    assert comparison.formulas[-1].startswith("per use (a run that scaled to zero")


def test_per_use_needs_the_spec_traffic(tmp_path: Path, catalog: Catalog) -> None:
    run = load_runs([write_run(tmp_path, COLD)])
    (row,) = compare(runs=run, catalog=catalog, rps_per_vcpu=DEFAULT_RPS_PER_VCPU).rows
    assert row.cost.usd_per_month is None
    assert "cloud-run-1vcpu-2gib is billed per use; pass --spec for the traffic to price it" in (
        row.notes
    )
    # A run of the same plan that did not scale to zero (docker sized like it) has no price.
    docker = load_runs([write_run(tmp_path, RunSpec("docker", "cloud-run-1vcpu-2gib"))])
    (row,) = compare(runs=docker, catalog=catalog, rps_per_vcpu=DEFAULT_RPS_PER_VCPU).rows
    assert row.plan is None and row.cost.usd_per_month is None


def test_sagemaker_serverless_is_priced_per_use_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan with no vCPU count (SageMaker Serverless: memory only) bills per second of compute."""
    from deploy_advisor.advisor.costs import PlanCost, plan_cost
    from deploy_advisor.advisor.spec import load_spec
    from deploy_advisor.reports.build import build_report

    monkeypatch.chdir(tmp_path)
    (tmp_path / "deploy-advisor.yaml").write_bytes(
        (REPO / "examples/deploy-advisor.yaml").read_bytes()
    )
    serverless = RunSpec(
        "sagemaker", "sagemaker-serverless-2048mb", rate=20, median_ms=16, cold_starts_s=(2.5,)
    )
    report = build_report(
        run_dirs=[write_run(tmp_path / "runs", serverless)], spec_path=Path("deploy-advisor.yaml")
    )
    (row,) = report.comparison.rows
    catalog = load_catalog()
    advisor = plan_cost(
        catalog.plan("sagemaker-serverless-2048mb"), load_spec(Path("deploy-advisor.yaml")),
        "realtime", catalog, rps_per_vcpu=20.0,
    )  # fmt: skip
    assert isinstance(advisor, PlanCost) and advisor.monthly_usd > 0
    assert row.cost.usd_per_month == pytest.approx(advisor.monthly_usd)
    assert row.cost.usd_per_1m_spec == pytest.approx(
        advisor.monthly_usd / (50_000 * 730 / 24) * 1e6
    )
    assert "| 2500/2500 |" in render_markdown(report).replace("**", "")
