"""Reading a request: its body, after the content-type and size checks, and the float matrix
of a model that takes plain numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .responses import JSON, Receive, Scope
from .validation import HTTPError, records_to_rows, rows_to_matrix

if TYPE_CHECKING:
    import numpy as np

    from .model import LoadedModel

__all__ = ["float_matrix", "read_body"]


async def read_body(
    scope: Scope, receive: Receive, kinds: tuple[bytes, ...], *, limit: int
) -> tuple[bytes, bytes]:
    """The request body and its media type, after the content-type and size checks."""
    ctype = b""
    length = -1
    for k, v in scope["headers"]:
        if k == b"content-type":
            ctype = v
        elif k == b"content-length":
            try:
                length = int(v)
            except ValueError:
                raise HTTPError(400, "the Content-Length header is not a number") from None
    media = ctype.split(b";", 1)[0].strip().lower() if ctype else b""
    if media:
        if media not in kinds and not (JSON in kinds and media.endswith(b"+json")):
            want = " or ".join(k.decode() for k in kinds)
            raise HTTPError(
                415,
                f"unsupported Content-Type {media.decode(errors='replace')!r}; send {want}",
            )
    else:
        media = kinds[0]
    if length > limit:
        raise HTTPError(413, f"request body of {length} bytes is over the limit of {limit} bytes")
    message = await receive()
    body: bytes = message.get("body", b"")
    if message.get("more_body", False):
        chunks = [body]
        size = len(body)
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise HTTPError(400, "the client closed the connection mid-request")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise HTTPError(413, f"request body is over the limit of {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
    elif len(body) > limit:
        raise HTTPError(
            413, f"request body of {len(body)} bytes is over the limit of {limit} bytes"
        )
    return body, media


def float_matrix(payload: Any, model: LoadedModel, allow_list: bool = False) -> np.ndarray:
    """The float matrix of a model that takes plain numbers."""
    if isinstance(payload, dict):
        instances = payload.get("instances")
        records = payload.get("records")
        if instances is not None and records is not None:
            raise HTTPError(400, "send either `instances` or `records`, not both")
        if instances is not None:
            return rows_to_matrix(
                instances, model.n_features, model.allows_nan, model.feature_names
            )
        if records is not None:
            rows = records_to_rows(records, model.feature_names)
            return rows_to_matrix(
                rows, model.n_features, model.allows_nan, model.feature_names, "records"
            )
        if "instances" in payload:
            raise HTTPError(400, "`instances` is null; send a list of rows")
        raise HTTPError(
            400,
            "the body needs `instances` (a list of rows) or `records` (a list of objects), "
            'e.g. {"instances": [[...]]}',
        )
    if allow_list and isinstance(payload, list):
        return rows_to_matrix(payload, model.n_features, model.allows_nan, model.feature_names)
    raise HTTPError(
        400,
        f"the body must be a JSON object with `instances` or `records`, not "
        f"{type(payload).__name__}",
    )
