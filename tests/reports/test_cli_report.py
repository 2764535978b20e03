"""`deploy-advisor report` as a user runs it: a real process, exact output and exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reports.conftest import FOUR
from tests.reports.runbuilder import write_run

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden" / "report_cli.txt"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", "TERM": "dumb"}
    return subprocess.run(
        [sys.executable, "-m", "deploy_advisor", "report", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """Four runs under runs/ and the example spec, addressed by relative paths.

    The spec keeps to self-run targets (cloud.provider none), so the advisor's pick (docker)
    is one of the measured runs; with any cloud it picks Cloud Run, which no run here measures."""
    for spec in FOUR:
        write_run(tmp_path / "runs", spec)
    shutil.copy(REPO / "examples" / "deploy-advisor.yaml", tmp_path / "deploy-advisor.yaml")
    with (tmp_path / "deploy-advisor.yaml").open("a", encoding="utf-8") as spec_file:
        spec_file.write("cloud: {provider: none}\n")
    return tmp_path


RUNS = [f"runs/{s.target}-{s.plan}" for s in FOUR]


def test_terminal_output_exact(work: Path, request: pytest.FixtureRequest) -> None:
    done = _run(*RUNS, "--spec", "deploy-advisor.yaml", cwd=work)
    assert (done.returncode, done.stderr) == (0, "")
    if request.config.getoption("--update-golden"):
        GOLDEN.write_text(done.stdout, encoding="utf-8")
    assert done.stdout == GOLDEN.read_text(encoding="utf-8")


def test_json_is_the_only_output(work: Path) -> None:
    done = _run(*RUNS, "--spec", "deploy-advisor.yaml", "--json", cwd=work)
    assert (done.returncode, done.stderr) == (0, "")
    doc = json.loads(done.stdout)
    assert doc["cheapest"] == {"label": "vps/linode-2gb", "target": "vps", "plan": "linode-2gb"}
    assert doc["advisor"]["verdict"] == "partly"  # the advisor picks docker for the example spec
    assert [r["target"] for r in doc["runs"]] == ["heroku", "vps", "docker", "kubernetes"]
    assert doc["spec"]["error_budget_pct"] == pytest.approx(0.1)  # availability: 99.9
    k8s = doc["runs"][3]  # 0.5% of its requests failed: beyond the spec's 0.1%, so not priced
    assert (k8s["requests"], k8s["failed"], k8s["slo"]["passed"]) == (1000, 5, False)
    assert k8s["slo"]["failure"] == "errors 0.5% > 0.1%: 5 of 1000 requests failed (HTTP 503 5)"
    assert k8s["capacity"]["rps"] is None and k8s["cost"]["usd_per_month"] is None
    vps = doc["runs"][1]
    # issue 14: at 99.9% the report sizes N+1 like the advisor's bill of materials: 1 + 1 spare
    assert vps["cost"]["instances"] == 2
    assert vps["cost"]["usd_per_1m_at_spec"] == pytest.approx(24 / (50_000 * 730 / 24) * 1e6)


def test_markdown_and_html_files(work: Path) -> None:
    done = _run(*RUNS, "--md", "report.md", "--html", "report.html", cwd=work)
    assert done.returncode == 0
    assert done.stderr == "✓ wrote report.html\n✓ wrote report.md\n"
    md = (work / "report.md").read_text(encoding="utf-8")
    assert md.startswith("<!-- deploy-advisor report -->\n") and "| vps | linode-2gb |" in md
    html = (work / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "kubernetes/eks-m5-large" in html
    again = _run(*RUNS, "--html", "report.html", cwd=work)  # an earlier report: replaced
    assert (again.returncode, again.stderr) == (0, "✓ wrote report.html\n")


def test_refuses_to_overwrite_a_user_file_without_force(work: Path) -> None:
    mine = work / "notes.html"
    mine.write_text("my notes\n", encoding="utf-8")
    done = _run(*RUNS, "--html", "notes.html", cwd=work)
    assert (done.returncode, done.stdout) == (2, "")
    assert (
        done.stderr == "Error: notes.html exists and is not a deploy-advisor report; pass --force\n"
    )
    assert mine.read_text(encoding="utf-8") == "my notes\n"
    forced = _run(*RUNS, "--html", "notes.html", "--force", cwd=work)
    assert forced.returncode == 0 and "deploy-advisor" in mine.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["runs/missing"],
            "Error: Run directory runs/missing not found; pass a directory written by loadtest",
        ),
        (
            ["empty"],
            "Error: empty/result.json not found; pass run directories written by loadtest",
        ),
        (
            [RUNS[0], "--spec", "nope.yaml"],
            "Error: spec file 'nope.yaml' not found; check the path or run `deploy-advisor init` "
            "to write one",
        ),
        (
            [RUNS[0], "--catalog", "nope.yaml"],
            "Error: catalog file 'nope.yaml' not found; check the path",
        ),
        (
            [RUNS[0], "--md", "no-such-dir/r.md"],
            "Error: Folder no-such-dir does not exist; create it or pick another path",
        ),
    ],
)
def test_errors_are_one_line_with_exit_code_2(work: Path, args: list[str], line: str) -> None:
    (work / "empty").mkdir()
    done = _run(*args, cwd=work)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", line + "\n")
