"""The routes of a deep-learning model: ``/predict``, ``/noop``, ``/invocations`` and OIP v2.

:class:`~.app.ModelServer` points these routes here once a tensor, text or image model has
loaded, so the numeric and typed routes of tabular models carry no deep-model branch. Requests
are prepared per instance (:mod:`.deep_routes`) and batched by :class:`.ItemBatcher`, whose
forward passes run on their own thread; the queue is bounded like the tabular batcher's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .deep_binary import binary_outputs, decode_inputs, outputs_response
from .deep_routes import MEDIA, predict_body, v2_infer_body, v2_metadata
from .oip_tensors import OCTETS, SERVER_VERSION, split_body
from .responses import JSON, Receive, Response, Scope, header, json_response
from .text_batching import ItemBatcher
from .validation import HTTPError, parse_json

if TYPE_CHECKING:
    from .config import Settings
    from .model import LoadedModel
    from .serving import Server
    from .tensors import DeepModel

__all__ = ["DeepServing"]


class DeepServing:
    """The request handlers of one deep-learning model, with its batcher."""

    def __init__(
        self,
        server: Server,
        model: LoadedModel,
        settings: Settings,
        *,
        limit: int,
        check_name: Callable[[dict[str, str]], None],
        on_batch: Callable[[int], None],
        on_shed: Callable[[], None],
    ) -> None:
        assert model.deep is not None
        self.server = server
        self.model = model
        self.deep: DeepModel = model.deep
        self.defaults: dict[str, Any] = {"truncate": settings.truncate}
        self.check_name = check_name
        self.on_shed = on_shed
        self.batcher = ItemBatcher(
            model.deep.run,
            max_rows=settings.batch_max,
            max_tokens=settings.batch_max_tokens,
            max_wait_s=settings.batch_wait_ms / 1000.0,
            enabled=settings.batching,
            on_batch=on_batch,
            limit=limit,
        )

    def close(self) -> None:
        self.batcher.close()

    def _admit(self) -> None:
        """503 at once, before reading the body, when the queue is full."""
        self.server._ready_model()
        if self.batcher.full():
            self.on_shed()
            raise HTTPError(
                503, f"the server is busy ({self.batcher.depth} requests queued); retry shortly"
            )

    async def predict(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        """``/predict`` (and ``/invocations``): tensors, texts, images or a multipart upload."""
        self._admit()
        body, media = await self.server._body(scope, receive, MEDIA)
        ctype = header(scope, b"content-type") or b""
        answer, batch = await predict_body(
            self.deep, self.batcher, body, media, ctype, self.defaults
        )
        return json_response(200, answer, batch)

    async def noop(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        """Everything /predict does to a JSON request except preparing and running it."""
        body, _ = await self.server._body(scope, receive, (JSON,))
        parse_json(body)
        return Response(200, b'{"predictions":[]}')

    async def model_metadata(
        self, scope: Scope, receive: Receive, params: dict[str, str]
    ) -> Response:
        self.check_name(params)
        self.server._ready_model()
        return json_response(
            200,
            {
                "name": self.server.model_name,
                "versions": [SERVER_VERSION],
                "platform": self.model.framework,
                **v2_metadata(self.deep),
                "parameters": {"format": self.model.format, **self.deep.describe()},
            },
        )

    async def infer(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        """OIP v2 inference with JSON tensors or the binary tensor data extension."""
        self.check_name(params)
        self._admit()
        body, _ = await self.server._body(scope, receive, (JSON, OCTETS))
        payload, binary = split_body(body, header(scope, b"inference-header-content-length"))
        if not isinstance(payload, dict):
            raise HTTPError(
                400, f"the body must be a JSON object with `inputs`, not {type(payload).__name__}"
            )
        if binary or _has_binary_inputs(payload):
            payload = decode_inputs(payload, binary, kind=self.deep.kind)
        outputs, batch = await v2_infer_body(self.deep, self.batcher, payload, self.defaults)
        answer: dict[str, Any] = {
            "model_name": self.server.model_name,
            "model_version": SERVER_VERSION,
            "outputs": outputs,
        }
        if "id" in payload:
            answer["id"] = payload["id"]
        wanted = binary_outputs(payload, [out["name"] for out in outputs])
        return outputs_response(answer, wanted, batch)


def _has_binary_inputs(payload: dict[str, Any]) -> bool:
    inputs = payload.get("inputs")
    return isinstance(inputs, list) and any(
        isinstance(t, dict)
        and isinstance(t.get("parameters"), dict)
        and "binary_data_size" in t["parameters"]
        for t in inputs
    )
