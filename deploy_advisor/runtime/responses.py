"""The response object every route returns, and the few ways of writing one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import orjson

__all__ = [
    "JSON",
    "Handler",
    "Receive",
    "Response",
    "Scope",
    "header",
    "json_response",
    "plain_output",
]

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
JSON = b"application/json"
_NUMPY = orjson.OPT_SERIALIZE_NUMPY


class Response:
    __slots__ = ("batch", "body", "content_type", "headers", "status")

    def __init__(
        self,
        status: int,
        body: bytes,
        content_type: bytes = JSON,
        batch: int | None = None,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.batch = batch
        self.headers = headers


Handler = Callable[[Scope, Receive, dict[str, str]], Awaitable[Response]]


def json_response(status: int, obj: Any, batch: int | None = None) -> Response:
    return Response(status, orjson.dumps(obj, option=_NUMPY), JSON, batch)


def plain_output(out: np.ndarray) -> Any:
    """Something orjson can write quickly: the array itself, or a list for object arrays."""
    if out.dtype.kind in "fiub":
        return out if out.flags.c_contiguous else np.ascontiguousarray(out)
    return out.tolist()


def header(scope: Scope, name: bytes) -> bytes | None:
    """The value of one request header (names are lower case in ASGI), or None."""
    for k, v in scope["headers"]:
        if k == name:
            return bytes(v)
    return None
