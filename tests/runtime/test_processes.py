"""Several worker processes, gunicorn with our worker class, and TCP_NODELAY on connections."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import sys
import time
import uuid
from pathlib import Path

import httpx
import numpy as np

from deploy_advisor.runtime.server import listen_socket
from deploy_advisor.runtime.worker import tcp_socket

from .conftest import (
    Models,
    Server,
    free_port,
    metric,
    runtime_argv,
    server_env,
    start_server,
)


def _pid_of_answering_worker(srv: Server) -> int:
    """The worker that answers a new connection, found by its access line for a unique path."""
    path = f"/which-worker-{uuid.uuid4().hex}"
    assert httpx.get(f"{srv.url}{path}", timeout=30).status_code == 404  # a new connection
    deadline = time.monotonic() + 10
    while True:
        pids = [d["pid"] for d in srv.log_lines() if d.get("path") == path]
        if pids:
            return int(pids[0])
        assert time.monotonic() < deadline, f"no access line for {path}"
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped) is not alive
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.split(") ", 1)[1][0] != "Z"


def test_workers_share_the_port_and_both_serve(tmp_path: Path, models: Models) -> None:
    argv = runtime_argv("--model", str(models.rf_joblib), "--port", "0", "--workers", "2")
    with start_server(tmp_path, argv, server_env(models)) as srv:
        # the kernel spreads new connections over the two SO_REUSEPORT sockets
        deadline = time.monotonic() + 30
        pids: set[int] = set()
        while len(pids) < 2:
            with contextlib.suppress(AssertionError):  # that worker may still be loading
                pids.add(_pid_of_answering_worker(srv))
            assert time.monotonic() < deadline, f"only {pids} answered"
        assert srv.proc.pid not in pids
        r = httpx.post(f"{srv.url}/predict", json={"instances": models.X[:3].tolist()})
        np.testing.assert_allclose(
            r.json()["predictions"], models.rf.predict_proba(models.X[:3]), atol=1e-12
        )

        # a worker that dies is replaced
        victim = pids.pop()
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        seen: set[int] = set()
        while not (seen - {victim} - pids):
            with contextlib.suppress(AssertionError, httpx.TransportError):
                seen.add(_pid_of_answering_worker(srv))
            assert time.monotonic() < deadline, "the dead worker was not replaced"
            time.sleep(0.05)
        assert any(d.get("event") == "worker_restart" for d in srv.log_lines())
        assert srv.stop() == 0


def _predict_ok_total(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=30).text
    name = 'model_server_requests_total{route="/predict",method="POST",status="200"}'
    return metric(text, name) if f"\n{name} " in text else 0


def _await_predict_ok_total(url: str, expected: int) -> None:
    """Scrape until the sum over workers reaches ``expected``: a peer's numbers reach the
    scrape with its next snapshot, at most a publish interval (1 s) late."""
    deadline = time.monotonic() + 10
    while (total := _predict_ok_total(url)) != expected:
        assert total < expected, f"counted {total} successful predicts, expected {expected}"
        assert time.monotonic() < deadline, httpx.get(f"{url}/metrics", timeout=30).text
        time.sleep(0.2)


def test_metrics_count_every_worker_and_keep_an_exited_ones_counts(
    tmp_path: Path, models: Models
) -> None:
    argv = runtime_argv("--model", str(models.rf_onnx), "--port", "0", "--workers", "2")
    with start_server(tmp_path, argv, server_env(models)) as srv:
        body = {"instances": models.X[:1].tolist()}
        for _ in range(40):  # a new connection each: the kernel spreads them over the workers
            assert httpx.post(f"{srv.url}/predict", json=body, timeout=30).status_code == 200
        served_by = {
            d["pid"] for d in srv.log_lines() if d.get("path") == "/predict" and "status" in d
        }
        assert len(served_by) == 2, f"one worker served every request: {served_by}"

        _await_predict_ok_total(srv.url, 40)
        text = httpx.get(f"{srv.url}/metrics", timeout=30).text
        assert metric(text, "model_server_workers") == 2
        assert set(map(int, re.findall(r'model_server_model_info\{.*pid="(\d+)"\} 1', text))) == (
            served_by
        )

        # a worker that stops is replaced; its requests stay counted
        victim = served_by.pop()
        os.kill(victim, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                text = httpx.get(f"{srv.url}/metrics", timeout=30).text
                pids = set(map(int, re.findall(r'model_server_model_info\{.*pid="(\d+)"\}', text)))
                if victim not in pids and len(pids) == 2:
                    break
            assert time.monotonic() < deadline, "the stopped worker was not replaced"
            time.sleep(0.2)
        assert metric(text, "model_server_workers") == 2
        assert _predict_ok_total(srv.url) == 40
        assert srv.stop() == 0


def test_workers_exit_when_the_supervisor_is_killed(tmp_path: Path, models: Models) -> None:
    argv = runtime_argv("--model", str(models.rf_joblib), "--port", "0", "--workers", "2")
    with start_server(tmp_path, argv, server_env(models)) as srv:
        started = [d["pid"] for d in srv.log_lines() if d.get("event") == "worker_started"]
        deadline = time.monotonic() + 30
        while len(started) < 2:
            time.sleep(0.05)
            started = [d["pid"] for d in srv.log_lines() if d.get("event") == "worker_started"]
            assert time.monotonic() < deadline
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait(10)
        deadline = time.monotonic() + 30
        while any(_alive(p) for p in started):
            assert time.monotonic() < deadline, "workers outlived their supervisor"
            time.sleep(0.1)


def test_gunicorn_with_the_worker_class(tmp_path: Path, models: Models) -> None:
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or shutil.which(
        "gunicorn"
    )
    assert gunicorn, "gunicorn is a dependency of deploy-advisor"
    port = free_port()
    argv = [
        gunicorn,
        "-k",
        "deploy_advisor.runtime.worker.UvicornWorker",
        "-w",
        "2",
        "-b",
        f"127.0.0.1:{port}",
        "--graceful-timeout",
        "20",
        "deploy_advisor.runtime.app:create_app()",
    ]
    env = server_env(
        models,
        MODEL_PATH=str(models.rf_joblib),
        DRAIN_TIMEOUT_S="15",
        METRICS_DIR=str(tmp_path / "metrics"),
    )
    with start_server(tmp_path, argv, env, port=port, name="gunicorn") as srv:
        with srv.client() as c:
            rows = models.X[40:44]
            r = c.post("/predict", json={"instances": rows.tolist()})
            assert r.status_code == 200, r.text
            np.testing.assert_allclose(
                r.json()["predictions"], models.rf.predict_proba(rows), atol=1e-12
            )
            bad = c.post("/predict", json={"instances": [[1.0]]})
            assert bad.status_code == 422
        deadline = time.monotonic() + 60
        while sum(d.get("event") == "ready" for d in srv.log_lines()) < 2:
            assert time.monotonic() < deadline, "the second gunicorn worker never got ready"
            time.sleep(0.05)
        # with $METRICS_DIR, a scrape of either worker counts both
        deadline = time.monotonic() + 10
        while metric(httpx.get(f"{srv.url}/metrics", timeout=30).text, "model_server_workers") < 2:
            assert time.monotonic() < deadline, "the gunicorn workers do not share metrics"
            time.sleep(0.2)
        _await_predict_ok_total(srv.url, 1)
        rc = srv.stop()
    text = srv.log_text()
    assert "DeprecationWarning" not in text
    assert rc == 0


def test_gunicorn_stops_when_the_model_cannot_load(tmp_path: Path, models: Models) -> None:
    broken = tmp_path / "broken.joblib"
    broken.write_bytes(b"not a model")
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "-k",
        "deploy_advisor.runtime.worker.UvicornWorker",
        "-b",
        f"127.0.0.1:{port}",
        "deploy_advisor.runtime.app:create_app()",
    ]
    env = server_env(models, MODEL_PATH=str(broken))
    with start_server(tmp_path, argv, env, port=port, ready=False, name="gunicorn") as srv:
        rc = srv.proc.wait(60)
    assert rc != 0
    assert "cannot be unpickled" in srv.log_text()


# --- TCP_NODELAY: without it small responses wait ~40 ms for the client's delayed ACK --------


async def _nodelay_of_accepted(sock: socket.socket) -> int:
    loop = asyncio.get_running_loop()
    accepted: asyncio.Future[int] = loop.create_future()

    class Proto(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            s = transport.get_extra_info("socket")
            accepted.set_result(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await loop.create_server(Proto, sock=sock)
    port = sock.getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await asyncio.wait_for(accepted, 10)
    finally:
        writer.close()
        server.close()


def test_our_listening_socket_gives_tcp_nodelay_on_asyncio() -> None:
    sock = listen_socket("127.0.0.1", 0)
    assert sock.proto == socket.IPPROTO_TCP
    assert asyncio.run(_nodelay_of_accepted(sock)) != 0


def test_the_gunicorn_worker_fixes_a_protocol_zero_socket() -> None:
    def proto_zero() -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # as gunicorn and uvicorn make it
        s.bind(("127.0.0.1", 0))
        s.listen()
        return s

    broken = proto_zero()
    assert asyncio.run(_nodelay_of_accepted(broken)) == 0  # the bug the worker works around
    original = proto_zero()
    fixed = tcp_socket(original)
    assert fixed.proto == socket.IPPROTO_TCP
    assert asyncio.run(_nodelay_of_accepted(fixed)) != 0
    original.close()


def test_sequential_keep_alive_requests_do_not_stall(tmp_path: Path, models: Models) -> None:
    """The symptom of a missing TCP_NODELAY: each small keep-alive request takes >= 40 ms."""
    port = free_port()
    argv = runtime_argv(
        "--model", str(models.rf_onnx), "--port", str(port), "--workers", "2", "--loop", "asyncio"
    )
    with start_server(tmp_path, argv, server_env(models), port=port) as srv:
        body = {"instances": models.X[:1].tolist()}
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            c.post("/predict", json=body)
            times = []
            for _ in range(30):
                t = time.perf_counter()
                assert c.post("/predict", json=body).status_code == 200
                times.append(time.perf_counter() - t)
    assert sorted(times)[len(times) // 2] < 0.030, times


def test_ready_from_one_worker_means_every_fresh_connection_predicts(
    tmp_path: Path, models: Models
) -> None:
    """No 503 "loading" from a second worker once /readyz has answered 200."""
    argv = runtime_argv("--model", str(models.rf_joblib), "--port", "0", "--workers", "2")
    with start_server(tmp_path, argv, server_env(models)) as srv:  # waits for /readyz 200
        statuses = [
            httpx.post(f"{srv.url}/predict", json={"instances": models.X[:1].tolist()}).status_code
            for _ in range(40)  # a new connection each time: the kernel spreads them
        ]
    assert statuses == [200] * 40
