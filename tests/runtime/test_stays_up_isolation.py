"""A model that raises costs the other requests little; a slow predict never holds up the probes."""

from __future__ import annotations

import concurrent.futures
import math
import statistics
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from .conftest import Models, metric, wait_in_flight
from .stays_up import RAISE_ON, SLOW_ON, SLOW_S, StayModels, build_models, serve_stay


@pytest.fixture(scope="module")
def stay(models: Models, tmp_path_factory: pytest.TempPathFactory) -> StayModels:
    return build_models(tmp_path_factory.mktemp("stay"), models)


def test_a_raising_request_costs_its_batch_a_few_calls_not_one_per_request(
    tmp_path: Path, models: Models, stay: StayModels
) -> None:
    n = 32
    # the batch goes when all n requests are in it (or after 10 s)
    batch_of_n = ("--batch-max", str(n), "--batch-wait-ms", "10000")
    with (
        serve_stay(tmp_path, models, stay, stay.raising, *batch_of_n) as srv,
        concurrent.futures.ThreadPoolExecutor(n) as pool,
    ):
        with srv.client() as c:
            before = metric(c.get("/metrics").text, "model_server_batch_size_count")

        def call(i: int) -> httpx.Response:
            row = models.X[i].tolist()
            if i == 17:
                row[0] = RAISE_ON
            with srv.client() as c:
                return c.post("/predict", json={"instances": [row]})

        results = list(pool.map(call, range(n)))
        with srv.client() as c:
            text = c.get("/metrics").text
    calls = metric(text, "model_server_batch_size_count") - before
    rows = metric(text, "model_server_batch_size_sum")
    for i, r in enumerate(results):
        if i == 17:
            assert r.status_code == 500, r.text
        else:
            assert r.status_code == 200, r.text
            want = models.rf.predict_proba(models.X[i : i + 1])
            np.testing.assert_allclose(r.json()["predictions"], want, atol=1e-12)
    assert rows >= 2 * n  # one call with every request, then the bisection
    # the failed batch is bisected: two calls per halving, never one call per request
    assert calls <= 1 + 2 * math.ceil(math.log2(n)), (calls, rows)


def test_a_slow_predict_never_holds_up_the_probes(
    tmp_path: Path, models: Models, stay: StayModels
) -> None:
    with (
        serve_stay(tmp_path, models, stay, stay.slow_on_marker) as srv,
        concurrent.futures.ThreadPoolExecutor(1) as pool,
    ):
        row = models.X[0].tolist()
        row[0] = SLOW_ON
        with srv.client() as c:
            assert c.post("/predict", json={"instances": [models.X[1].tolist()]}).is_success

        def slow() -> httpx.Response:
            with srv.client() as c:
                return c.post("/predict", json={"instances": [row]})

        started = time.monotonic()
        future = pool.submit(slow)
        wait_in_flight(srv)  # the slow predict is under way
        took: dict[str, list[float]] = {"/livez": [], "/readyz": [], "/metrics": []}
        while time.monotonic() - started < SLOW_S - 1.0:
            for path, seen in took.items():
                with httpx.Client(base_url=srv.url, timeout=10) as fresh:
                    t = time.perf_counter()
                    r = fresh.get(path)
                    seen.append(time.perf_counter() - t)
                    assert r.status_code == 200, (path, r.text)
            time.sleep(0.2)
        assert not future.done(), "the slow predict ended early: the probes were not tested"
        slow_answer = future.result(timeout=30)
    assert slow_answer.status_code == 200
    for path, seen in took.items():
        assert len(seen) >= 5, path
        assert statistics.median(seen) < 0.1, (path, seen)
        assert max(seen) < 1.0, (path, seen)  # before: the whole 5 s predict
