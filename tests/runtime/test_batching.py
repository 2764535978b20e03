"""Micro-batching: each caller gets its own rows' answers, in order; limits are respected."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from deploy_advisor.runtime.batching import MAX_QUEUE, MicroBatcher, ModelFailure, queue_limit

from .conftest import Models, Server, metric, serve_model

# --- the batcher on its own ------------------------------------------------------------------


class Recorder:
    """A fake model: row -> 10 * row sum; records every call's batch size."""

    def __init__(self, delay: float = 0.0, fail_on: float | None = None) -> None:
        self.calls: list[int] = []
        self.delay = delay
        self.fail_on = fail_on

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.calls.append(len(x))
        if self.delay:
            time.sleep(self.delay)
        if self.fail_on is not None and np.any(x == self.fail_on):
            raise ValueError("bad row")
        return x.sum(axis=1) * 10


def _requests(n: int, rows_each: int = 1) -> list[np.ndarray]:
    return [np.arange(rows_each * 3, dtype=float).reshape(rows_each, 3) + 100 * i for i in range(n)]


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


@pytest.mark.parametrize("use_thread", [False, True])
def test_concurrent_requests_share_one_call_and_keep_their_rows(use_thread: bool) -> None:
    model = Recorder()
    reqs = _requests(20, rows_each=2)

    async def main() -> list[tuple[np.ndarray, int]]:
        b = MicroBatcher(model, max_rows=1000, use_thread=use_thread)
        try:
            return list(await asyncio.gather(*(b.submit(x) for x in reqs)))
        finally:
            b.close()

    results = _run(main())
    assert model.calls == [40]
    for x, (out, size) in zip(reqs, results, strict=True):
        np.testing.assert_array_equal(out, x.sum(axis=1) * 10)
        assert size == 40


def test_batches_never_exceed_max_rows() -> None:
    model = Recorder()
    reqs = _requests(10, rows_each=3)

    async def main() -> list[tuple[np.ndarray, int]]:
        b = MicroBatcher(model, max_rows=7)
        return list(await asyncio.gather(*(b.submit(x) for x in reqs)))

    results = _run(main())
    assert model.calls == [6, 6, 6, 6, 6]
    for x, (out, _) in zip(reqs, results, strict=True):
        np.testing.assert_array_equal(out, x.sum(axis=1) * 10)


def test_a_request_bigger_than_max_rows_goes_alone() -> None:
    model = Recorder()

    async def main() -> None:
        b = MicroBatcher(model, max_rows=4)
        big, small = _requests(1, rows_each=9)[0], _requests(1)[0]
        await asyncio.gather(b.submit(big), b.submit(small))

    _run(main())
    assert model.calls == [9, 1]


def test_requests_arriving_during_a_predict_form_the_next_batch() -> None:
    model = Recorder(delay=0.05)

    async def main() -> None:
        b = MicroBatcher(model, max_rows=100, use_thread=True)

        async def late(x: np.ndarray) -> tuple[np.ndarray, int]:
            await asyncio.sleep(0.01)  # while the first call runs
            return await b.submit(x)

        reqs = _requests(6)
        await asyncio.gather(b.submit(reqs[0]), *(late(x) for x in reqs[1:]))
        b.close()

    _run(main())
    assert model.calls == [1, 5]


def test_cheap_models_predict_lone_requests_directly_and_batch_bursts() -> None:
    model = Recorder()

    async def main() -> None:
        b = MicroBatcher(model, max_rows=100, batch_from=2)
        for x in _requests(3):  # one per turn of the loop: each on the spot
            await b.submit(x)
            await asyncio.sleep(0)
        await asyncio.gather(*(b.submit(x) for x in _requests(6)))  # a burst
        await asyncio.sleep(0)
        await asyncio.gather(*(b.submit(x) for x in _requests(6)))  # still busy: one batch

    _run(main())
    assert model.calls[:3] == [1, 1, 1]
    assert model.calls[3:] == [1, 5, 6]


def test_cheap_models_batch_only_from_batch_from_requests_a_turn() -> None:
    model = Recorder()
    answers: list[list[np.ndarray]] = []

    async def burst(b: MicroBatcher, n: int) -> None:
        """n requests in one turn of the loop; keeps their answers."""
        done = await asyncio.gather(*(b.submit(x) for x in _requests(n)))
        answers.append([out for out, _ in done])

    async def main() -> None:
        b = MicroBatcher(model, max_rows=100, batch_from=4)
        await burst(b, 3)  # fewer than 4 a turn: each on the spot
        await asyncio.sleep(0)
        await burst(b, 3)
        await asyncio.sleep(0)
        await burst(b, 6)  # the first 3 on the spot, the rest in one batch
        await burst(b, 2)  # right after a big turn: batched at once

    _run(main())
    assert model.calls == [1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 2]
    for group in answers:  # every caller still gets its own row's answer
        want = [x.sum(axis=1) * 10 for x in _requests(len(group))]
        assert all(np.array_equal(g, w) for g, w in zip(group, want, strict=True))


