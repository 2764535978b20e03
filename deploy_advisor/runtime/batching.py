"""Adaptive micro-batching: concurrent requests share one vectorised predict call.

"Natural" batching: requests that arrive while a predict runs wait in a queue; when it
finishes, everything queued (up to ``max_rows``) goes into the next call. With
``max_wait_s == 0`` nothing waits for company: a lone request goes on the next turn of the
event loop. For cheap models (``batch_from``) requests are predicted on the spot while fewer
than ``batch_from`` arrive in one turn of the loop: handing a request to a batch costs it a
future and two more turns of the loop, which is more than a fast model saves by sharing a call
with two or three others. Batching resumes once that many arrive in the same turn. With a positive
wait the first request of a batch starts a timer, and the batch goes as soon as it is full or
the timer fires, so no request waits longer than ``max_wait_s`` for others.

For slow models whose call costs about the same for one row as for many (a pipeline over a
DataFrame), ``regather_s`` keeps the clients together: under steady load, the clients answered
by one call come back while the next call runs, and natural batching splits them into two
alternating halves, each paying a whole call. With ``regather_s`` a batch smaller than the
last round's crowd (the rows of the last call plus those queued when it ended) waits up to
``regather_s`` for the rest, and goes the moment they are all in: one call per round instead of
two. A lone client is never held up: its crowd is itself.

Predictions run one at a time per process — inline in the event loop or on one dedicated
thread — never concurrently: scikit-learn forests release the GIL per tree, and concurrent
callers fall into a GIL convoy that halves throughput. On the thread the event loop stays free
while a model predicts, so health checks and metrics answer at once (the server's default for
every model but the sub-200 µs ones).

If a batched call raises, the batch is split in halves and each half predicted again, down to
the requests the model fails on: one bad request among n costs the others about 2·log2(n)
smaller calls instead of n, and only the requests that make the model fail get an error.

:attr:`MicroBatcher.depth` counts the requests submitted and not yet answered (waiting, or in
the running call); the server sheds requests with 503 once it reaches :attr:`limit`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["MAX_QUEUE", "QUEUE_SECONDS", "MicroBatcher", "ModelFailure", "queue_limit"]

#: The default queue holds about this many seconds of predict work.
QUEUE_SECONDS = 1.0
#: The default queue never holds more requests than this.
MAX_QUEUE = 4096


class ModelFailure(Exception):
    """The model raised while predicting; ``__cause__`` holds the original exception."""


_Item = tuple[np.ndarray, "asyncio.Future[tuple[np.ndarray, int]]"]


def queue_limit(*, rows_per_call: int, seconds_per_call: float | None) -> int:
    """The default queue bound: as many requests as calls of ``rows_per_call`` rows taking
    ``seconds_per_call`` each can predict in :data:`QUEUE_SECONDS` (single-row requests),
    at least one full call, at most :data:`MAX_QUEUE`."""
    rows = max(1, rows_per_call)
    if not seconds_per_call or seconds_per_call <= 0:
        return max(rows, 256)
    work = int(rows * QUEUE_SECONDS / seconds_per_call)
    return max(rows, min(MAX_QUEUE, work))


class MicroBatcher:
    def __init__(
        self,
        predict: Callable[[np.ndarray], np.ndarray],
        *,
        max_rows: int = 64,
        max_wait_s: float = 0.0,
        enabled: bool = True,
        use_thread: bool = False,
        batch_from: int | None = None,
        on_batch: Callable[[int], None] | None = None,
        limit: int = MAX_QUEUE,
        regather_s: float = 0.0,
    ) -> None:
        self.predict = predict
        self.limit = max(1, int(limit))
        self.depth = 0
        self.max_rows = max(1, int(max_rows))
        self.max_wait_s = max(0.0, float(max_wait_s))
        self.enabled = enabled
        self.on_batch = on_batch or (lambda n: None)
        self._pending: list[_Item] = []
        self._pending_rows = 0
        self._handle: asyncio.Handle | asyncio.TimerHandle | None = None
        self.regather_s = max(0.0, float(regather_s))
        self._crowd = 0
        self._regathering = False
        self._busy = False
        self._loop: asyncio.AbstractEventLoop | None = None
        # For cheap models: while fewer than `batch_from` requests arrive per turn of the event
        # loop, predict each on the spot; once that many arrive in one turn, gather them.
        self._arrivals = 0
        self._counting = False
        self._concurrent = False
        direct_ok = not use_thread and self.max_wait_s == 0
        self._batch_from = max(2, batch_from) if batch_from is not None and direct_ok else 0
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        if use_thread:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="predict"
            )

    # --- public ---------------------------------------------------------------------------

    def full(self) -> bool:
        """Whether the queue is at its limit: a new request should be turned away."""
        return self.depth >= self.limit

    async def submit(self, x: np.ndarray) -> tuple[np.ndarray, int]:
        """This request's predictions (one per row of ``x``) and the size of the batch that
        carried them."""
        self.depth += 1
        try:
            return await self._submit(x)
        finally:
            self.depth -= 1

    async def _submit(self, x: np.ndarray) -> tuple[np.ndarray, int]:
        if not self.enabled:
            if self._executor is not None:
                running = asyncio.get_running_loop()
                out = await running.run_in_executor(self._executor, self._predict_one, x)
            else:
                out = self._predict_one(x)
            return out, len(x)
        loop = self._loop
        if loop is None:
            loop = asyncio.get_running_loop()
            self._loop = loop
        if self._batch_from:
            self._arrivals += 1
            if not self._counting:
                self._counting = True
                loop.call_soon(self._count_arrivals)
            if self._arrivals < self._batch_from and not self._concurrent and not self._pending:
                # Too few requests for a batch to pay: a hand-off would cost each of them a
                # future and two more turns of the event loop.
                out = self._predict_one(x)
                return out, len(x)
        fut: asyncio.Future[Any] = loop.create_future()
        self._pending.append((x, fut))
        self._pending_rows += len(x)
        if not self._busy:
            if self._pending_rows >= self.max_rows or (
                self._regathering and self._pending_rows >= self._crowd
            ):
                if self._handle is not None:
                    self._handle.cancel()
                self._regathering = False
                self._handle = loop.call_soon(self._flush)
            elif self._handle is None:
                if self.regather_s > 0 and self._pending_rows < self._crowd:
                    self._regathering = True
                    self._handle = loop.call_later(self.regather_s, self._flush)
                elif self.max_wait_s > 0:
                    self._handle = loop.call_later(self.max_wait_s, self._flush)
                else:
                    self._handle = loop.call_soon(self._flush)
        result: tuple[np.ndarray, int] = await fut
        return result

    def _count_arrivals(self) -> None:
        """Runs once per turn of the loop that saw requests: how many arrived in that turn."""
        self._counting = False
        self._concurrent = self._arrivals >= self._batch_from
        self._arrivals = 0

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        for _, fut in self._pending:
            if not fut.done():
                fut.set_exception(RuntimeError("the server is shutting down"))
        self._pending.clear()
        self._pending_rows = 0
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    # --- internals ------------------------------------------------------------------------

    def _predict_one(self, x: np.ndarray) -> np.ndarray:
        self.on_batch(len(x))
        try:
            out = self.predict(x)
        except Exception as exc:
            raise ModelFailure(str(exc)) from exc
        if len(out) != len(x):
            raise ModelFailure(f"the model returned {len(out)} predictions for {len(x)} rows")
        return out

    def _take(self) -> list[_Item]:
        """The next batch: queued requests in arrival order, up to max_rows (at least one)."""
        pending = self._pending
        rows = 0
        k = 0
        for x, _ in pending:
            if k and rows + len(x) > self.max_rows:
                break
            rows += len(x)
            k += 1
        batch = pending[:k]
        del pending[:k]
        self._pending_rows -= rows
        return batch

    def _flush(self) -> None:
        self._handle = None
        self._regathering = False
        if self._busy or not self._pending:
            return
        batch = [(x, f) for x, f in self._take() if not f.cancelled()]
        if not batch:
            self._schedule_next()
            return
        if self._executor is None:
            self._deliver(batch, self._run(batch))
            self._schedule_next()
        else:
            self._busy = True
            assert self._loop is not None
            cf = self._executor.submit(self._run, batch)
            loop = self._loop

            def done(_: concurrent.futures.Future[Any]) -> None:
                loop.call_soon_threadsafe(self._thread_done, batch, cf)

            cf.add_done_callback(done)

    def _thread_done(self, batch: list[_Item], cf: concurrent.futures.Future[Any]) -> None:
        self._busy = False
        self._deliver(batch, cf.result())
        self._schedule_next()

    def _schedule_next(self) -> None:
        """Queued requests have waited for the last call already: send them at once, or within
        ``regather_s`` when the rest of the last round's crowd is still on its way back."""
        if self._pending and self._handle is None and self._loop is not None:
            if self.regather_s > 0 and self._pending_rows < self._crowd:
                self._regathering = True
                self._handle = self._loop.call_later(self.regather_s, self._flush)
            else:
                self._handle = self._loop.call_soon(self._flush)

    def _run(self, batch: list[_Item]) -> list[np.ndarray | BaseException]:
        """Predictions for each request of the batch, or the exception for that request."""
        return self._split_on_failure([x for x, _ in batch])

    def _split_on_failure(self, xs: list[np.ndarray]) -> list[np.ndarray | BaseException]:
        """Predict ``xs`` in one call; if the model raises, each half again (bisection)."""
        if len(xs) == 1:
            try:
                return [self._predict_one(xs[0])]
            except ModelFailure as exc:
                return [exc]
        try:
            out = self._predict_one(np.concatenate(xs))
        except ModelFailure:
            mid = len(xs) // 2
            return self._split_on_failure(xs[:mid]) + self._split_on_failure(xs[mid:])
        parts: list[np.ndarray | BaseException] = []
        start = 0
        for x in xs:
            end = start + len(x)
            parts.append(out[start:end])
            start = end
        return parts

    def _deliver(self, batch: list[_Item], results: list[np.ndarray | BaseException]) -> None:
        size = sum(len(x) for x, _ in batch)
        self._crowd = min(self.max_rows, size + self._pending_rows)
        for (_, fut), res in zip(batch, results, strict=True):
            if fut.done():
                continue
            if isinstance(res, BaseException):
                fut.set_exception(res)
            else:
                fut.set_result((res, size))
