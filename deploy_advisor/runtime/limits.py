"""Request limits enforced where bytes arrive: uvicorn's httptools protocol with a head size and
field count limit (431), a header and a body read timeout (408).

httptools buffers a header until its value ends, so a limit checked after parsing would let one
client fill the memory; here the bytes of an unfinished request head are counted as they
arrive, and the connection is refused once they pass the limit. After a refusal the connection
answers, stops reading what the client still sends (discarding it for at most
:data:`LINGER_S`, so that the client can read the answer instead of a reset), and closes.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .config import Settings

__all__ = ["LINGER_S", "limited_protocol"]

LINGER_S = 1.0
#: Longest a refused head waits for the answers of the requests pipelined before it.
EARLIER_WAIT_S = 10.0
_REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


def _answer(status: int, message: str) -> bytes:
    body = ('{"error":"' + message + '"}').encode()
    return b"".join(
        [
            b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status]),
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]
    )


class LimitedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits of :class:`LimitedHttpTools.limits`."""

    max_head_bytes = 16384
    max_headers = 100
    header_timeout_s = 10.0
    body_timeout_s = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_open = True
        self._head_bytes = 0
        self._header_count = 0
        self._refused = False
        self._draining = False
        self._timer: asyncio.TimerHandle | None = None

    def drain(self) -> None:
        """The server is stopping: answer what comes on this connection with
        ``connection: close`` (the client then reconnects to another worker) rather than
        closing it under a request the client may be sending."""
        self._draining = True
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.keep_alive = False

    # --- connection ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout_s, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # lingering: what the client still sends is dropped
        if self._head_open:
            self._head_bytes += len(data)
            if self._timer is None:  # the first byte of the next request on a kept-alive line
                self._arm(self.header_timeout_s, self._head_timed_out)
        super().data_received(data)
        if self._head_open and self._head_bytes > self.max_head_bytes and not self._refused:
            self._refuse(431, f"the request headers are over {self.max_head_bytes} bytes")

    # --- parser callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count <= self.max_headers:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_open = False
        self._disarm()
        size = len(self.url) + sum(len(k) + len(v) + 4 for k, v in self.headers)
        if self._header_count > self.max_headers:
            self._refuse(431, f"the request has over {self.max_headers} header fields")
            return
        if size > self.max_head_bytes:
            self._refuse(431, f"the request headers are over {self.max_head_bytes} bytes")
            return
        super().on_headers_complete()
        if self._draining and self.cycle is not None:
            self.cycle.keep_alive = False
        self._arm(self.body_timeout_s, self._body_timed_out)

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        self._head_open = True  # what comes next is the head of the next (pipelined) request
        self._head_bytes = 0
        if not self._refused:
            super().on_message_complete()

    # --- timeouts and refusals ----------------------------------------------------------

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_timed_out(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self._head_bytes:
            self._refuse(408, f"the request headers took over {self.header_timeout_s:g} s")
        else:
            self.transport.close()  # an idle connection that never sent a request

    def _body_timed_out(self) -> None:
        self._timer = None
        cycle = self.cycle
        if self.transport.is_closing() or cycle is None or not cycle.more_body:
            return
        if cycle.response_started:
            self.transport.close()
            return
        self._refuse(408, f"the request body took over {self.body_timeout_s:g} s")

    def _refuse(self, status: int, message: str) -> None:
        self._refused = True
        self._disarm()
        cycle = self.cycle
        if self._head_open or status == 431:
            # a new request's head is refused: answer the pipelined requests before it first
            self._refuse_after_earlier(status, message, time.monotonic() + EARLIER_WAIT_S)
            return
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app's receive() says http.disconnect
            cycle.message_event.set()
        self._answer_and_close(status, message)

    def _refuse_after_earlier(self, status: int, message: str, deadline: float) -> None:
        cycle = self.cycle
        earlier = (cycle is not None and not cycle.response_complete) or bool(self.pipeline)
        if earlier and time.monotonic() < deadline:
            self.loop.call_later(0.005, self._refuse_after_earlier, status, message, deadline)
            return
        self._answer_and_close(status, message)

    def _answer_and_close(self, status: int, message: str) -> None:
        if self.transport.is_closing():
            return
        self.transport.write(_answer(status, message))
        self.flow.resume_reading()
        self.loop.call_later(LINGER_S, self.transport.close)
        if self.transport.can_write_eof():
            self.transport.write_eof()


def limited_protocol(settings: Settings) -> type[LimitedHttpTools]:
    """The protocol class with the settings' limits (uvicorn takes a class, not an instance)."""
    return type(
        "LimitedHttpTools",
        (LimitedHttpTools,),
        {
            "max_head_bytes": settings.header_max_bytes,
            "max_headers": settings.header_max_count,
            "header_timeout_s": settings.header_timeout_s,
            "body_timeout_s": settings.body_timeout_s,
        },
    )
