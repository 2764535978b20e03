"""Fixtures for load-test tests: a real HTTP server with a known injected latency, and payloads."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

SERVER = Path(__file__).with_name("latency_server.py")


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
