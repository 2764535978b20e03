"""Helpers for the advisor tests: build specs, run recommend, run the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from deploy_advisor.advisor.catalog import Catalog, load_catalog
from deploy_advisor.advisor.recommend import Recommendation, recommend
from deploy_advisor.advisor.spec import spec_from_mapping
from deploy_advisor.advisor.weights import Weights, load_weights

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "deploy-advisor.yaml"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def weights() -> Weights:
    return load_weights()


@pytest.fixture
def advise(catalog: Catalog, weights: Weights) -> Callable[..., Recommendation]:
    """advise({"team": {"ops_skill": "beginner"}}) -> Recommendation."""

    def run(data: dict[str, Any] | None = None, **kwargs: Any) -> Recommendation:
        return recommend(spec_from_mapping(data or {}), catalog=catalog, weights=weights, **kwargs)

    return run


def cli(
    *args: str, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `deploy-advisor` entry point (as `python -m deploy_advisor`)."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", "TERM": "dumb"}
    env.pop("DEPLOY_ADVISOR_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "deploy_advisor", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env=env,
        input=stdin,
        timeout=120,
    )
