"""Fixtures for load-test tests: a real HTTP server with a known injected latency, payloads, and
a scaffold-shaped directory whose `model_server` is that server behind the runtime's flags."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy_advisor.loadtest.one_run import run_loadtest
from deploy_advisor.loadtest.result import RunInfo
from deploy_advisor.loadtest.runner import LOCUSTFILE, load_shape
from deploy_advisor.loadtest.slo import parse_slos

SERVER = Path(__file__).with_name("latency_server.py")

MAIN = """
import argparse, os, sys, tempfile
parser = argparse.ArgumentParser()
parser.add_argument("command")
parser.add_argument("--model"); parser.add_argument("--host"); parser.add_argument("--port")
parser.add_argument("--workers")
args = parser.parse_args()
if os.environ.get("FAIL_AT_START"):
    sys.exit(7)
sys.argv = ["latency_server", tempfile.mktemp(), "--port", args.port, "--delay-ms", "2"]
exec(compile(open({server!r}).read(), "latency_server", "exec"))
"""


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real CLI in a fresh process: plain text at 120 columns."""
    return subprocess.run(
        [sys.executable, "-m", "deploy_advisor", *args],
        cwd=cwd, capture_output=True, text=True, timeout=180,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "120"},
    )  # fmt: skip


def load_url(
    url: str, *, rate: float, duration_s: float, ramp_s: float, run_dir: Path, payloads: Path,
    slo: str = "",
) -> dict[str, Any]:  # fmt: skip
    """One open-loop Locust run at `rate` against `url`, without live output; its result."""
    return run_loadtest(
        info=RunInfo("url", None, False, None, url),
        shape=load_shape(rate=rate, users=None, duration_s=duration_s, ramp_s=ramp_s),
        slos=parse_slos(slo) if slo else [], run_dir=run_dir, payloads=payloads, live=False,
    )  # fmt: skip


@pytest.fixture
def scaffold_dir(tmp_path: Path) -> Path:
    """A scaffold-shaped directory: model/, samples/payloads.json, locustfile.py, model_server/."""
    directory = tmp_path / "scaffold"
    (directory / "model").mkdir(parents=True)
    (directory / "model" / "model.joblib").write_bytes(b"not loaded by the stand-in server")
    (directory / "samples").mkdir()
    (directory / "samples" / "payloads.json").write_text(json.dumps([{"instances": [[0.5] * 30]}]))
    shutil.copy(LOCUSTFILE, directory / "locustfile.py")
    (directory / "model_server").mkdir()
    (directory / "model_server" / "__init__.py").write_text("")
    (directory / "model_server" / "__main__.py").write_text(MAIN.format(server=str(SERVER)))
    return directory


@pytest.fixture
def payloads(tmp_path: Path) -> Path:
    path = tmp_path / "payloads.json"
    path.write_text(
        json.dumps([{"instances": [[1.0, 2.0, 3.0]]}, {"instances": [[4.0, 5.0, 6.0]]}])
    )
    return path


@pytest.fixture
def latency_server(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start `latency_server.py` with the given flags; returns its base URL; stops it afterwards."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(*flags: str) -> str:
        portfile = tmp_path / f"port-{len(procs)}"
        proc = subprocess.Popen([sys.executable, str(SERVER), str(portfile), *flags])
        procs.append(proc)
        deadline = time.monotonic() + 10
        while not portfile.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"latency server did not start (exit {proc.poll()})")
            time.sleep(0.05)
        return f"http://127.0.0.1:{portfile.read_text()}"

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)
