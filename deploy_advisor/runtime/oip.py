"""Open Inference Protocol v2 (KServe v2, Triton's HTTP API) over the model's input schema.

A model that takes plain numbers reads one ``[rows, n]`` tensor; a model with named, typed
columns reads one ``[rows, 1]`` tensor per column (``BYTES`` for strings), or one ``[rows, n]``
tensor in column order. Both accept the binary tensor data extension: a JSON header of
``Inference-Header-Content-Length`` bytes, then each input's raw little-endian bytes
(``parameters.binary_data_size``; a ``BYTES`` element is a 4-byte length and the bytes), and
outputs answered the same way when asked (``binary_data`` per output, or ``binary_data_output``).
"""

from __future__ import annotations

import struct
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from .columns import check_cells, columns_to_batch
from .responses import Receive, Response, Scope, header, json_response
from .schema import InputSchema
from .validation import HTTPError, _checked, parse_json, rows_to_matrix

if TYPE_CHECKING:
    from .app import ModelServer
    from .loader import LoadedModel

__all__ = ["SERVER_VERSION", "OpenInference"]

SERVER_VERSION = "1"
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
_COLUMN_TYPES = {"float": "FP64", "int": "INT64", "bool": "BOOL", "string": "BYTES"}


class _Tensor:
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


def _read_tensor(t: Any, binary: memoryview, offset: int) -> tuple[_Tensor, int]:
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
    count = int(np.prod(shape)) if shape else 1
    if size is None:
        return _Tensor(name, datatype, shape, None, t["data"]), offset
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
    return _Tensor(name, datatype, shape, values, None), offset + size


def _json_values(t: _Tensor) -> list[Any]:
    """The flat element list of a JSON tensor, checked against its shape."""
    data = t.raw
    if not isinstance(data, list):
        raise HTTPError(400, f"input {t.name!r}: `data` must be a list")
    flat = _flatten(data)
    count = int(np.prod(t.shape)) if t.shape else 1
    if len(flat) != count:
        raise HTTPError(
            400, f"input {t.name!r}: data has {len(flat)} values but shape {t.shape} needs {count}"
        )
    return flat


def _elements(t: _Tensor) -> tuple[list[Any], bool]:
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


