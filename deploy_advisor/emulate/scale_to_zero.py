"""Scale to zero for a launched container: stop it when idle, start it for the next request.

A TCP front on loopback (what Knative's activator and SageMaker Serverless do for real): a
connection that arrives while the container is stopped starts it, waits until it is ready, and
is then passed through; the time from that arrival to the first byte of the answer is one cold
start (counted from the stop, for one that arrived while the container was stopping). The
container is stopped after `idle_s` seconds without an open connection."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from typing import Any

from deploy_advisor.emulate.ports import free_port
from deploy_advisor.emulate.readiness import wait_ready

__all__ = ["ScaleToZero"]

_CHUNK = 65536
# An idle instance has nothing to drain: the platforms reclaim it at once.
_STOP_TIMEOUT_S = 5


class ScaleToZero:
    """Front for `container` (published on `upstream_port`); use as a context manager."""

    def __init__(
        self, container: Any, *, upstream_port: int, ready_path: str = "/readyz",
        idle_s: float = 30.0, ready_timeout: float = 120.0,
    ) -> None:  # fmt: skip
        self.container = container
        self.upstream_port = upstream_port
        self.ready_url = f"http://127.0.0.1:{upstream_port}{ready_path}"
        self.idle_s = idle_s
        self.ready_timeout = ready_timeout
        self.port = free_port()
        self.cold_starts: list[float] = []
        self.stops = 0
        self._running = True
        self._stopped_at = 0.0
        self._open = 0
        self._last = time.monotonic()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._lock: asyncio.Lock | None = None
        self._server: asyncio.Server | None = None
        self._idle_task: asyncio.Task[None] | None = None

    def __enter__(self) -> ScaleToZero:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    @property
    def running(self) -> bool:
        """Whether the container is up now (false while scaled to zero)."""
        return self._running

    async def _start(self) -> None:
        self._lock = asyncio.Lock()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self._idle_task = asyncio.create_task(self._stop_when_idle())

    async def _close(self) -> None:
        if self._idle_task is not None:
            self._idle_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._idle_task
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def scale_to_zero(self, *, drain_s: float = 10.0) -> bool:
        """Stop the instance now, as the idle period would, so the next request waits for a cold
        start; waits up to `drain_s` for open connections to close, and is False when one is
        still open (the instance then stays up)."""
        done = asyncio.run_coroutine_threadsafe(self._stop(drain_s=drain_s), self._loop)
        return done.result(timeout=drain_s + _STOP_TIMEOUT_S + 30)

    async def _stop(self, *, drain_s: float = 0.0) -> bool:
        assert self._lock is not None
        deadline = time.monotonic() + drain_s
        while self._open and time.monotonic() < deadline:
            await asyncio.sleep(0.02)  # an answered request's connection is still closing
        async with self._lock:
            if self._running and self._open == 0:
                await asyncio.to_thread(self.container.stop, timeout=_STOP_TIMEOUT_S)
                self._running = False
                self._stopped_at = time.monotonic()
                self.stops += 1
        return not self._running

    async def _stop_when_idle(self) -> None:
        while True:
            await asyncio.sleep(0.2)
            idle = time.monotonic() - self._last >= self.idle_s
            if self._running and self._open == 0 and idle:
                await self._stop()

    def _wake(self) -> None:
        self.container.start()
        wait_ready(self.ready_url, timeout=self.ready_timeout)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._lock is not None
        arrived = time.monotonic()
        self._open += 1
        up_writer: asyncio.StreamWriter | None = None
        try:
            async with self._lock:
                cold = not self._running
                if cold:  # counted from when it was stopped, if it arrived during the stop
                    arrived = max(arrived, self._stopped_at)
                    await asyncio.to_thread(self._wake)
                    self._running = True
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            answer = self._pipe(up_reader, writer, first=arrived if cold else None)
            await asyncio.gather(self._pipe(reader, up_writer), answer)
        except OSError:
            pass
        finally:
            self._open -= 1
            self._last = time.monotonic()
            for stream in (writer, up_writer):
                if stream is not None:
                    stream.close()
                    with contextlib.suppress(OSError):
                        await stream.wait_closed()

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *,
        first: float | None = None,
    ) -> None:  # fmt: skip
        try:
            while data := await source.read(_CHUNK):
                if first is not None:
                    self.cold_starts.append(time.monotonic() - first)
                    first = None
                sink.write(data)
                await sink.drain()
        finally:
            with contextlib.suppress(OSError, RuntimeError):
                sink.write_eof()
