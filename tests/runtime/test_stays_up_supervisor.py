"""The supervisor tells a crash loop from restarts: killed workers count, stopped ones do not."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from .conftest import Models, Server, runtime_argv, server_env, start_server


def _workers(srv: Server) -> list[int]:
    pid = srv.proc.pid
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _ready_pids(srv: Server) -> set[int]:
    return {int(d["pid"]) for d in srv.log_lines() if d.get("event") == "ready"}


def _kill_a_serving_worker(srv: Server, sig: int, killed: set[int]) -> None:
    deadline = time.monotonic() + 90
    while True:
        serving = [p for p in _workers(srv) if p in _ready_pids(srv) and p not in killed]
        if len(serving) == 2:
            break
        assert srv.proc.poll() is None, srv.log_text()[-2000:]
        assert time.monotonic() < deadline, "no replacement worker became ready"
        time.sleep(0.05)
    victim = min(serving)
    killed.add(victim)
    os.kill(victim, sig)


def test_crashes_within_the_window_stop_the_supervisor_but_stops_do_not(
    tmp_path: Path, models: Models
) -> None:
    argv = runtime_argv(
        "--model", str(models.regressor), "--port", "0", "--workers", "2", "--crash-limit", "3"
    )
    with start_server(tmp_path, argv, server_env(models)) as srv:
        killed: set[int] = set()
        for _ in range(4):  # stops by SIGTERM: restarts, never crashes
            _kill_a_serving_worker(srv, signal.SIGTERM, killed)
        for _ in range(2):  # two crashes: under the limit of three
            _kill_a_serving_worker(srv, signal.SIGKILL, killed)
        assert srv.proc.poll() is None
        _kill_a_serving_worker(srv, signal.SIGKILL, killed)  # the third within the window
        rc = srv.proc.wait(60)
    assert rc == 1
    assert "workers keep crashing (3 crashes within 60 s)" in srv.log_text()
