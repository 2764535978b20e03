"""Adaptive batching for deep models: variable-length text, same-shape tensors, images.

Requests queue while a forward pass runs; when it ends, the next batch is taken in arrival
order from the queued requests whose items can share a batch (the same ``key``: tensor shapes
and dtypes; any text), up to ``max_rows`` items and ``max_tokens`` padded tokens (rows times
the longest item, since text is padded to the longest in its batch, not to the model's
maximum). A lone request never waits for others longer than ``max_wait_s``. Forward passes
run one at a time on one thread, so the event loop keeps answering health checks. A batch
that fails is retried one request at a time: only the request the model cannot take fails,
with `InputError` naming the cause.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any

from .tensors import InputError, Prepared

__all__ = ["ItemBatcher", "split_batches"]

_Req = tuple[list[Prepared], "asyncio.Future[tuple[list[Any], int]]"]


class ItemBatcher:
    def __init__(
        self,
        run: Callable[[list[Any]], list[Any]],
        *,
        max_rows: int = 64,
        max_tokens: int = 8192,
        max_wait_s: float = 0.0,
        enabled: bool = True,
        on_batch: Callable[[int], None] | None = None,
        limit: int | None = None,
    ) -> None:
        self.run = run
        self.max_rows = max(1, int(max_rows))
        self.max_tokens = max(1, int(max_tokens))
        self.max_wait_s = max(0.0, float(max_wait_s))
        self.enabled = enabled
        self.on_batch = on_batch or (lambda n: None)
        self.limit = limit
        """Most requests queued behind the running forward pass; None: no bound."""
        self._pending: list[_Req] = []
        self._handle: asyncio.Handle | asyncio.TimerHandle | None = None
        self._busy = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="forward"
        )

    async def submit(self, items: list[Prepared]) -> tuple[list[Any], int]:
        """One answer per item of this request, and the size of the batch that carried them."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        if not self.enabled:
            out = await loop.run_in_executor(self._executor, self._alone, items)
            return out, len(items)
        fut: asyncio.Future[tuple[list[Any], int]] = loop.create_future()
        self._pending.append((items, fut))
        if not self._busy and self._handle is None:
            if self.max_wait_s > 0 and self._queued_rows() < self.max_rows:
                self._handle = loop.call_later(self.max_wait_s, self._flush)
            else:
                self._handle = loop.call_soon(self._flush)
        return await fut

    @property
    def depth(self) -> int:
        """Requests queued, waiting for a forward pass."""
        return len(self._pending)

    def full(self) -> bool:
        """Whether a new request would go over the queue bound (answer it 503 at once)."""
        return self.limit is not None and len(self._pending) >= self.limit

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        for _, fut in self._pending:
            if not fut.done():
                fut.set_exception(RuntimeError("the server is shutting down"))
        self._pending.clear()
        self._executor.shutdown(wait=True)

    # --- internals ------------------------------------------------------------------------

    def _queued_rows(self) -> int:
        return sum(len(items) for items, _ in self._pending)

    def _take(self) -> list[_Req]:
        """Queued requests that share the first one's key, in order, within both caps."""
        first = self._pending[0][0]
        key = first[0].key if first else None
        taken: list[_Req] = []
        rows = 0
        longest = 0
        for req in list(self._pending):
            items = req[0]
            if taken and any(it.key != key for it in items):
                continue
            n = rows + len(items)
            top = max([longest, *(it.tokens for it in items)])
            if taken and (n > self.max_rows or n * top > self.max_tokens):
                break
            taken.append(req)
            rows, longest = n, top
        for req in taken:
            self._pending.remove(req)
        return taken

    def _flush(self) -> None:
        self._handle = None
        if self._busy or not self._pending:
            return
        batch = [r for r in self._take() if not r[1].cancelled()]
        if not batch:
            self._schedule_next()
            return
        self._busy = True
        loop = self._loop
        assert loop is not None
        cf = self._executor.submit(self._run_batch, batch)

        def done(_: concurrent.futures.Future[Any]) -> None:
            loop.call_soon_threadsafe(self._deliver, batch, cf)

        cf.add_done_callback(done)

    def _schedule_next(self) -> None:
        if self._pending and self._handle is None and self._loop is not None:
            self._handle = self._loop.call_soon(self._flush)

    def _forward(self, items: list[Prepared]) -> list[Any]:
        answers: list[Any] = []
        for chunk in split_batches(items, max_rows=self.max_rows, max_tokens=self.max_tokens):
            self.on_batch(len(chunk))
            got = self.run([it.data for it in chunk])
            if len(got) != len(chunk):
                raise RuntimeError(f"the model answered {len(got)} items for {len(chunk)}")
            answers.extend(got)
        return answers

    def _alone(self, items: list[Prepared]) -> list[Any]:
        try:
            return self._forward(items)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(
                f"the model cannot take this input ({type(exc).__name__}: {str(exc)[:300]})"
            ) from exc

    def _run_batch(self, batch: list[_Req]) -> list[list[Any] | BaseException]:
        if len(batch) > 1:
            try:
                flat = self._forward([it for items, _ in batch for it in items])
            except Exception:
                pass
            else:
                parts: list[list[Any] | BaseException] = []
                start = 0
                for items, _ in batch:
                    parts.append(flat[start : start + len(items)])
                    start += len(items)
                return parts
        results: list[list[Any] | BaseException] = []
        for items, _ in batch:
            try:
                results.append(self._alone(items))
            except Exception as exc:
                results.append(exc)
        return results

    def _deliver(self, batch: list[_Req], cf: concurrent.futures.Future[Any]) -> None:
        self._busy = False
        try:
            results = cf.result()
        except Exception as exc:  # the executor itself failed: fail every request
            results = [exc] * len(batch)
        size = sum(len(items) for items, _ in batch)
        for (_, fut), res in zip(batch, results, strict=True):
            if fut.done():
                continue
            if isinstance(res, BaseException):
                fut.set_exception(res)
            else:
                fut.set_result((res, size))
        self._schedule_next()


def split_batches(items: list[Prepared], *, max_rows: int, max_tokens: int) -> list[list[Prepared]]:
    """``items`` cut, in order, into runs within the row cap and the padded-token cap (rows
    times the longest item of the run)."""
    out: list[list[Prepared]] = []
    cur: list[Prepared] = []
    longest = 0
    for it in items:
        top = max(longest, it.tokens)
        if cur and (len(cur) + 1 > max_rows or (len(cur) + 1) * top > max_tokens):
            out.append(cur)
            cur, top = [], it.tokens
        cur.append(it)
        longest = top
    if cur:
        out.append(cur)
    return out
