"""Report fixtures: run directories for several targets, priced from the real catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy_advisor.advisor.capacity import DEFAULT_RPS_PER_VCPU
from deploy_advisor.advisor.catalog import Catalog, load_catalog
from deploy_advisor.reports.build import Report
from deploy_advisor.reports.compare import Advised, Comparison, SpecView, compare
from deploy_advisor.reports.runs import load_runs
from tests.reports.runbuilder import RunSpec, write_run


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The real packaged price catalog."""
    return load_catalog()


FOUR = (
    RunSpec("heroku", "heroku-standard-1x", rate=12, median_ms=120, spread=0.5,
            capacity_steps=((5, 80), (10, 150), (15, 260))),
    RunSpec("vps", "linode-2gb", rate=50, median_ms=18),
    RunSpec("docker", "linode-4gb", rate=50, median_ms=14,
            capacity_steps=((50, 30), (100, 60), (200, 150), (400, 420))),
    RunSpec("kubernetes", "eks-m5-large", rate=50, median_ms=22, error_every=200),
)  # fmt: skip

SPEC = SpecView(Path("deploy-advisor.yaml"), peak_rps=40, requests_per_day=500_000, p95_ms=200)


@pytest.fixture
def run_dirs(tmp_path: Path) -> list[Path]:
    return [write_run(tmp_path / "runs", spec) for spec in FOUR]


def advised_comparison(run_dirs: list[Path], catalog: Catalog, *, target: str) -> Comparison:
    """The runs compared against SPEC, with the advisor having picked `target` (realtime)."""
    return compare(
        runs=load_runs(run_dirs),
        catalog=catalog,
        spec=SPEC,
        advised=Advised(target, "realtime"),
        rps_per_vcpu=DEFAULT_RPS_PER_VCPU,
    )


@pytest.fixture
def report(run_dirs: list[Path], catalog: Catalog) -> Report:
    """Four targets, the spec, and the advisor picking heroku (which breaks the SLO)."""
    return Report(advised_comparison(run_dirs, catalog, target="heroku"))
