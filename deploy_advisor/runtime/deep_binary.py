"""OIP v2's binary tensor data extension for deep-learning models, both ways.

Inputs: each tensor whose ``parameters.binary_data_size`` is set takes its bytes from the part
after the JSON header, in the order of ``inputs``; it becomes the JSON form the deep routes read
(a flat array for numbers, strings for a text model, ``{"bytes": ...}`` for an image model), so
binary and JSON requests share one path. Outputs: sent as binary data after the JSON header when
the request asks (``parameters.binary_data_output``, or ``binary_data`` on a requested output),
as tritonclient does by default.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import orjson

from .oip_tensors import OCTETS, read_tensor
from .responses import JSON, Response
from .validation import HTTPError

__all__ = ["binary_outputs", "decode_inputs", "outputs_response"]

_ORJSON = orjson.OPT_SERIALIZE_NUMPY


def decode_inputs(payload: dict[str, Any], binary: bytes, *, kind: str) -> dict[str, Any]:
    """``payload`` with every binary input replaced by its values; the sizes must use up
    ``binary`` exactly."""
    inputs = payload.get("inputs")
    if not isinstance(inputs, list):
        raise HTTPError(400, "`inputs` must be a non-empty list of tensors")
    view, offset, decoded = memoryview(binary), 0, []
    for t in inputs:
        tensor, offset = read_tensor(t, view, offset)
        if tensor.values is None:  # this one came as JSON
            decoded.append(t)
            continue
        values: Any = tensor.values
        if tensor.datatype == "BYTES":
            values = [_element(v, tensor.name, k, kind) for k, v in enumerate(values)]
        decoded.append({**t, "data": values})
    if offset != len(binary):
        raise HTTPError(
            400,
            f"the binary part has {len(binary)} bytes but the inputs' binary_data_size add up "
            f"to {offset}",
        )
    return {**payload, "inputs": decoded}


def _element(value: bytes, name: str, k: int, kind: str) -> Any:
    if kind == "image":
        return {"bytes": value}
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPError(422, f"input {name!r}: element {k} is not UTF-8 text") from None


def binary_outputs(payload: dict[str, Any], names: list[str]) -> set[str]:
    """The outputs the request wants as binary data."""
    params = payload.get("parameters")
    every = isinstance(params, dict) and bool(params.get("binary_data_output"))
    wanted = set(names) if every else set()
    requested = payload.get("outputs")
    if isinstance(requested, list):
        for w in requested:
            wparams = w.get("parameters") if isinstance(w, dict) else None
            if isinstance(wparams, dict) and "binary_data" in wparams:
                name = str(w.get("name"))
                if name not in names:
                    raise HTTPError(400, f"unknown output {name!r}; this model produces {names}")
                (wanted.add if wparams["binary_data"] else wanted.discard)(name)
    return wanted


def outputs_response(answer: dict[str, Any], binary: set[str], batch: int) -> Response:
    """The inference response; the outputs named in ``binary`` travel after the JSON header."""
    if not binary:
        return Response(200, orjson.dumps(answer, option=_ORJSON), JSON, batch)
    blobs, outputs = [], []
    for out in answer["outputs"]:
        if out["name"] not in binary:
            outputs.append(out)
            continue
        blob = _blob(out["datatype"], out["data"])
        blobs.append(blob)
        rest = {k: v for k, v in out.items() if k != "data"}
        outputs.append({**rest, "parameters": {"binary_data_size": len(blob)}})
    head = orjson.dumps({**answer, "outputs": outputs}, option=_ORJSON)
    length = [(b"inference-header-content-length", str(len(head)).encode())]
    return Response(200, head + b"".join(blobs), OCTETS, batch, length)


def _blob(datatype: str, data: Any) -> bytes:
    """Little-endian, row-major bytes; a BYTES element is a 4-byte length and its bytes."""
    if datatype == "BYTES":
        encoded = [e if isinstance(e, bytes) else str(e).encode() for e in data]
        return b"".join(struct.pack("<I", len(e)) + e for e in encoded)
    array = np.ascontiguousarray(data)
    if datatype == "BOOL":
        return array.astype(np.uint8).tobytes()
    return array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
