"""Runs where requests fail, and servers that never come up: real Locust, real servers.

A failed request is no latency: percentiles are over the successful ones, a latency SLO also
breaks when more requests failed than it lets be slow, and a run where nothing succeeded ends
with one line naming the cause (exit 4 when nothing answered, 3 otherwise) after writing
result.json with its `error`.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from deploy_advisor.emulate.ports import free_port
from tests.loadtest.conftest import load_url, run_cli

pytestmark = pytest.mark.slow
Server = Callable[..., str]


def _last_line(done: subprocess.CompletedProcess[str]) -> str:
    return done.stderr.strip().splitlines()[-1]


def test_an_unreachable_server_fails_every_slo_and_exits_4(payloads: Path, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    done = run_cli(
        "loadtest", "--url", url, "--payloads", str(payloads), "--rate", "10", "--duration", "2s",
        "--slo", "p95<200ms,errors<1%", "--out", "run", "--json", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 4, done.stderr
    result = json.loads(done.stdout)
    count = result["requests"]
    assert count > 0 and result["failures"]["by_kind"] == {"ConnectionRefusedError": count}
    error = (
        f"every request to {url} failed: ConnectionRefusedError x{count}; is the server running?"
    )
    assert _last_line(done) == f"Error: {error}"
    assert result["error"] == error
    assert set(result["latency_ms"].values()) == {None}
    assert [(v["name"], v["measured"], v["passed"], v["note"]) for v in result["slo"]] == [
        ("p95", None, False, "100% of requests failed; p95 allows 5%"),
        ("errors", 100.0, False, None),
    ]
    assert json.loads((tmp_path / "run" / "result.json").read_text()) == result


def test_a_server_failing_every_request_exits_3_naming_the_status(
    latency_server: Server, payloads: Path, tmp_path: Path
) -> None:
    url = latency_server("--fail-every", "1")
    done = run_cli(
        "loadtest", "--url", url, "--payloads", str(payloads), "--rate", "10", "--duration", "2s",
        "--slo", "p95<200ms", "--out", "run", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    count = result["requests"]
    assert _last_line(done) == (
        f"Error: every request to {url} failed: http_503 x{count}; the server failed every "
        "request; see its log"
    )
    assert "FAIL (100% of requests failed; p95 allows 5%)" in done.stdout
    assert "pass" not in done.stdout


def test_latency_is_over_successes_and_a_p95_breaks_past_its_error_budget(
    latency_server: Server, payloads: Path, tmp_path: Path
) -> None:
    # Every 5th request fails (20%): within p50's budget of 50%, far past p95's 5%.
    url = latency_server("--fail-every", "5", "--delay-ms", "2")
    done = run_cli(
        "loadtest", "--url", url, "--payloads", str(payloads), "--rate", "40", "--duration", "3s",
        "--slo", "p50<500ms,p95<500ms", "--out", "run", "--json", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert _last_line(done) == "Error: SLO failed: url p95; see the SLO table and result.json"
    result = json.loads(done.stdout)
    assert result["error"] is None
    errors = 100 * result["failures"]["total"] / result["requests"]
    assert errors == pytest.approx(20, abs=2)
    p50, p95 = result["slo"]
    assert (p50["passed"], p50["note"]) == (True, None)
    assert (p95["passed"], p95["note"]) == (
        False,
        f"{errors:.3g}% of requests failed; p95 allows 5%",
    )
    assert p95["measured"] == result["latency_ms"]["p95"] < 500
    with gzip.open(tmp_path / "run" / "latencies.csv.gz", "rt") as raw:
        recorded = raw.read().split()
    assert len(recorded) == result["requests"] - result["failures"]["total"]


@pytest.fixture(scope="module")
def served_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The example model behind the real `deploy-advisor serve` on a loopback port."""
    from deploy_advisor.intake.example import make_example_model

    root = tmp_path_factory.mktemp("served")
    model = make_example_model(root / "model").joblib_path
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy_advisor", "serve", str(model), "--port", str(port),
         "--no-access-log"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "serve did not come up"
        time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_payloads_that_do_not_fit_the_model_are_named(served_model: str, tmp_path: Path) -> None:
    (tmp_path / "short.json").write_text(json.dumps([{"instances": [[1.0, 2.0]]}]))
    done = run_cli(
        "loadtest", "--url", served_model, "--payloads", "short.json", "--rate", "10",
        "--duration", "2s", "--out", "run", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    count = json.loads((tmp_path / "run" / "result.json").read_text())["requests"]
    assert _last_line(done) == (
        f"Error: every request to {served_model} failed: http_422 x{count}; the server rejected "
        "the payloads; check that they fit the model"
    )


def test_a_model_that_cannot_load_is_bad_input_with_the_servers_reason(
    payloads: Path, tmp_path: Path
) -> None:
    scaffold = tmp_path / "scaffold"
    (scaffold / "model").mkdir(parents=True)
    (scaffold / "model" / "model.joblib").write_bytes(b"garbage")
    (scaffold / "samples").mkdir()
    (scaffold / "samples" / "payloads.json").write_bytes(payloads.read_bytes())
    done = run_cli("loadtest", "scaffold", "--target", "local", "--duration", "2s", "--out", "run",
                cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert re.fullmatch(
        r"Error: the server exited with code 3 before http://127\.0\.0\.1:\d+/readyz was ready: "
        r"cannot load the model: model\.joblib cannot be unpickled \(.*\); is it a joblib/pickle "
        r"file of a scikit-learn model\?; see run/server\.log",
        _last_line(done),
    )
    assert "load_failed" in (tmp_path / "run" / "server.log").read_text()


def test_a_short_run_measures_its_rate_without_blaming_the_generator(
    latency_server: Server, payloads: Path, tmp_path: Path
) -> None:
    url = latency_server()
    result = load_url(
        url, rate=50, duration_s=1, ramp_s=0.2, run_dir=tmp_path / "run", payloads=payloads
    )
    assert result["generator"]["bound"] is False
    assert result["achieved_rps"] == pytest.approx(50, rel=0.2)  # Locust start-up not counted
    assert result["warnings"] == [
        "the run was too short to measure a steady rate after the 0.7 s the users take to start; "
        "achieved_rps includes that start, so use a longer --duration"
    ]
