"""Real Locust (in a subprocess) against a real server on loopback, in short runs."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from deploy_advisor.loadtest.samples import nearest_rank
from tests.loadtest.conftest import load_url

pytestmark = pytest.mark.slow
Server = Callable[..., str]


def _cli(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "deploy_advisor", *args],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "120"},
    )  # fmt: skip


def test_percentiles_are_exact_and_match_the_injected_latency(
    latency_server: Server, payloads: Path, tmp_path: Path
) -> None:
    # Every 10th request waits 60 ms, the others 10 ms: p50 ≈ 10 ms, p95 and p99 ≈ 60 ms.
    url = latency_server("--delay-ms", "10", "--slow-every", "10", "--slow-ms", "60")
    run_dir = tmp_path / "run"
    result = load_url(
        url, rate=100, duration_s=5, ramp_s=1, run_dir=run_dir, payloads=payloads, slo="p95<200ms"
    )
    with gzip.open(run_dir / "latencies.csv.gz", "rt") as raw:
        recorded = sorted(float(line) for line in raw)
    assert len(recorded) == result["requests"] > 300
    lat = result["latency_ms"]
    for name, pct in (("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99), ("p999", 99.9)):
        assert lat[name] == pytest.approx(nearest_rank(recorded, pct), abs=0.001)
    assert lat["max"] == pytest.approx(recorded[-1], abs=0.001)
    # Exactly every 10th request is slow, so p95 and p99 cannot be below 60 ms, nor p50 below 10;
    # the upper bounds leave room for a busy machine.
    assert 10 <= lat["p50"] < 45
    assert 60 <= lat["p95"] <= lat["p99"] < 60 + 150
    assert result["failures"] == {"total": 0, "by_kind": {}, "shed": 0}
    assert result["slo"][0]["passed"] is True
    assert {"locust_stats.csv", "locust.html", "result.json"} <= {p.name for p in run_dir.iterdir()}
    assert json.loads((run_dir / "result.json").read_text())["latency_ms"] == lat
    assert sum(row["rps"] for row in result["timeline"]) == result["requests"]


def test_achieved_rate_holds_the_asked_rate_on_a_fast_server(
    latency_server: Server, payloads: Path, tmp_path: Path
) -> None:
    url = latency_server()
    result = load_url(
        url, rate=150, duration_s=6, ramp_s=1, run_dir=tmp_path / "run", payloads=payloads
    )
    assert result["asked_rps"] == 150
    assert result["achieved_rps"] == pytest.approx(150, rel=0.05)
    assert result["generator"]["bound"] is False
    assert result["generator"]["cpu_cores_mean"] is not None
    assert result["warnings"] == []


def test_failures_are_counted_by_kind(
    latency_server: Server, payloads: Path, tmp_path: Path
) -> None:
    url = latency_server("--fail-every", "5")
    result = load_url(
        url,
        rate=50,
        duration_s=3,
        ramp_s=0,
        run_dir=tmp_path / "run",
        payloads=payloads,
        slo="errors<1%",
    )
    failures = result["failures"]
    assert set(failures["by_kind"]) == {"http_503"}
    assert failures["total"] == pytest.approx(result["requests"] / 5, abs=1)
    assert result["slo"][0]["measured"] == pytest.approx(20, abs=1)
    assert result["slo"][0]["passed"] is False


def test_failed_slo_exits_3_and_json_mode_prints_only_the_result(
    latency_server: Server, payloads: Path, tmp_path: Path
) -> None:
    url = latency_server("--delay-ms", "20")
    proc = _cli(
        "loadtest", "--url", url, "--payloads", str(payloads), "--rate", "20", "--duration", "3s",
        "--slo", "p50<5ms,errors<1%", "--out", str(tmp_path / "run"), "--json", cwd=tmp_path,
    )  # fmt: skip
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 3, stderr
    document = json.loads(stdout)
    assert [(v["name"], v["passed"]) for v in document["slo"]] == [("p50", False), ("errors", True)]
    assert stderr.strip().splitlines()[-1] == (
        "Error: SLO failed: url p50; see the SLO table and result.json"
    )
    assert (tmp_path / "run" / "result.json").is_file()


def test_slo_table_is_printed_and_a_passing_run_exits_0(
    latency_server: Server, payloads: Path, tmp_path: Path
) -> None:
    url = latency_server()
    proc = _cli(
        "loadtest", "--url", url, "--payloads", str(payloads), "--users", "2", "--duration", "2s",
        "--slo", "p95<500ms", "--out", str(tmp_path / "run"), cwd=tmp_path,
    )  # fmt: skip
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert "p95 < 500 ms" in stdout
    assert "pass" in stdout


def test_bad_slo_is_one_line_and_exit_2(tmp_path: Path, payloads: Path) -> None:
    proc = _cli(
        "loadtest", "--url", "http://127.0.0.1:9", "--payloads", str(payloads),
        "--slo", "p95<fast", cwd=tmp_path,
    )  # fmt: skip
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert stderr.strip().splitlines() == [
        "Error: SLO 'p95<fast' is not understood; use METRIC<VALUE with METRIC one of "
        "p50,p90,p95,p99,p999,max,mean (ms or s), errors (%), rps"
    ]


def test_ctrl_c_stops_the_load_and_writes_a_partial_result(
    latency_server: Server, payloads: Path, tmp_path: Path
) -> None:
    url = latency_server("--delay-ms", "5")
    proc = _cli(
        "loadtest", "--url", url, "--payloads", str(payloads), "--rate", "30", "--duration", "60s",
        "--out", str(tmp_path / "run"), cwd=tmp_path,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while int(httpx.get(f"{url}/count", timeout=10).text) < 30:  # about a second of load
        assert proc.poll() is None and time.monotonic() < deadline, "the load never started"
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert result["partial"] is True
    assert 0 < result["requests"] < 30 * 20
    assert result["duration_s"] < 30
    out = subprocess.run(["pgrep", "-f", f"locust.*{url}"], capture_output=True, text=True)
    assert out.stdout == ""


def test_capacity_search_converges_on_a_server_with_a_known_limit(
    latency_server: Server, payloads: Path, tmp_path: Path
) -> None:
    # One request at a time, 10 ms each: about 100 req/s at most.
    url = latency_server("--delay-ms", "10", "--serial")
    proc = _cli(
        "loadtest", "--url", url, "--payloads", str(payloads), "--find-capacity",
        "--rate", "30", "--duration", "4s", "--ramp", "1s", "--slo", "p95<50ms",
        "--out", str(tmp_path / "cap"), "--json", cwd=tmp_path,
    )  # fmt: skip
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    capacity = json.loads(stdout)["capacity"]
    steps = capacity["steps"]
    assert capacity["stopped_by"] == "slo"
    assert steps[0]["passed"] and not max(steps, key=lambda s: s["rate"])["passed"]
    assert 45 <= capacity["rps"] <= 105
    assert all(not s["passed"] for s in steps if s["rate"] > 110)
    assert len(list((tmp_path / "cap" / "steps").iterdir())) == len(steps)
