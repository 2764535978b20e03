"""Runs of the same target and plan are told apart the same way in every format."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from deploy_advisor.advisor.capacity import DEFAULT_RPS_PER_VCPU
from deploy_advisor.advisor.catalog import Catalog
from deploy_advisor.reports.build import Report
from deploy_advisor.reports.compare import compare
from deploy_advisor.reports.json_doc import report_json
from deploy_advisor.reports.markdown import render_markdown
from deploy_advisor.reports.runs import load_runs
from deploy_advisor.reports.table import notes
from tests.reports.conftest import SPEC
from tests.reports.runbuilder import RunSpec, edit_result, write_run
from tests.reports.test_renderers import _text

LABELS = [
    "docker/linode-2gb #1",
    "docker/linode-2gb #2",
    "docker/linode-2gb #3",
    "url #1",
    "url #2",
    "vps/linode-2gb",
]


def twins(root: Path) -> list[Path]:
    """Three docker/linode-2gb runs (the last interrupted), two --url runs, one vps run."""
    dirs = [
        write_run(root / "monday", RunSpec("docker", "linode-2gb", median_ms=30)),
        write_run(root / "tuesday", RunSpec("docker", "linode-2gb", median_ms=20)),
        write_run(root / "wednesday", RunSpec("docker", "linode-2gb", partial=True)),
    ]
    for name, port in (("url-a", 8001), ("url-b", 8002)):
        run_dir = write_run(root, RunSpec("url", None, rate=20), name=name)
        dirs.append(edit_result(run_dir, url=f"http://127.0.0.1:{port}"))
    return [*dirs, write_run(root, RunSpec("vps", "linode-2gb"))]


@pytest.fixture
def twin_report(tmp_path: Path, catalog: Catalog) -> Report:
    comparison = compare(
        runs=load_runs(twins(tmp_path)),
        catalog=catalog,
        spec=SPEC,
        rps_per_vcpu=DEFAULT_RPS_PER_VCPU,
    )
    return Report(comparison)


def test_labels_are_unique_and_notes_name_the_run_directory(
    twin_report: Report, tmp_path: Path
) -> None:
    rows = twin_report.comparison.rows
    assert [r.label for r in rows] == LABELS
    lines = notes(twin_report.comparison)
    assert (
        f"docker/linode-2gb #2: run directory {tmp_path / 'tuesday' / 'docker-linode-2gb'}" in lines
    )
    assert f"url #2: run directory {tmp_path / 'url-b'}, http://127.0.0.1:8002" in lines
    assert "docker/linode-2gb #3: partial run (interrupted); not eligible as cheapest" in lines
    assert len(lines) == len(set(lines))
    assert not any(line.startswith("vps/linode-2gb: run directory") for line in lines)


def test_every_format_uses_the_same_labels(twin_report: Report) -> None:
    text = _text(twin_report)
    for target, tag in (("docker", "#1"), ("docker", "#3"), ("url", "#2")):
        assert re.search(rf"\n(★ )?{target} {tag} +", text), (target, tag)
    md = render_markdown(twin_report)
    for row in twin_report.comparison.rows:
        target = f"{row.run.target} {row.tag}".strip()
        assert re.search(rf"\| (\*\*)?(★ )?{re.escape(target)}(\*\*)? \|", md), target
    doc = json.loads(json.dumps(report_json(twin_report)))
    assert [r["label"] for r in doc["runs"]] == LABELS
    assert doc["cheapest"]["label"] in LABELS
