"""``/predict`` and ``/noop`` of a tabular model: a float matrix for a model that takes plain
numbers, a typed batch for one with named, typed columns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from .frames import typed_batch
from .responses import JSON, Receive, Response, Scope, plain_output
from .validation import parse_json

if TYPE_CHECKING:
    import numpy as np

    from .serving import Server

__all__ = ["TabularRoutes"]

_NUMPY = orjson.OPT_SERIALIZE_NUMPY


def _predictions(out: np.ndarray, classes: list[Any] | None, batch: int) -> Response:
    """The /predict answer; ``classes`` labels the columns of class probabilities or scores."""
    answer: dict[str, Any] = {"predictions": plain_output(out)}
    if classes is not None and out.ndim == 2 and out.shape[1] == len(classes):
        answer["classes"] = classes
    return Response(200, orjson.dumps(answer, option=_NUMPY), JSON, batch)


class TabularRoutes:
    """The prediction routes of one tabular model's server."""

    def __init__(self, server: Server) -> None:
        self.server = server

    async def predict(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        server = self.server
        model, batcher = server._ready_model()
        body, _ = await server._body(scope, receive, (JSON,))
        x = server._matrix(parse_json(body), model)
        out, batch = await batcher.submit(x)
        return _predictions(out, model.classes, batch)

    async def predict_typed(
        self, scope: Scope, receive: Receive, params: dict[str, str]
    ) -> Response:
        """/predict for a model with named, typed columns (records or instances)."""
        server = self.server
        model, batcher = server._ready_model()
        body, _ = await server._body(scope, receive, (JSON,))
        out, batch = await batcher.submit(typed_batch(parse_json(body), model.schema))
        return _predictions(out, model.classes, batch)

    async def noop_typed(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        server = self.server
        body, _ = await server._body(scope, receive, (JSON,))
        model, _ = server._ready_model()
        typed_batch(parse_json(body), model.schema)
        return Response(200, b'{"predictions":[]}')

    async def noop(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        """Everything /predict does to a request except calling the model: the floor."""
        server = self.server
        body, _ = await server._body(scope, receive, (JSON,))
        payload = parse_json(body)
        if server.model is not None:
            server._matrix(payload, server.model)
        return Response(200, b'{"predictions":[]}')
