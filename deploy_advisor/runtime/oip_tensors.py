"""OIP v2 tensors on the wire: JSON data or the binary tensor data extension, both ways.

Binary data is little-endian and row-major, one input after another in the order of
``inputs``, each ``parameters.binary_data_size`` bytes long; a ``BYTES`` element is a 4-byte
little-endian length and then its bytes, a ``BOOL`` element one byte.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np
import orjson

from .responses import Response
from .validation import HTTPError, parse_json

__all__ = [
    "COLUMN_DATATYPES",
    "OCTETS",
    "SERVER_VERSION",
    "Tensor",
    "elements",
    "infer_response",
    "read_tensor",
    "split_body",
]

SERVER_VERSION = "1"
COLUMN_DATATYPES = {"float": "FP64", "int": "INT64", "bool": "BOOL", "string": "BYTES"}
"""The tensor datatype of each column type of the input schema."""
OCTETS = b"application/octet-stream"
_DTYPES: dict[str, np.dtype[Any]] = {
    "BOOL": np.dtype("u1"),
    "UINT8": np.dtype("<u1"),
    "UINT16": np.dtype("<u2"),
    "UINT32": np.dtype("<u4"),
    "UINT64": np.dtype("<u8"),
    "INT8": np.dtype("<i1"),
    "INT16": np.dtype("<i2"),
    "INT32": np.dtype("<i4"),
    "INT64": np.dtype("<i8"),
    "FP16": np.dtype("<f2"),
    "FP32": np.dtype("<f4"),
    "FP64": np.dtype("<f8"),
}
_V2_NAMES = {
    "f": {2: "FP16", 4: "FP32", 8: "FP64"},
    "i": {1: "INT8", 2: "INT16", 4: "INT32", 8: "INT64"},
    "u": {1: "UINT8", 2: "UINT16", 4: "UINT32", 8: "UINT64"},
}


class Tensor:
    """One decoded input: its name, datatype, shape and values (an array, or a list)."""

    __slots__ = ("datatype", "name", "raw", "shape", "values")

    def __init__(self, name: str, datatype: str, shape: list[int], values: Any, raw: Any) -> None:
        self.name = name
        self.datatype = datatype
        self.shape = shape
        self.values = values
        self.raw = raw


def _flatten(data: list[Any]) -> list[Any]:
    """Nested lists as one flat list (without recursion: JSON may nest deeply)."""
    out: list[Any] = []
    stack = [iter(data)]
    while stack:
        for v in stack[-1]:
            if isinstance(v, list):
                stack.append(iter(v))
                break
            out.append(v)
        else:
            stack.pop()
    return out


def _bytes_elements(chunk: bytes, count: int, name: str) -> list[bytes]:
    """The elements of a binary BYTES tensor: each a 4-byte little-endian length, then bytes."""
    out: list[bytes] = []
    pos = 0
    while pos < len(chunk):
        if pos + 4 > len(chunk):
            raise HTTPError(400, f"input {name!r}: BYTES data ends inside an element's length")
        (size,) = struct.unpack_from("<I", chunk, pos)
        pos += 4
        if pos + size > len(chunk):
            raise HTTPError(400, f"input {name!r}: BYTES element {len(out)} runs past the data")
        out.append(chunk[pos : pos + size])
        pos += size
    if len(out) != count:
        raise HTTPError(
            400, f"input {name!r} holds {len(out)} BYTES elements; its shape needs {count}"
        )
    return out


def read_tensor(t: Any, binary: memoryview, offset: int) -> tuple[Tensor, int]:
    """One input tensor, its data from JSON or from the binary part at ``offset``."""
    if not isinstance(t, dict):
        raise HTTPError(
            400, "each tensor in `inputs` must be an object with name, shape, datatype and data"
        )
    params = t.get("parameters")
    size = params.get("binary_data_size") if isinstance(params, dict) else None
    needed = (
        ("name", "shape", "datatype") if size is not None else ("name", "shape", "datatype", "data")
    )
    missing = [k for k in needed if k not in t]
    if missing:
        raise HTTPError(400, f"input tensor lacks {', '.join(repr(m) for m in missing)}")
    name, datatype, shape = t["name"], t["datatype"], t["shape"]
    if not isinstance(name, str):
        raise HTTPError(400, f"input name {name!r} must be a string")
    if not isinstance(datatype, str) or (datatype != "BYTES" and datatype not in _DTYPES):
        raise HTTPError(
            422,
            f"input {name!r}: unknown datatype {datatype!r}; use FP64, FP32, INT64, BOOL or BYTES",
        )
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**31 for d in shape
    ):
        raise HTTPError(400, f"input {name!r}: shape {shape!r} must be a list of whole numbers")
    count = math.prod(shape)
    if size is None:
        return Tensor(name, datatype, shape, None, t["data"]), offset
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise HTTPError(400, f"input {name!r}: binary_data_size {size!r} must be a whole number")
    if offset + size > len(binary):
        raise HTTPError(
            400,
            f"input {name!r}: binary_data_size {size} runs past the {len(binary)} bytes of "
            "binary data after the JSON header",
        )
    chunk = bytes(binary[offset : offset + size])
    if datatype == "BYTES":
        values: Any = _bytes_elements(chunk, count, name)
    else:
        dtype = _DTYPES[datatype]
        if size != count * dtype.itemsize:
            raise HTTPError(
                400,
                f"input {name!r}: {size} bytes of {datatype} but shape {shape} needs "
                f"{count * dtype.itemsize}",
            )
        values = np.frombuffer(chunk, dtype=dtype)
        if datatype == "BOOL":
            values = values.astype(bool)
    return Tensor(name, datatype, shape, values, None), offset + size


def _json_values(t: Tensor) -> list[Any]:
    """The flat element list of a JSON tensor, checked against its shape."""
    data = t.raw
    if not isinstance(data, list):
        raise HTTPError(400, f"input {t.name!r}: `data` must be a list")
    flat = _flatten(data)
    count = math.prod(t.shape)
    if len(flat) != count:
        raise HTTPError(
            400, f"input {t.name!r}: data has {len(flat)} values but shape {t.shape} needs {count}"
        )
    return flat


def elements(t: Tensor) -> tuple[list[Any], bool]:
    """A tensor's flat elements as Python values, and whether they are text (BYTES)."""
    values = t.values if t.values is not None else _json_values(t)
    if t.datatype != "BYTES":
        return (values.tolist() if isinstance(values, np.ndarray) else values), False
    text: list[Any] = []
    for k, v in enumerate(values):
        if isinstance(v, (bytes, bytearray)):
            try:
                v = bytes(v).decode("utf-8")
            except UnicodeDecodeError:
                raise HTTPError(422, f"input {t.name!r}: element {k} is not UTF-8 text") from None
        elif not isinstance(v, str):
            raise HTTPError(422, f"input {t.name!r}: BYTES element {k} is {v!r:.40}, not a string")
        text.append(v)
    return text, True


