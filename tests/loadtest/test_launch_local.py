"""The local launcher: a real server process brought up, loaded, and always torn down.

Until the runtime's `serve` lands, the scaffold's `model_server` here is the latency test server
behind the runtime's command line; the launcher code path is the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from deploy_advisor.errors import InputError, LaunchError
from deploy_advisor.loadtest.local_server import launch_local
from deploy_advisor.lockfile import read_scaffold


def test_local_launch_serves_and_is_torn_down(scaffold_dir: Path, tmp_path: Path) -> None:
    scaffold = read_scaffold(scaffold_dir)
    with launch_local(scaffold, log=tmp_path / "server.log") as launched:
        assert launched.base_url.startswith("http://127.0.0.1:")
        assert launched.emulated is False
        assert httpx.get(f"{launched.base_url}/readyz").status_code == 200
        pid = int(launched.describe.rsplit(" ", 1)[1])
        assert launched.stats is not None
        sampler = launched.stats.fresh()
        sampler.start()
        httpx.post(f"{launched.base_url}/predict", content=b"{}")
        summary = sampler.stop()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{launched.base_url}/readyz")
    assert summary.memory_mb and max(summary.memory_mb) > 5


def test_server_that_exits_at_start_is_a_launch_error(
    scaffold_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAIL_AT_START", "1")
    with (
        pytest.raises(LaunchError, match="exited with code 7 before"),
        launch_local(read_scaffold(scaffold_dir)),
    ):
        pass


def test_scaffold_without_payloads_names_the_file(scaffold_dir: Path) -> None:
    (scaffold_dir / "samples" / "payloads.json").unlink()
    with pytest.raises(InputError, match=r"samples/payloads.json is missing"):
        read_scaffold(scaffold_dir)


def test_bench_writes_one_run_directory_per_target(scaffold_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "bench"
    proc = subprocess.run(
        [sys.executable, "-m", "deploy_advisor", "bench", str(scaffold_dir), "--targets", "local",
         "--rate", "40", "--duration", "3s", "--slo", "p99<500ms", "--out", str(out), "--json"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (result,) = json.loads(proc.stdout)  # bench --json is a list, one result per target
    assert result["target"] == "local" and result["emulated"] is False
    assert result["model"] == "model.joblib"
    assert result["server"]["memory_mb_max"] > 5
    assert result["server"]["cpu_cores_mean"] is not None
    assert result["achieved_rps"] == pytest.approx(40, rel=0.1)
    assert json.loads((out / "local" / "result.json").read_text()) == result
    assert (out / "local" / "server.log").is_file()
