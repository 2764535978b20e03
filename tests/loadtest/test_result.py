"""result.json from recorded requests: the rate over the steady window, SLOs with error budgets."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy_advisor.emulate.procstats import ResourceSummary
from deploy_advisor.loadtest.result import RunInfo, build_result
from deploy_advisor.loadtest.runner import LocustRun, load_shape
from deploy_advisor.loadtest.samples import Samples
from deploy_advisor.loadtest.slo import parse_slos

INFO = RunInfo("url", None, False, None, "http://127.0.0.1:8000")


def _run(tmp_path: Path, *, startup_s: float, seconds: float, rate: float) -> LocustRun:
    """Locust takes `startup_s` to send its first request, then requests start at `rate`."""
    samples = Samples()
    first = 1000.0 + startup_s
    count = int(seconds * rate)
    for i in range(count):
        samples.add_line(f"{first + i / rate:.6f},5.0,1,\n")
    end = first + count / rate + 0.5
    return LocustRun(samples, 1000.0, end, ResourceSummary(), False, 0, tmp_path)


@pytest.mark.parametrize("duration", [1, 2, 5])
def test_locust_start_up_never_lowers_the_rate_nor_blames_the_generator(
    tmp_path: Path, duration: int
) -> None:
    run = _run(tmp_path, startup_s=1.5, seconds=duration, rate=50)
    shape = load_shape(rate=50, users=None, duration_s=duration, ramp_s=min(5, duration / 5))
    result = build_result(run=run, info=INFO, shape=shape, slos=[], server=None)
    assert result["achieved_rps"] == pytest.approx(50, rel=0.01)
    assert result["generator"]["bound"] is False
    assert not [w for w in result["warnings"] if "bottleneck" in w or "short of" in w]


def test_a_real_shortfall_in_the_steady_window_is_still_reported(tmp_path: Path) -> None:
    run = _run(tmp_path, startup_s=0.5, seconds=5, rate=30)
    shape = load_shape(rate=50, users=None, duration_s=5, ramp_s=1)
    result = build_result(run=run, info=INFO, shape=shape, slos=[], server=None)
    assert result["achieved_rps"] == pytest.approx(30, rel=0.01)
    assert result["warnings"][0] == "achieved 30.0 req/s, short of the asked 50 req/s"
    assert result["generator"]["bound"] is True  # 25 users at 5 ms could have sent 50 req/s


def test_failed_requests_are_no_latency_and_spend_the_error_budget(tmp_path: Path) -> None:
    samples = Samples()
    for i in range(100):
        failed = i % 25 == 0  # 4 of 100: inside p95's 5% budget, past p99's 1%
        samples.add_line(f"{1000 + i / 10:.3f},{0.5 if failed else 20.0},{0 if failed else 1},"
                         f"{'ConnectionResetError' if failed else ''}\n")  # fmt: skip
    run = LocustRun(samples, 999.0, 1011.0, ResourceSummary(), False, 0, tmp_path)
    shape = load_shape(rate=10, users=None, duration_s=10, ramp_s=0)
    slos = parse_slos("p95<100ms,p99<100ms,max<100ms,errors<5%")
    result = build_result(run=run, info=INFO, shape=shape, slos=slos, server=None)
    assert result["latency_ms"]["p50"] == result["latency_ms"]["max"] == 20.0  # not 0.5
    assert [(v["name"], v["measured"], v["passed"], v["note"]) for v in result["slo"]] == [
        ("p95", 20.0, True, None),
        ("p99", 20.0, False, "4% of requests failed; p99 allows 1%"),
        ("max", 20.0, False, "4% of requests failed; max allows 0%"),
        ("errors", 4.0, True, None),
    ]
    assert result["error"] is None
    assert sum(row["rps"] for row in result["timeline"]) == 100
    assert sum(row["errors"] for row in result["timeline"]) == 4


def test_shed_requests_are_counted_apart_from_other_failures(tmp_path: Path) -> None:
    samples = Samples()
    for i in range(100):
        kind = "http_503" if i % 10 == 0 else "ConnectionResetError" if i == 55 else ""
        samples.add_line(f"{1000 + i / 10:.3f},5.0,{0 if kind else 1},{kind}\n")
    run = LocustRun(samples, 999.0, 1011.0, ResourceSummary(), False, 0, tmp_path)
    shape = load_shape(rate=10, users=None, duration_s=10, ramp_s=0)
    result = build_result(run=run, info=INFO, shape=shape, slos=[], server=None)
    assert result["failures"] == {
        "total": 11,
        "by_kind": {"http_503": 10, "ConnectionResetError": 1},
        "shed": 10,
    }
