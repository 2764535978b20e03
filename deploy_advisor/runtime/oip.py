"""Open Inference Protocol v2 (KServe v2, Triton's HTTP API) over the model's input schema.

A model that takes plain numbers reads one ``[rows, n]`` tensor; a model with named, typed
columns reads one ``[rows, 1]`` tensor per column (``BYTES`` for strings), or one ``[rows, n]``
tensor in column order. Both accept the binary tensor data extension: a JSON header of
``Inference-Header-Content-Length`` bytes, then each input's raw little-endian bytes
(``parameters.binary_data_size``; a ``BYTES`` element is a 4-byte length and the bytes), and
outputs answered the same way when asked (``binary_data`` per output, or ``binary_data_output``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .frames import as_batch, check_columns
from .oip_tensors import (
    COLUMN_DATATYPES,
    OCTETS,
    SERVER_VERSION,
    Tensor,
    elements,
    infer_response,
    read_tensor,
    split_body,
)
from .responses import Receive, Response, Scope, header, json_response
from .schema import InputSchema
from .validation import HTTPError, _checked, rows_to_matrix

if TYPE_CHECKING:
    from .loader import LoadedModel
    from .serving import Server as ModelServer

__all__ = ["SERVER_VERSION", "OpenInference"]


class OpenInference:
    """The ``/v2`` routes of one :class:`~.app.ModelServer`."""

    def __init__(self, server: ModelServer) -> None:
        self.server = server

    # --- health and metadata ---------------------------------------------------------------

    def check_name(self, params: dict[str, str]) -> None:
        """404 unless `params` name the served model (and its version, when given)."""
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
        self.check_name(params)
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
                {"name": c.name, "datatype": COLUMN_DATATYPES[c.type], "shape": [-1, 1]}
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
        self.check_name(params)
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
        self.check_name(params)
        server = self.server
        model, batcher = server._ready_model()
        body, _ = await server._body(scope, receive, (b"application/json", OCTETS))
        payload, binary = split_body(body, header(scope, b"inference-header-content-length"))
        if not isinstance(payload, dict):
            raise HTTPError(
                400, f"the body must be a JSON object with `inputs`, not {type(payload).__name__}"
            )
        inputs = payload.get("inputs")
        if not isinstance(inputs, list) or not inputs:
            raise HTTPError(400, "`inputs` must be a non-empty list of tensors")
        tensors: list[Tensor] = []
        offset = 0
        view = memoryview(binary)
        for t in inputs:
            tensor, offset = read_tensor(t, view, offset)
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
        return infer_response(payload, server.model_name, name, out, binary_out, batch)

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


def _numeric_matrix(
    model: LoadedModel, schema: InputSchema | None, tensors: list[Tensor]
) -> np.ndarray:
    """The float matrix of a numeric model: one [rows, n] tensor, or one tensor per column."""
    n = model.n_features
    if len(tensors) != 1:
        if schema is not None and {t.name for t in tensors} == set(schema.names):
            return _numeric_columns(model, schema, tensors)
        names = (
            f" or one [rows, 1] tensor per column ({', '.join(schema.names[:5])}...)"
            if schema is not None and schema.columns
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


def _rows_of(t: Tensor) -> int:
    if len(t.shape) not in (1, 2) or (len(t.shape) == 2 and t.shape[1] != 1):
        raise HTTPError(400, f"input {t.name!r}: shape {t.shape} must be [rows] or [rows, 1]")
    return t.shape[0]


def _per_column(schema: InputSchema, tensors: list[Tensor]) -> list[tuple[Tensor, int]]:
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


def _numeric_columns(model: LoadedModel, schema: InputSchema, tensors: list[Tensor]) -> np.ndarray:
    """The float matrix of a numeric model from one tensor per column; missing values and
    infinity are judged as for any numeric request."""
    columns = []
    for t, _ in _per_column(schema, tensors):
        values, text = elements(t)
        if text:
            raise HTTPError(422, f"input {t.name!r}: non-numeric datatype 'BYTES'; send numbers")
        columns.append(values)
    lenient = InputSchema(columns=tuple(replace(c, nullable=True) for c in schema.columns))
    x = as_batch(check_columns(columns, lenient), lenient)
    return _checked(x, model.n_features, model.allows_nan, model.feature_names)


def _typed_batch(schema: InputSchema, tensors: list[Tensor]) -> np.ndarray:
    """The batch of a model with named, typed columns, from either layout."""
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
        values, text = elements(t)
        table = check_columns([values[j::width] for j in range(width)], schema, text=text)
        return as_batch(table, schema)
    if len(tensors) == 1 and tensors[0].name not in schema.names:
        raise HTTPError(
            400,
            f"input {tensors[0].name!r} of shape {tensors[0].shape}: this model takes one "
            f"[rows, 1] tensor per column ({', '.join(schema.names)}) "
            f"or one [rows, {width}] tensor",
        )
    columns = []
    texts = []
    for t, _ in _per_column(schema, tensors):
        values, text = elements(t)
        columns.append(values)
        texts.append(text)
    return as_batch(check_columns(columns, schema, text=texts), schema)
