"""Report fixtures: run directories for several targets and a small price catalog."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy_advisor.errors import CatalogError
from deploy_advisor.reports.build import Report
from deploy_advisor.reports.compare import Advised, SpecView, compare
from deploy_advisor.reports.runs import load_runs
from tests.reports.runbuilder import RunSpec, write_run


@dataclass(frozen=True)
class Plan:
    name: str
    provider: str
    target: str
    vcpu: float | None
    memory_mb: float | None
    usd_per_hour: float
    usd_per_month: float
    source: str = "pricing-research.md"
    as_of: str = "2025-08-19"
    confidence: str = "official"


class PriceList:
    """Prices from shared/reference/pricing-research.md, in the catalog's interface."""

    plans = (
        Plan("heroku-standard-1x", "heroku", "heroku", None, 512, 0.0347, 25.0),
        Plan("linode-2gb", "linode", "vps", 1, 2048, 0.018, 12.0),
        Plan("linode-4gb", "linode", "docker", 2, 4096, 0.036, 24.0),
        Plan("eks-m5-large", "aws", "kubernetes", 2, 8192, 0.096, 70.08),
        Plan("eks-control-plane", "aws", "kubernetes", None, None, 0.10, 73.0),
    )

    def plan(self, name: str) -> Plan:
        for plan in self.plans:
            if plan.name == name:
                return plan
        raise CatalogError(f"Plan {name} is not in the catalog")

    def plans_for(self, target: str) -> list[Plan]:
        return [p for p in self.plans if p.target == target]


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


@pytest.fixture
def report(run_dirs: list[Path]) -> Report:
    """Four targets, the spec, and the advisor picking heroku (which breaks the SLO)."""
    comparison = compare(
        runs=load_runs(run_dirs),
        catalog=PriceList(),
        spec=SPEC,
        advised=Advised("heroku", "realtime"),
        rps_per_vcpu=40,
    )
    return Report(comparison)
