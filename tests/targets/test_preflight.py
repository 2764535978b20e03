"""Heroku's preflight: slug size, dyno memory, H12 and R10 limits; --strict refuses."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from deploy_advisor.targets import get_target
from deploy_advisor.targets.base import PlanSize, RenderContext
from tests.targets.conftest import run_cli
from tests.targets.test_golden import FACTS, REQUIREMENTS

BASIC = PlanSize("heroku-basic", 1.0, 512, "heroku")


def _checks(**facts: object) -> list[str]:
    ctx = RenderContext(
        mode="realtime", app_name="m", model=replace(FACTS, **facts), plan=BASIC,  # type: ignore[arg-type]
        requirements=REQUIREMENTS, workers=1,
    )  # fmt: skip
    return [f.check for f in get_target("heroku").preflight(ctx)]


def test_a_small_fast_model_passes() -> None:
    assert _checks() == []


def test_each_limit_is_reported() -> None:
    assert _checks(size_bytes=600 * 2**20) == ["heroku-slug"]
    assert _checks(rss_mb=700.0) == ["heroku-memory"]
    assert _checks(predict_ms=20_000.0) == ["heroku-h12"]
    assert _checks(load_seconds=45.0) == ["heroku-r10"]


def test_strict_refuses_a_model_too_big_for_the_dyno(tmp_path: Path) -> None:
    import joblib
    import numpy as np
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(np.eye(3), [0.0, 1.0, 2.0])
    model.ballast_ = np.ones(60_000_000)  # 458 MB in memory: more than a 512 MB dyno can serve
    path = tmp_path / "big.joblib"
    joblib.dump(model, path)
    out = tmp_path / "out"
    args = ["scaffold", "--model", str(path), "--target", "heroku", "--plan", "heroku-basic"]
    refused = run_cli(*args, "-o", str(out), "--strict")
    assert refused.returncode == 1
    assert "Error: preflight refused with --strict: the slug would be about" in refused.stderr
    assert "1 worker(s) need about" in refused.stderr
    assert "dyno has 512 MB (R14/R15); pick a larger --plan" in refused.stderr
    assert not out.exists()
    warned = run_cli(*args, "-o", str(out), "--dry-run")
    assert warned.returncode == 0
    assert "Warning: 1 worker(s) need about" in warned.stderr
