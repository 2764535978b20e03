"""The routes that describe the server rather than predict: liveness and readiness probes,
Prometheus metrics, the OpenAPI document, the docs page and the root summary."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from .oip_tensors import SERVER_VERSION
from .openapi import docs_page, example_body, openapi_document
from .responses import Receive, Response, Scope, json_response

if TYPE_CHECKING:
    from .config import Settings
    from .metrics import Metrics
    from .serving import Server

__all__ = ["InfoRoutes"]


class InfoRoutes:
    """The probes, metrics and docs of one server; :meth:`build_docs` again once it has loaded."""

    def __init__(
        self,
        server: Server,
        settings: Settings,
        metrics: Metrics,
        peers: Callable[[], Iterable[Mapping[str, Any]]],
    ) -> None:
        self.server = server
        self.settings = settings
        self.metrics = metrics
        self.peers = peers
        self._openapi = b""
        self._docs = b""
        self.build_docs()

    def build_docs(self) -> None:
        """The OpenAPI document and docs page for the model as it is now (loading, or loaded)."""
        server = self.server
        m = server.model
        schema = server.schema if server.typed else None
        doc = openapi_document(
            title="Model server",
            version=SERVER_VERSION,
            model_name=server.model_name,
            n_features=m.n_features if m else None,
            feature_names=m.feature_names if m else None,
            output_kind=m.output_kind if m else "probabilities",
            predict_route=self.settings.predict_route,
            health_route=self.settings.health_route,
            schema=schema,
            allows_nan=m.allows_nan if m else True,
        )
        self._openapi = orjson.dumps(doc)
        example = orjson.dumps(
            {"instances": [m.deep.example]}
            if m is not None and m.deep is not None
            else example_body(m.n_features if m else None, schema)
        ).decode()
        detail = (
            f"{m.estimator} ({m.format}), {m.n_features} features, answers {m.output_kind}"
            if m
            else "loading"
        )
        if m is not None and m.deep is not None:
            detail = f"{m.estimator} ({m.format}), task {m.deep.task}"

        self._docs = docs_page(doc, server.model_name, detail, example)

    async def livez(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        return Response(200, b'{"status":"ok"}')

    async def readyz(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        if self.server.draining:
            return Response(503, b'{"status":"draining"}')
        if not self.server.ready:
            return Response(503, b'{"status":"loading"}', headers=[(b"retry-after", b"1")])
        return Response(200, b'{"status":"ready"}')

    async def root(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        return json_response(
            200,
            {
                "model": self.server.model_name,
                "ready": self.server.ready,
                "docs": "/docs",
                "openapi": "/openapi.json",
                "predict": "/predict",
            },
        )

    async def metrics_route(
        self, scope: Scope, receive: Receive, params: dict[str, str]
    ) -> Response:
        return Response(
            200, self.metrics.render(self.peers()), b"text/plain; version=0.0.4; charset=utf-8"
        )

    async def openapi(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        return Response(200, self._openapi)

    async def docs(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        return Response(200, self._docs, b"text/html; charset=utf-8")
