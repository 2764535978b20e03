"""Readiness, model failures, graceful drain on SIGTERM, and start-up failures."""

from __future__ import annotations

import concurrent.futures
import contextlib
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from .conftest import (
    Models,
    clear_markers,
    metric,
    runtime_argv,
    serve_model,
    server_env,
    start_server,
    wait_for_predict_call,
)


def _rows(models: Models, start: int, n: int = 1) -> list[list[float]]:
    return models.X[start : start + n].tolist()


def test_readyz_is_503_until_the_model_is_loaded(tmp_path: Path, models: Models) -> None:
    with serve_model(tmp_path, models, models.slow_to_load, ready=False) as srv, srv.client() as c:
        # the model takes 3 s to unpickle; the server listens meanwhile
        deadline = time.monotonic() + 30
        while True:
            try:
                live = c.get("/livez")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert live.status_code == 200
        ready = c.get("/readyz")
        assert ready.status_code == 503
        assert ready.json() == {"status": "loading"}
        assert c.get("/ping").status_code == 503
        assert c.get("/v2/health/ready").status_code == 503
        early = c.post("/predict", json={"instances": _rows(models, 0)})
        assert early.status_code == 503
        assert "loading" in early.json()["error"]
        assert early.headers["retry-after"] == "1"
        metrics = c.get("/metrics").text
        assert "model_server_ready 0" in metrics
        while c.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "never became ready"
            time.sleep(0.1)
        assert c.post("/predict", json={"instances": _rows(models, 0)}).status_code == 200
        assert "model_server_ready 1" in c.get("/metrics").text
    ready_lines = [d for d in srv.log_lines() if d.get("event") == "ready"]
    assert ready_lines and ready_lines[0]["load_seconds"] >= 3.0


def test_model_exception_is_a_500_with_an_error_id(tmp_path: Path, models: Models) -> None:
    good = _rows(models, 0, 2)
    bad = _rows(models, 5)
    bad[0][0] = -1.0  # the Boom model raises on this row
    with serve_model(tmp_path, models, models.boom) as srv, srv.client() as c:
        r = c.post("/predict", json={"instances": bad})
        assert r.status_code == 500
        body = r.json()
        error_id = body["error_id"]
        assert len(error_id) == 16
        assert error_id in body["error"]
        assert "the model raised" in body["error"]
        # the worker keeps serving, with the right answers
        after = c.post("/predict", json={"instances": good})
        assert after.status_code == 200
        np.testing.assert_allclose(
            after.json()["predictions"], models.rf.predict_proba(np.array(good)), atol=1e-12
        )
        # the same failure through the other prediction routes
        v2 = c.post(
            "/v2/models/boom/infer",
            json={"inputs": [{"name": "x", "shape": [1, 30], "datatype": "FP64", "data": bad[0]}]},
        )
        assert v2.status_code == 500 and "error_id" in v2.json()
        inv = c.post("/invocations", json=bad)
        assert inv.status_code == 500
        assert "model_server_model_errors_total 3" in c.get("/metrics").text
        pid = srv.proc.pid
    errors = [d for d in srv.log_lines() if d.get("error_id") == error_id]
    assert len(errors) == 1
    line = errors[0]
    assert line["level"] == "error"
    assert line["pid"] == pid
    assert "boom: the model cannot handle this row" in line["msg"]
    assert "RuntimeError" in line["traceback"]
    assert srv.proc.returncode == 0


def test_a_failing_request_does_not_fail_its_batch(tmp_path: Path, models: Models) -> None:
    """Requests batched with one that makes the model raise still get their answers."""
    with (
        serve_model(tmp_path, models, models.boom, "--batch-wait-ms", "300") as srv,
        concurrent.futures.ThreadPoolExecutor(8) as pool,
    ):

        def call(i: int) -> httpx.Response:
            rows = _rows(models, i)
            if i == 3:
                rows[0][0] = -1.0
            with srv.client() as c:
                return c.post("/predict", json={"instances": rows})

        results = list(pool.map(call, range(8)))
        with srv.client() as c:
            metrics = c.get("/metrics").text
    for i, r in enumerate(results):
        if i == 3:
            assert r.status_code == 500
        else:
            assert r.status_code == 200, r.text
            want = models.rf.predict_proba(models.X[i : i + 1])
            np.testing.assert_allclose(r.json()["predictions"], want, atol=1e-12)
    # they really were batched together: at least one predict call had several rows
    calls = metric(metrics, "model_server_batch_size_count")
    rows = metric(metrics, "model_server_batch_size_sum")
    assert metric(metrics, 'model_server_batch_size_bucket{le="1.0"}') < calls
    assert rows > 8  # the failed batch was predicted again, in halves