def test_off_switch_predicts_each_request_alone() -> None:
    model = Recorder()

    async def main() -> None:
        b = MicroBatcher(model, enabled=False)
        await asyncio.gather(*(b.submit(x) for x in _requests(5)))

    _run(main())
    assert model.calls == [1, 1, 1, 1, 1]


@pytest.mark.parametrize("wait", [0.0, 0.1])
def test_a_lone_request_waits_no_longer_than_max_wait(wait: float) -> None:
    model = Recorder()

    async def main() -> float:
        b = MicroBatcher(model, max_rows=64, max_wait_s=wait)
        t = time.perf_counter()
        await b.submit(_requests(1)[0])
        return time.perf_counter() - t

    took = _run(main())
    assert took >= wait * 0.9
    assert took < wait + 0.25  # scheduling slack on a busy machine


def test_max_wait_gathers_stragglers_and_a_full_batch_goes_at_once() -> None:
    model = Recorder()

    async def main() -> tuple[float, float]:
        b = MicroBatcher(model, max_rows=4, max_wait_s=5.0)

        async def after(delay: float, x: np.ndarray) -> tuple[np.ndarray, int]:
            await asyncio.sleep(delay)
            return await b.submit(x)

        t = time.perf_counter()
        reqs = _requests(4)
        await asyncio.gather(*(after(0.02 * i, x) for i, x in enumerate(reqs)))
        full = time.perf_counter() - t
        return full, 0.0

    full, _ = _run(main())
    assert model.calls == [4]
    assert full < 1.0  # the fourth request filled the batch: no 5 s wait


def test_a_failing_request_is_isolated() -> None:
    model = Recorder(fail_on=-5.0)
    reqs = _requests(5)
    reqs[2] = np.array([[1.0, -5.0, 2.0]])

    async def main() -> list[object]:
        b = MicroBatcher(model, max_rows=100)
        return list(await asyncio.gather(*(b.submit(x) for x in reqs), return_exceptions=True))

    results = _run(main())
    # the batch, then its halves, and the failing half's halves: never request by request
    assert model.calls == [5, 2, 3, 1, 2]
    for i, (x, res) in enumerate(zip(reqs, results, strict=True)):
        if i == 2:
            assert isinstance(res, ModelFailure)
            assert isinstance(res.__cause__, ValueError)
        else:
            assert not isinstance(res, BaseException)
            np.testing.assert_array_equal(res[0], x.sum(axis=1) * 10)  # type: ignore[index]


def test_one_failing_request_among_many_costs_a_logarithmic_number_of_calls() -> None:
    model = Recorder(fail_on=-5.0)
    reqs = _requests(64)
    reqs[41] = np.array([[1.0, -5.0, 2.0]])

    async def main() -> list[object]:
        b = MicroBatcher(model, max_rows=64)
        return list(await asyncio.gather(*(b.submit(x) for x in reqs), return_exceptions=True))

    results = _run(main())
    assert len(model.calls) == 1 + 2 * 6  # the batch, then two halves per level down to one
    assert [i for i, r in enumerate(results) if isinstance(r, ModelFailure)] == [41]


def test_depth_counts_requests_until_answered_and_full_says_when_to_shed() -> None:
    seen: list[int] = []

    async def main() -> None:
        b = MicroBatcher(lambda x: x.sum(axis=1), max_rows=2, max_wait_s=0.05, limit=3)
        tasks = [asyncio.ensure_future(b.submit(x)) for x in _requests(3)]
        await asyncio.sleep(0)
        seen.extend([b.depth, int(b.full())])
        await asyncio.gather(*tasks)
        seen.extend([b.depth, int(b.full())])

    _run(main())
    assert seen == [3, 1, 0, 0]


def test_the_default_queue_holds_about_a_second_of_work() -> None:
    assert queue_limit(rows_per_call=64, seconds_per_call=0.016) == 4000
    assert queue_limit(rows_per_call=2, seconds_per_call=0.05) == 40
    assert queue_limit(rows_per_call=64, seconds_per_call=2.0) == 64  # at least one call
    assert queue_limit(rows_per_call=64, seconds_per_call=1e-6) == MAX_QUEUE
    assert queue_limit(rows_per_call=1, seconds_per_call=None) == 256