class OpenInference:
    """The ``/v2`` routes of one :class:`~.app.ModelServer`."""

    def __init__(self, server: ModelServer) -> None:
        self.server = server

    # --- health and metadata ---------------------------------------------------------------

    def _check_name(self, params: dict[str, str]) -> None:
        served = self.server.model_name
        name = params.get("name")
        if name != served:
            raise HTTPError(404, f"unknown model {name!r}; this server serves {served!r}")
        version = params.get("version")
        if version is not None and version != SERVER_VERSION:
            raise HTTPError(
                404,
                f"unknown version {version!r} of {name!r}; "
                f"the served version is {SERVER_VERSION!r}",
            )

    async def server_metadata(
        self, scope: Scope, receive: Receive, params: dict[str, str]
    ) -> Response:
        return json_response(
            200,
            {
                "name": "model-server",
                "version": SERVER_VERSION,
                "extensions": ["binary_tensor_data"],
            },
        )

    async def live(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        return Response(200, b'{"live":true}')

    async def ready(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        s = self.server
        if s.ready and not s.draining:
            return Response(200, b'{"ready":true}')
        return Response(503, b'{"ready":false}')

    async def model_ready(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        self._check_name(params)
        ok = self.server.ready and not self.server.draining
        return json_response(200 if ok else 503, {"name": self.server.model_name, "ready": ok})

    @staticmethod
    def output_name(model: LoadedModel) -> str:
        return {"probabilities": "probabilities", "labels": "label"}.get(
            model.output_kind, "predictions"
        )

    def _inputs(self, model: LoadedModel) -> list[dict[str, Any]]:
        schema = self.server.schema
        if schema is not None and self.server.typed:
            return [
                {"name": c.name, "datatype": _COLUMN_TYPES[c.type], "shape": [-1, 1]}
                for c in schema.columns
            ]
        n = model.n_features if model.n_features is not None else -1
        return [
            {
                "name": "input-0",
                "datatype": "FP32" if model.format == "onnx" else "FP64",
                "shape": [-1, n],
            }
        ]

    async def model_metadata(
        self, scope: Scope, receive: Receive, params: dict[str, str]
    ) -> Response:
        self._check_name(params)
        model, _ = self.server._ready_model()
        n_out = len(model.classes) if model.classes else -1
        out_shape = [-1, n_out] if model.output_kind == "probabilities" else [-1]
        out_type = {"probabilities": "FP64", "labels": "INT64"}.get(model.output_kind, "FP64")
        if model.format == "onnx":
            out_type = "FP32" if model.output_kind != "labels" else "INT64"
        elif model.output_kind == "labels" and model.classes and isinstance(model.classes[0], str):
            out_type = "BYTES"
        parameters: dict[str, Any] = {
            "format": model.format,
            "estimator": model.estimator,
            "output_kind": model.output_kind,
            "feature_names": model.feature_names,
            "classes": model.classes,
            "sha256": model.sha256,
            "trained_sklearn_version": model.trained_sklearn_version,
        }
        if self.server.typed and self.server.schema is not None:
            parameters["columns"] = self.server.schema.to_json()["columns"]
        return json_response(
            200,
            {
                "name": self.server.model_name,
                "versions": [SERVER_VERSION],
                "platform": "onnxruntime" if model.format == "onnx" else "sklearn",
                "inputs": self._inputs(model),
                "outputs": [
                    {"name": self.output_name(model), "datatype": out_type, "shape": out_shape}
                ],
                "parameters": parameters,
            },
        )

    # --- inference -------------------------------------------------------------------------

    async def infer(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        self._check_name(params)
        server = self.server
        model, batcher = server._ready_model()
        body, _ = await server._body(scope, receive, (b"application/json", OCTETS))
        payload, binary = _split(body, header(scope, b"inference-header-content-length"))
        if not isinstance(payload, dict):
            raise HTTPError(
                400, f"the body must be a JSON object with `inputs`, not {type(payload).__name__}"
            )
        inputs = payload.get("inputs")
        if not isinstance(inputs, list) or not inputs:
            raise HTTPError(400, "`inputs` must be a non-empty list of tensors")
        tensors: list[_Tensor] = []
        offset = 0
        view = memoryview(binary)
        for t in inputs:
            tensor, offset = _read_tensor(t, view, offset)
            tensors.append(tensor)
        if offset != len(binary):
            raise HTTPError(
                400,
                f"{len(binary) - offset} bytes of binary data follow the inputs' "
                "binary_data_size; the sizes must add up to the binary part",
            )
        name = self.output_name(model)
        binary_out = self._binary_outputs(payload, name)
        if server.typed and server.schema is not None:
            x = _typed_batch(server.schema, tensors)
        else:
            x = _numeric_matrix(model, server.schema, tensors)
        out, batch = await batcher.submit(x)
        return _answer(payload, server.model_name, name, out, binary_out, batch)

    @staticmethod
    def _binary_outputs(payload: dict[str, Any], name: str) -> bool:
        """Whether the one output is wanted as binary data; refuses unknown output names."""
        params = payload.get("parameters")
        binary = bool(params.get("binary_data_output")) if isinstance(params, dict) else False
        wanted = payload.get("outputs")
        if isinstance(wanted, list):
            for w in wanted:
                wname = w.get("name") if isinstance(w, dict) else None
                if wname != name:
                    raise HTTPError(400, f"unknown output {wname!r}; this model produces {name!r}")
                wparams = w.get("parameters")
                if isinstance(wparams, dict) and "binary_data" in wparams:
                    binary = bool(wparams["binary_data"])
        return binary


def _split(body: bytes, header_length: bytes | None) -> tuple[Any, bytes]:
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


def _numeric_matrix(
    model: LoadedModel, schema: InputSchema | None, tensors: list[_Tensor]
) -> np.ndarray:
    """The float matrix of a numeric model: one [rows, n] tensor, or one tensor per column."""
    n = model.n_features
    if len(tensors) != 1:
        if schema is not None and {t.name for t in tensors} == set(schema.names):
            return _numeric_columns(model, schema, tensors)
        names = (
            f" or one [rows, 1] tensor per column ({', '.join(schema.names[:5])}...)"
            if schema
            else ""
        )
        raise HTTPError(
            400,
            f"`inputs` has {len(tensors)} tensors; this model takes one tensor of shape "
            f"[rows, {n}]{names}",
        )
    t = tensors[0]
    if t.datatype == "BYTES":
        raise HTTPError(
            422, f"non-numeric datatype {t.datatype!r}; use FP32, FP64 or another numeric type"
        )
    shape = t.shape
    if len(shape) != 2:
        raise HTTPError(400, f"shape {shape!r} must be [rows, {n}] (two whole numbers)")
    if shape[0] == 0:
        raise HTTPError(400, "the input tensor is empty; send at least one row")
    if t.values is not None:
        x = np.asarray(t.values, dtype=np.float64).reshape(shape[0], shape[1])
        return _checked(x, n, model.allows_nan, model.feature_names)
    data = t.raw
    if not isinstance(data, list):
        raise HTTPError(400, "`data` must be a list of numbers")
    if not data:
        raise HTTPError(400, "the input tensor is empty; send at least one row")
    if isinstance(data[0], list):
        x = rows_to_matrix(data, n, model.allows_nan, model.feature_names, "data")
        if list(x.shape) != shape:
            raise HTTPError(400, f"data has shape {list(x.shape)} but `shape` says {shape}")
        return x
    want = shape[0] * shape[1]
    if len(data) != want:
        raise HTTPError(400, f"data has {len(data)} values but shape {shape} needs {want}")
    try:
        flat = np.array(data)
    except (ValueError, TypeError, OverflowError):
        flat = None
    if flat is None or flat.dtype.kind not in "fiub" or flat.ndim != 1:
        width = shape[1] or 1
        for k, v in enumerate(data):
            if v is not None and not isinstance(v, (int, float)):
                raise HTTPError(
                    422,
                    f"non-numeric value at row {k // width}, column {k % width}: "
                    f"{v!r:.40} is a {type(v).__name__}, not a number",
                )
        flat = np.array([np.nan if v is None else float(v) for v in data], dtype=np.float64)
    x = flat.astype(np.float64, copy=False).reshape(shape[0], shape[1])
    return _checked(x, n, model.allows_nan, model.feature_names)


def _rows_of(t: _Tensor) -> int:
    if len(t.shape) not in (1, 2) or (len(t.shape) == 2 and t.shape[1] != 1):
        raise HTTPError(400, f"input {t.name!r}: shape {t.shape} must be [rows] or [rows, 1]")
    return t.shape[0]


def _per_column(schema: InputSchema, tensors: list[_Tensor]) -> list[tuple[_Tensor, int]]:
    """Each column's tensor and the column's index, refusing unknown and missing columns."""
    by_name = {t.name: t for t in tensors}
    names = schema.names
    unknown = [t.name for t in tensors if t.name not in names]
    if unknown:
        raise HTTPError(
            422, f"unknown input {unknown[0]!r}; the model's columns are {', '.join(names)}"
        )
    lacking = [n for n in names if n not in by_name]
    if lacking:
        raise HTTPError(
            422,
            f"no input tensor for column {lacking[0]!r}; send one [rows, 1] tensor per column "
            f"or one [rows, {len(names)}] tensor",
        )
    rows = {_rows_of(t) for t in tensors}
    if len(rows) != 1:
        raise HTTPError(400, f"the input tensors have different row counts: {sorted(rows)}")
    if rows == {0}:
        raise HTTPError(400, "the input tensors are empty; send at least one row")
    return [(by_name[n], j) for j, n in enumerate(names)]


def _numeric_columns(model: LoadedModel, schema: InputSchema, tensors: list[_Tensor]) -> np.ndarray:
    cols = []
    for t, j in _per_column(schema, tensors):
        values, text = _elements(t)
        if text:
            raise HTTPError(422, f"input {t.name!r}: non-numeric datatype 'BYTES'; send numbers")
        cells = check_cells(replace(schema.columns[j], nullable=True), j, values)
        cols.append(np.array([np.nan if v is None else v for v in cells], dtype=np.float64))
    return _checked(np.column_stack(cols), model.n_features, model.allows_nan, model.feature_names)


def _typed_batch(schema: InputSchema, tensors: list[_Tensor]) -> np.ndarray:
    """The typed batch of a model with named columns, from either layout."""
    width = len(schema.columns)
    if (
        len(tensors) == 1
        and len(tensors[0].shape) == 2
        and tensors[0].shape[1] == width
        and (width > 1 or tensors[0].name not in schema.names)
    ):
        t = tensors[0]
        if t.shape[0] == 0:
            raise HTTPError(400, "the input tensor is empty; send at least one row")
        values, text = _elements(t)
        return columns_to_batch(
            [
                check_cells(col, j, values[j::width], text=text)
                for j, col in enumerate(schema.columns)
            ]
        )
    if len(tensors) == 1 and tensors[0].name not in schema.names:
        raise HTTPError(
            400,
            f"input {tensors[0].name!r} of shape {tensors[0].shape}: this model takes one "
            f"[rows, 1] tensor per column ({', '.join(schema.names)}) "
            f"or one [rows, {width}] tensor",
        )
    columns = []
    for t, j in _per_column(schema, tensors):
        values, text = _elements(t)
        columns.append(check_cells(schema.columns[j], j, values, text=text))
    return columns_to_batch(columns)


def _answer(
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
