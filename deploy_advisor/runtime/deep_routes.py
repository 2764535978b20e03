"""Requests to deep-learning models: ``/predict`` (tensors, texts, images as base64 or a
multipart upload) and OIP v2 JSON tensors, prepared per instance and batched by
:class:`~.text_batching.ItemBatcher`.

This module is part of the self-contained runtime: standard library and numpy only.
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
from typing import Any

import numpy as np

from .tensors import (
    V2_DATATYPES,
    DeepModel,
    InputError,
    Prepared,
    TensorSpec,
    v2_datatype,
)
from .text_batching import ItemBatcher
from .validation import HTTPError, parse_json

__all__ = ["MEDIA", "predict_body", "v2_infer_body", "v2_metadata", "warm_up"]

MULTIPART = b"multipart/form-data"
MEDIA = (b"application/json", MULTIPART)


def _params(payload: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    given = payload.get("parameters")
    if given is not None and not isinstance(given, dict):
        raise HTTPError(400, '`parameters` must be an object, e.g. {"truncate": true}')
    return {**defaults, **(given or {})}


def _prepare_all(
    deep: DeepModel, instances: list[Any], params: dict[str, Any], what: str
) -> list[Prepared]:
    if not instances:
        raise HTTPError(400, f"`{what}` is empty; send at least one instance")
    out = []
    for i, inst in enumerate(instances):
        try:
            out.append(deep.prepare(inst, params, f"{what}[{i}]"))
        except InputError as exc:
            raise HTTPError(exc.status, exc.message) from None
    return out


async def _run(batcher: ItemBatcher, items: list[Prepared]) -> tuple[list[Any], int]:
    try:
        return await batcher.submit(items)
    except InputError as exc:
        raise HTTPError(exc.status, exc.message) from None


def _multipart_instances(body: bytes, ctype: bytes) -> list[Any]:
    """Each uploaded file (or form field) of a multipart body, as ``{"bytes": ...}``."""
    head = b"Content-Type: " + ctype + b"\r\nMIME-Version: 1.0\r\n\r\n"
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not msg.is_multipart():
        raise HTTPError(400, "the multipart body has no parts; check the boundary")
    found = []
    for part in msg.iter_parts():
        data = part.get_payload(decode=True)
        if data:
            found.append({"bytes": data})
    if not found:
        raise HTTPError(400, "the multipart body holds no file; upload one image per part")
    return found


async def predict_body(
    deep: DeepModel,
    batcher: ItemBatcher,
    body: bytes,
    media: bytes,
    ctype: bytes,
    defaults: dict[str, Any],
) -> tuple[dict[str, Any], int]:
    """The answer to ``POST /predict`` and the size of the batch that carried it."""
    if media == MULTIPART:
        if deep.kind != "image":
            raise HTTPError(415, "multipart uploads are for image models; send JSON `instances`")
        instances = _multipart_instances(body, ctype)
        params = dict(defaults)
    else:
        payload = parse_json(body)
        if not isinstance(payload, dict) or not isinstance(payload.get("instances"), list):
            raise HTTPError(400, _example_message(deep))
        instances = payload["instances"]
        params = _params(payload, defaults)
    items = _prepare_all(deep, instances, params, "instances")
    answers, batch = await _run(batcher, items)
    if deep.kind == "tensor":
        answers = [_tensor_answer(deep, a) for a in answers]
    result: dict[str, Any] = {"predictions": answers}
    if deep.labels is not None and deep.task in ("text-classification", "image-classification"):
        result["classes"] = deep.labels
    return result, batch


def _example_message(deep: DeepModel) -> str:
    if deep.kind == "text":
        return 'the body needs `instances`, a list of texts, e.g. {"instances": ["some text"]}'
    if deep.kind == "image":
        return (
            'the body needs `instances`, a list of images, e.g. {"instances": [{"b64": '
            '"<base64 of a PNG or JPEG>"}]}, or a multipart upload'
        )
    names = [s.name for s in deep.inputs]
    return "the body needs `instances`, a list of tensors (nested lists, one per instance)" + (
        f", or objects with {names}" if len(names) > 1 else ""
    )


def _tensor_answer(deep: DeepModel, outs: tuple[np.ndarray, ...]) -> Any:
    if len(outs) == 1:
        return outs[0].tolist()
    names = [s.name for s in deep.outputs] or [f"output_{k}" for k in range(len(outs))]
    return {n: o.tolist() for n, o in zip(names, outs, strict=False)}


def image_bytes(instance: Any, where: str) -> bytes:
    """The bytes of one image instance: ``{"b64": ...}``, a base64 string or upload bytes."""
    if isinstance(instance, dict) and isinstance(instance.get("bytes"), bytes):
        return bytes(instance["bytes"])
    raw = instance.get("b64") if isinstance(instance, dict) else instance
    if not isinstance(raw, str):
        raise InputError(f'{where}: send an image as {{"b64": "<base64>"}}', 400)
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"{where}: the image is not valid base64", 400) from None


# --- Open Inference Protocol v2 ------------------------------------------------------------


def v2_metadata(deep: DeepModel) -> dict[str, Any]:
    """The ``inputs``/``outputs`` of ``GET /v2/models/{name}`` for a deep model."""
    if deep.kind != "tensor":
        return {
            "inputs": [{"name": "input", "datatype": "BYTES", "shape": [-1]}],
            "outputs": [{"name": "predictions", "datatype": "BYTES", "shape": [-1]}],
        }

    def meta(s: TensorSpec) -> dict[str, Any]:
        return {
            "name": s.name,
            "datatype": v2_datatype(np.dtype(s.dtype))
            if s.dtype in V2_DATATYPES.values() and s.dtype != "bfloat16"
            else ("BF16" if s.dtype == "bfloat16" else "BYTES"),
            "shape": [-1] + [-1 if d is None else d for d in s.shape[1:]] if s.shape else [-1],
        }

    return {"inputs": [meta(s) for s in deep.inputs], "outputs": [meta(s) for s in deep.outputs]}


def _v2_array(t: Any, spec: TensorSpec | None) -> np.ndarray:
    if not isinstance(t, dict):
        raise HTTPError(
            400, "each tensor in `inputs` must be an object with name, shape, datatype and data"
        )
    missing = [k for k in ("name", "shape", "datatype", "data") if k not in t]
    if missing:
        raise HTTPError(400, f"input tensor lacks {', '.join(repr(m) for m in missing)}")
    name, shape, datatype, data = t["name"], t["shape"], t["datatype"], t["data"]
    if datatype not in V2_DATATYPES:
        raise HTTPError(
            422,
            f"input {name!r}: datatype {datatype!r} is not a numeric tensor "
            f"type; use one of {', '.join(sorted(V2_DATATYPES))}",
        )
    if (
        not isinstance(shape, list)
        or not shape
        or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
    ):
        raise HTTPError(400, f"input {name!r}: shape {shape!r} must be a list of whole numbers")
    np_type = "float32" if datatype == "BF16" else V2_DATATYPES[datatype]
    try:
        a = np.asarray(data, dtype=np_type if datatype != "BOOL" else None)
    except (ValueError, TypeError, OverflowError) as exc:
        raise HTTPError(422, f"input {name!r}: data does not fit {datatype} ({exc})") from None
    if a.dtype == object:
        raise HTTPError(422, f"input {name!r}: data is ragged or holds non-numbers")
    if datatype == "BOOL" and a.dtype.kind != "b":
        raise HTTPError(422, f"input {name!r}: BOOL data must be true/false")
    want = int(np.prod(shape))
    if a.size != want:
        raise HTTPError(
            400, f"input {name!r}: data has {a.size} values but shape {shape} needs {want}"
        )
    if spec is not None and spec.dtype != "any":
        have, need = (
            np.dtype(np_type),
            np.dtype("float32" if spec.dtype == "bfloat16" else spec.dtype),
        )
        if have.kind == "f" and need.kind in "biu":
            raise HTTPError(
                422, f"input {name!r} is {v2_datatype(need)} in the model, not {datatype}"
            )
    return a.reshape(shape)


async def v2_infer_body(
    deep: DeepModel, batcher: ItemBatcher, payload: dict[str, Any], defaults: dict[str, Any]
) -> tuple[list[dict[str, Any]], int]:
    """The ``outputs`` of an OIP v2 inference request to a deep model."""
    inputs = payload.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise HTTPError(400, "`inputs` must be a non-empty list of tensors")
    params = _params(payload, defaults)
    if deep.kind != "tensor":
        t = inputs[0]
        if len(inputs) != 1 or not isinstance(t, dict) or t.get("datatype") != "BYTES":
            raise HTTPError(400, "this model takes one BYTES tensor of texts or base64 images")
        data = t.get("data")
        if not isinstance(data, list):
            raise HTTPError(400, "`data` must be a list of strings")
        items = _prepare_all(deep, data, params, "data")
        answers, batch = await _run(batcher, items)
        import json

        return [
            {
                "name": "predictions",
                "datatype": "BYTES",
                "shape": [len(answers)],
                "data": [json.dumps(a) for a in answers],
            }
        ], batch
    specs = {s.name: s for s in deep.inputs}
    if len(inputs) != len(deep.inputs):
        raise HTTPError(
            400,
            f"`inputs` has {len(inputs)} tensors; the model takes "
            f"{len(deep.inputs)}: {list(specs)}",
        )
    arrays: dict[str, np.ndarray] = {}
    for t in inputs:
        name = t.get("name") if isinstance(t, dict) else None
        spec = specs.get(str(name)) if len(deep.inputs) > 1 else deep.inputs[0]
        if spec is None:
            raise HTTPError(400, f"unknown input {name!r}; the model takes {list(specs)}")
        arrays[spec.name] = _v2_array(t, spec)
    rows = {a.shape[0] for a in arrays.values()}
    if len(rows) != 1:
        raise HTTPError(400, f"the input tensors have different first dimensions {sorted(rows)}")
    n = rows.pop()
    if n == 0:
        raise HTTPError(400, "the input tensor is empty; send at least one instance")
    if len(deep.inputs) == 1:
        instances: list[Any] = list(next(iter(arrays.values())))
    else:
        instances = [{nm: a[i] for nm, a in arrays.items()} for i in range(n)]
    items = _prepare_all(deep, instances, params, "inputs")
    answers, batch = await _run(batcher, items)
    outs = [np.stack([a[k] for a in answers]) for k in range(len(answers[0]))]
    names = [s.name for s in deep.outputs]
    result = []
    for k, o in enumerate(outs):
        result.append(
            {
                "name": names[k] if k < len(names) else f"output_{k}",
                "shape": list(o.shape),
                "datatype": v2_datatype(o.dtype),
                "data": np.ascontiguousarray(o).ravel(),
            }
        )
    return result, batch


def warm_up(deep: DeepModel, batch_max: int, defaults: dict[str, Any]) -> None:
    """Run the model on its example instance alone and in a small batch; raises if it fails."""
    if deep.example is None:
        return
    item = deep.prepare(deep.example, defaults, "warm-up example")
    deep.run([item.data])
    deep.run([item.data] * min(batch_max, 4))