def test_wrong_output_length_is_a_model_failure() -> None:
    async def main() -> None:
        b = MicroBatcher(lambda x: np.zeros(len(x) + 1), max_rows=10)
        with pytest.raises(ModelFailure, match="returned"):
            await asyncio.gather(b.submit(_requests(1)[0]), b.submit(_requests(1)[0]))

    _run(main())


# --- through the real server ------------------------------------------------------------------


def _hammer(srv: Server, models: Models, n: int) -> list[tuple[list[int], httpx.Response]]:
    rng = np.random.default_rng(0)
    plans = [
        sorted(rng.choice(len(models.X), size=int(rng.integers(1, 4)), replace=False))
        for _ in range(n)
    ]

    def call(rows: list[int]) -> tuple[list[int], httpx.Response]:
        with srv.client() as c:
            return rows, c.post("/predict", json={"instances": models.X[rows].tolist()})

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        return list(pool.map(call, plans))


def test_concurrent_callers_get_their_own_rows_in_order(rf_server: Server, models: Models) -> None:
    for rows, r in _hammer(rf_server, models, 120):
        assert r.status_code == 200, r.text
        np.testing.assert_allclose(
            r.json()["predictions"], models.rf.predict_proba(models.X[rows]), atol=1e-12
        )


def test_slow_model_batches_under_concurrency(tmp_path: Path, models: Models) -> None:
    """With a 0.4 s predict, requests pile up behind the first call and share the next one."""
    with serve_model(tmp_path, models, models.slow, "--batch-max", "64") as srv:
        results = _hammer(srv, models, 24)
        with srv.client() as c:
            text = c.get("/metrics").text
    for rows, r in results:
        assert r.status_code == 200
        np.testing.assert_allclose(
            r.json()["predictions"], models.rf.predict_proba(models.X[rows]), atol=1e-12
        )
    calls = metric(text, "model_server_batch_size_count")
    assert calls < 24 / 2
    batched = [d["batch_size"] for d in srv.log_lines() if d.get("path") == "/predict"]
    assert max(batched) > 3


def test_no_batching_flag(tmp_path: Path, models: Models) -> None:
    with serve_model(tmp_path, models, models.rf_joblib, "--no-batching") as srv:
        results = _hammer(srv, models, 30)
        with srv.client() as c:
            text = c.get("/metrics").text
    assert all(r.status_code == 200 for _, r in results)
    assert metric(text, "model_server_batch_size_count") == 30 + 0  # one call per request
    ready = next(d for d in srv.log_lines() if d.get("event") == "ready")
    assert ready["batching"] == "off"


# --- regathering: one call per round of clients for slow, flat models -------------------------


def test_regather_keeps_a_round_of_clients_in_one_call() -> None:
    model = Recorder(delay=0.03)

    async def main() -> None:
        b = MicroBatcher(model, max_rows=64, use_thread=True, regather_s=2.0)

        async def client(i: int) -> None:
            for _ in range(5):
                await b.submit(_requests(1)[0])
                await asyncio.sleep(0.003 * i)  # clients come back at different times

        try:
            await asyncio.wait_for(asyncio.gather(*(client(i) for i in range(8))), 30)
        finally:
            b.close()

    _run(main())
    assert model.calls == [8] * 5


def test_regather_never_holds_a_lone_client_or_a_smaller_crowd_for_long() -> None:
    model = Recorder(delay=0.01)

    async def main() -> float:
        b = MicroBatcher(model, max_rows=64, use_thread=True, regather_s=0.5)
        try:
            await asyncio.gather(*(b.submit(x) for x in _requests(4)))
            t = time.perf_counter()
            for x in _requests(3):  # the crowd shrank to one client: one wait, then none
                await b.submit(x)
            return time.perf_counter() - t
        finally:
            b.close()

    took = _run(main())
    assert model.calls == [4, 1, 1, 1]
    assert took < 0.5 + 0.5  # at most one regather wait (plus slack on a busy machine)


def test_regather_is_for_slow_models_whose_call_is_nearly_flat_in_rows() -> None:
    from deploy_advisor.runtime.app import REGATHER_MAX_SECONDS, regather_seconds

    # a DataFrame pipeline: 30 ms for one row, 32 ms for 64
    assert regather_seconds(single=0.03, batch=0.032, rows=64) == REGATHER_MAX_SECONDS
    assert 0 < regather_seconds(single=0.002, batch=0.003, rows=64) < 0.002
    assert regather_seconds(single=50e-6, batch=80e-6, rows=64) == 0.0  # cheap
    assert regather_seconds(single=0.015, batch=0.015 * 40, rows=64) == 0.0  # grows with rows
    assert regather_seconds(single=None, batch=None, rows=64) == 0.0