def split_body(body: bytes, header_length: bytes | None) -> tuple[Any, bytes]:
    """The JSON header and the binary part of an inference request."""
    if header_length is None:
        return parse_json(body), b""
    try:
        n = int(header_length)
    except ValueError:
        raise HTTPError(400, "the Inference-Header-Content-Length header is not a number") from None
    if not 0 < n <= len(body):
        raise HTTPError(
            400,
            f"Inference-Header-Content-Length {n} is outside the body of {len(body)} bytes",
        )
    return parse_json(body[:n]), body[n:]


def infer_response(
    payload: dict[str, Any], model_name: str, name: str, out: np.ndarray, binary: bool, batch: int
) -> Response:
    """The inference response, with the output as JSON data or as binary data after the JSON."""
    blob = b""
    if out.dtype.kind in _V2_NAMES:
        dtype = _V2_NAMES[out.dtype.kind].get(out.dtype.itemsize, "FP64")
        if dtype == "FP64" and out.dtype.itemsize != 8:
            out = out.astype(np.float64)
        flat = np.ascontiguousarray(out).ravel()
        data: Any = flat
        if binary:
            blob = flat.astype(flat.dtype.newbyteorder("<"), copy=False).tobytes()
    elif out.dtype.kind == "b":
        dtype, data = "BOOL", out.ravel()
        if binary:
            blob = out.ravel().astype(np.uint8).tobytes()
    else:
        dtype = "BYTES"
        texts = [v if isinstance(v, str) else str(v) for v in out.ravel().tolist()]
        data = texts
        if binary:
            blob = b"".join(struct.pack("<I", len(e)) + e for e in (s.encode() for s in texts))
    tensor: dict[str, Any] = {"name": name, "shape": list(out.shape), "datatype": dtype}
    if binary:
        tensor["parameters"] = {"binary_data_size": len(blob)}
    else:
        tensor["data"] = data
    response: dict[str, Any] = {
        "model_name": model_name,
        "model_version": SERVER_VERSION,
        "outputs": [tensor],
    }
    if "id" in payload:
        response["id"] = payload["id"]
    head = orjson.dumps(response, option=orjson.OPT_SERIALIZE_NUMPY)
    if not binary:
        return Response(200, head, batch=batch)
    return Response(
        200,
        head + blob,
        OCTETS,
        batch,
        [(b"inference-header-content-length", str(len(head)).encode())],
    )
