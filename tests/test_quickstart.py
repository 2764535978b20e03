"""`deploy-advisor quickstart` end to end: the real example model, server, Locust and engine."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from deploy_advisor.quickstart import COLD_STARTS, EMULATED_TARGETS, example_spec_text

REPO = Path(__file__).resolve().parents[1]


def test_bundled_spec_is_the_repo_example() -> None:
    repo_copy = (REPO / "examples" / "deploy-advisor.yaml").read_text(encoding="utf-8")
    assert example_spec_text() == repo_copy


PREFIX = "da-reports-qs"


def _quickstart(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", "TERM": "dumb"}
    env["DEPLOY_ADVISOR_NAME_PREFIX"] = PREFIX
    return subprocess.run(
        [sys.executable, "-m", "deploy_advisor", "quickstart", "-o", "qs", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_quickstart_local_writes_a_report_naming_the_run(tmp_path: Path) -> None:
    done = _quickstart(tmp_path, "--targets", "local", "--duration", "3s")
    assert done.returncode == 0, done.stderr
    html = tmp_path / "qs" / "report.html"
    assert done.stdout.endswith("HTML report: qs/report.html\n")
    assert "[1/4] recommend" in done.stderr and "[4/4] report: 1 run" in done.stderr
    assert ">local<" in html.read_text(encoding="utf-8")
    assert (tmp_path / "qs" / "runs" / "local" / "result.json").is_file()
    again = _quickstart(tmp_path, "--targets", "local", "--duration", "3s")
    assert (again.returncode, again.stderr.splitlines()[-1]) == (
        2,
        "Error: qs is not empty; pass --force to reuse it or choose another -o",
    )


def _quickstart_engine(tmp_path: Path, target: str, client) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    """Quickstart on local and `target` for 3 s each; the image it built is removed after."""
    try:
        return _quickstart(
            tmp_path, "--targets", f"local,{target}", "--duration", "3s",
            "--base-image", "deploy-advisor-base:bookworm",
        )  # fmt: skip
    finally:
        for image in client.images.list(name=f"{PREFIX}-{target}"):
            client.images.remove(image.id, force=True)


def test_quickstart_with_the_engine_benches_docker(tmp_path: Path, docker_client) -> None:  # type: ignore[no-untyped-def]
    done = _quickstart_engine(tmp_path, "docker", docker_client)
    assert done.returncode == 0, done.stderr
    assert re.search(r"✓ docker: (19\.\d|20\.\d) req/s", done.stderr)  # about the 20 req/s asked
    assert "✓ advisor picks realtime on cloud-run (cloud-run-1vcpu-2gib)" in done.stderr
    # docker is a Docker host: benched on the advisor's own VM plan for it, with no note.
    assert "billed per use" not in done.stderr
    assert json.loads((tmp_path / "qs/runs/docker/result.json").read_text())["plan"] == "nanode-1gb"
    html = (tmp_path / "qs" / "report.html").read_text(encoding="utf-8")
    assert ">local<" in html
    assert ">docker/nanode-1gb<" in html
    assert not docker_client.containers.list(all=True, filters={"name": PREFIX})


def test_bench_plans_follow_the_advisors_pick() -> None:
    from deploy_advisor.advisor.recommend import recommend
    from deploy_advisor.advisor.spec import load_spec
    from deploy_advisor.quickstart import _bench_plans

    rec = recommend(load_spec(REPO / "examples" / "deploy-advisor.yaml"), what_if=False)
    plans, notes = _bench_plans(rec)
    picked = {t.name: t.cost.plan.name for t in rec.targets if t.cost is not None}
    assert (rec.target, rec.plan) == ("cloud-run", "cloud-run-1vcpu-2gib")
    # Every pick is benched as itself (Cloud Run scaled to zero, priced per use), but SageMaker
    # Serverless, which has no vCPU size to emulate; docker is a VM plan of its own.
    assert plans == {name: plan for name, plan in picked.items() if name != "sagemaker"}
    assert plans["docker"] == "nanode-1gb"
    assert notes == {
        "sagemaker": "the advisor's sagemaker-serverless-1024mb for sagemaker is billed per use "
        "and has no size to emulate; sagemaker is benched on its default plan"
    }


def test_quickstart_where_every_target_fails_says_why(tmp_path: Path, docker_client) -> None:  # type: ignore[no-untyped-def]
    absent = f"{PREFIX}-absent-base:0"
    done = _quickstart(tmp_path, "--targets", "docker", "--duration", "2s", "--base-image", absent)
    assert done.returncode == 4, done.stderr
    line = done.stderr.splitlines()[-1]
    assert line.startswith(
        "Error: every target failed, so there is nothing to report: docker: docker build of "
        f"{tmp_path}/qs/scaffolds/docker failed: the base image {absent} is not on this machine "
        "and cannot be pulled ("
    )
    assert line.endswith("; pass --base-image IMAGE with a local Python 3.11 image (`docker "
                         "images` lists them) or set DEPLOY_ADVISOR_BASE_IMAGE")  # fmt: skip
    assert "No run directories" not in done.stderr
    assert not docker_client.images.list(name=f"{PREFIX}-docker")


def _cell(markdown: str, target: str, column: str) -> str:
    """One cell of the report's Markdown table (the cheapest row's bold and star removed)."""
    lines = [li.replace("**", "").replace("★ ", "") for li in markdown.splitlines()]
    header = next(li for li in lines if li.startswith("| target |")).split(" | ")
    row = next(li for li in lines if li.startswith(f"| {target} |")).split(" | ")
    return row[header.index(column)]


@pytest.mark.slow
def test_quickstart_benches_cloud_run_scaled_to_zero(
    tmp_path: Path, docker_client, nginx: str
) -> None:  # type: ignore[no-untyped-def]
    """The managed target of the demo: Cloud Run with min instances 0, its cold starts measured
    before the load and shown in the report's cold-start column."""
    assert EMULATED_TARGETS[-1] == "cloud-run"  # `make demo` benches it after the others
    done = _quickstart_engine(tmp_path, "cloud-run", docker_client)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "qs/runs/cloud-run/result.json").read_text())
    assert (result["target"], result["plan"]) == ("cloud-run", "cloud-run-1vcpu-2gib")
    cold = result["cold_start"]
    assert cold["count"] == COLD_STARTS and cold["max_ms"] >= cold["p50_ms"] > 100
    assert f"{COLD_STARTS} cold starts p50 {cold['p50_ms']:.0f} ms" in done.stderr
    markdown = (tmp_path / "qs" / "report.md").read_text(encoding="utf-8")
    # the launched runs also timed their start: that column follows the cold starts
    assert "| p99 ms | cold start p50/max ms | start → ready s | errors |" in markdown
    ready = float(_cell(markdown, "cloud-run", "start → ready s"))
    assert abs(ready - result["start_to_ready_s"]) <= 0.05
    wait = f"{cold['p50_ms']:.0f}/{cold['max_ms']:.0f}"  # cold starts are ≥100 ms: no decimals
    assert _cell(markdown, "cloud-run", "cold start p50/max ms") == wait
    assert _cell(markdown, "local", "cold start p50/max ms") == "—"
    assert f"{cold['p50_ms'] / 1000:.1f}/{cold['max_ms'] / 1000:.1f}" in done.stdout  # cold s
    assert not docker_client.containers.list(all=True, filters={"name": PREFIX})


def test_a_managed_targets_per_use_pick_is_benched_as_itself() -> None:
    """Where the advisor prices Cloud Run itself, quickstart emulates that plan (scaled to zero,
    priced per use by the report), not a per-instance twin."""
    from dataclasses import replace

    from deploy_advisor.advisor.catalog import load_catalog
    from deploy_advisor.advisor.recommend import recommend
    from deploy_advisor.advisor.spec import load_spec
    from deploy_advisor.quickstart import _bench_plans

    rec = recommend(load_spec(REPO / "examples" / "deploy-advisor.yaml"), what_if=False)
    first = next(t for t in rec.targets if t.cost is not None)
    assert first.cost is not None
    per_use = replace(first.cost, plan=load_catalog().plan("cloud-run-1vcpu-2gib"))
    cloud_run = replace(first, name="cloud-run", cost=per_use)
    plans, notes = _bench_plans(replace(rec, targets=[cloud_run]))
    assert (plans, notes) == ({"cloud-run": "cloud-run-1vcpu-2gib"}, {})