def _drain_test(tmp_path: Path, models: Models, *extra: str) -> None:
    n = 12
    argv = runtime_argv("--model", str(models.slow), "--port", "0", "--drain-timeout", "20", *extra)
    with start_server(tmp_path, argv, server_env(models)) as srv:
        with concurrent.futures.ThreadPoolExecutor(n) as pool, contextlib.ExitStack() as stack:
            # connected clients, so that the requests go out at once (a busy machine takes
            # longer to make a client than the server takes to stop accepting)
            clients = [stack.enter_context(srv.client()) for _ in range(n)]
            sending = [threading.Event() for _ in range(n)]

            def call(i: int) -> httpx.Response:
                sending[i].set()
                return clients[i].post("/predict", json={"instances": _rows(models, i)})

            workers = int(extra[extra.index("--workers") + 1]) if "--workers" in extra else 1
            deadline = time.monotonic() + 60
            while sum(d.get("event") == "ready" for d in srv.log_lines()) < workers:
                assert time.monotonic() < deadline, "workers not ready"
                time.sleep(0.05)
            for c in clients:
                assert c.get("/livez").status_code == 200
            clear_markers(models)  # warm-up calls leave markers too
            futures = [pool.submit(call, i) for i in range(n)]
            wait_for_predict_call(models)
            for event in sending:
                assert event.wait(10)
            time.sleep(0.1)  # the requests are sent meanwhile (a call takes 0.4 s)
            started = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            results = [f.result(timeout=60) for f in futures]
        rc = srv.proc.wait(30)
        took = time.monotonic() - started
    assert [r.status_code for r in results] == [200] * n
    for i, r in enumerate(results):
        np.testing.assert_allclose(
            r.json()["predictions"], models.rf.predict_proba(models.X[i : i + 1]), atol=1e-12
        )
    assert rc == 0
    assert took < 20
    events = [d.get("event") for d in srv.log_lines()]
    assert "draining" in events


def test_sigterm_finishes_requests_in_flight(tmp_path: Path, models: Models) -> None:
    _drain_test(tmp_path, models)


def test_sigterm_with_several_workers(tmp_path: Path, models: Models) -> None:
    _drain_test(tmp_path, models, "--workers", "2")


def test_sigterm_stops_accepting_and_readiness_fails(tmp_path: Path, models: Models) -> None:
    # --batch-max 1: twelve requests are twelve 0.4 s predict calls, 4.8 s of work (queued:
    # the default queue would hold about one second of it and answer the rest 503)
    argv = runtime_argv(
        "--model",
        str(models.slow),
        "--port",
        "0",
        "--drain-timeout",
        "20",
        "--batch-max",
        "1",
        "--queue-max",
        "100",
    )
    with (
        start_server(tmp_path, argv, server_env(models)) as srv,
        concurrent.futures.ThreadPoolExecutor(12) as pool,
        srv.client() as probe,
        contextlib.ExitStack() as stack,
    ):
        assert probe.get("/readyz").status_code == 200  # a kept-alive connection
        # connected clients, so that the requests go out at once
        clients = [stack.enter_context(srv.client()) for _ in range(12)]
        for c in clients:
            assert c.get("/livez").status_code == 200
        clear_markers(models)
        futures = [
            pool.submit(clients[i].post, "/predict", json={"instances": _rows(models, i)})
            for i in range(12)
        ]
        wait_for_predict_call(models)
        deadline = time.monotonic() + 10
        while metric(probe.get("/metrics").text, "model_server_queue_depth") < 12:
            assert time.monotonic() < deadline, "the requests did not all arrive"
            time.sleep(0.02)
        srv.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"{srv.url}/livez", timeout=5)
            except httpx.TransportError:
                break  # refused: the listener is closed
            assert time.monotonic() < deadline, "new connections still accepted"
            time.sleep(0.05)
        still_running = sum(not f.done() for f in futures)
        with contextlib.suppress(httpx.TransportError):  # it may have been closed as idle
            assert probe.get("/readyz").json() == {"status": "draining"}
        codes = [f.result(30).status_code for f in futures]
        rc = srv.proc.wait(30)
    assert still_running >= 1  # it stopped accepting while requests were in flight
    assert codes == [200] * 12
    assert rc == 0


def test_drain_timeout_bounds_the_wait(tmp_path: Path, models: Models) -> None:
    # with --batch-max 1 every request is its own 0.4 s predict call, so 25 requests need 10 s;
    # a 0 s drain cancels what is still running, and the exit code stays 0
    argv = runtime_argv(
        "--model", str(models.slow), "--port", "0", "--drain-timeout", "0", "--batch-max", "1"
    )
    with (
        start_server(tmp_path, argv, server_env(models)) as srv,
        concurrent.futures.ThreadPoolExecutor(25) as pool,
    ):

        def call(i: int) -> int:
            try:
                with srv.client() as c:
                    return c.post("/predict", json={"instances": _rows(models, i)}).status_code
            except httpx.TransportError:
                return -1

        clear_markers(models)  # warm-up calls leave markers too
        futures = [pool.submit(call, i) for i in range(25)]
        wait_for_predict_call(models)
        started = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        rc = srv.proc.wait(30)
        took = time.monotonic() - started
        codes = [f.result(30) for f in futures]
    assert rc == 0
    assert took < 7.0  # not 25 x 0.4 s
    assert -1 in codes or 500 in codes or 503 in codes


def test_unloadable_model_exits_3(tmp_path: Path, models: Models) -> None:
    broken = tmp_path / "broken.joblib"
    broken.write_bytes(b"this is not a pickle")
    done = subprocess.run(
        runtime_argv("--model", str(broken), "--port", "0"),
        env=server_env(models),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3, done.stderr
    assert "broken.joblib cannot be unpickled" in done.stderr


def test_missing_model_path_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "deploy_advisor.runtime", "serve", "--model", str(tmp_path / "x")],
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("Error: model path")
    assert "does not exist" in done.stderr


def test_bad_setting_is_a_usage_error(models: Models) -> None:
    done = subprocess.run(
        runtime_argv("--model", str(models.rf_joblib)),
        env=server_env(models, PORT="eighty", BATCHING="maybe"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "PORT='eighty' is not a whole number" in done.stderr
