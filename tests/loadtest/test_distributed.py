"""Locust master/worker passthrough: a master here, a worker process as if on another machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from deploy_advisor.emulate.ports import free_port

pytestmark = pytest.mark.slow


def test_master_with_one_worker(
    latency_server: Callable[..., str], payloads: Path, tmp_path: Path
) -> None:
    url = latency_server("--delay-ms", "5")
    port = str(free_port())
    env = {**os.environ, "NO_COLOR": "1", "LOCUST_MASTER_BIND_HOST": "127.0.0.1"}
    env |= {"LOCUST_MASTER_BIND_PORT": port, "LOCUST_MASTER_NODE_PORT": port}
    base = [sys.executable, "-m", "deploy_advisor", "loadtest", "--payloads", str(payloads)]
    load = ["--rate", "20", "--users", "4", "--duration", "4s", "--ramp", "0s"]
    worker = subprocess.Popen(
        [*base, *load, "--worker", "127.0.0.1", "--out", str(tmp_path / "worker")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        master = subprocess.run(
            [*base, *load, "--url", url, "--master", "--expect-workers", "1",
             "--out", str(tmp_path / "master"), "--json"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        _, worker_err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert master.returncode == 0, master.stderr
    result = json.loads(master.stdout)
    assert result["latency_exact"] is False
    assert result["load"]["expect_workers"] == 1
    assert 40 <= result["requests"] <= 100
    assert result["latency_ms"]["p50"] >= 5
    assert worker.returncode == 0, worker_err
    recorded = int(worker_err.split("worker recorded ")[1].split()[0])
    assert abs(recorded - result["requests"]) <= 8
