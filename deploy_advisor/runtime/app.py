"""The ASGI application: a tiny router over the prediction, health, metrics and docs routes.

Use :func:`create_app` (settings from the environment, for gunicorn or any ASGI server) or
build :class:`ModelServer` with explicit :class:`Settings`. The model loads on a thread after
the server starts listening, so ``/livez`` answers at once and ``/readyz`` says 503 until the
model is loaded and warmed up.

The routes live in their own modules (:mod:`.tabular_routes`, :mod:`.info_routes`, :mod:`.oip`,
:mod:`.sagemaker`, :mod:`.deep_serving`); loading, warm-up and batcher sizing in
:mod:`.model_startup`; this module holds the dispatch and the life cycle.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import re
import secrets
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np

from .batching import MicroBatcher, ModelFailure
from .config import Settings, settings_from_env
from .deep_serving import DeepServing
from .info_routes import InfoRoutes
from .loader import LoadedModel, resolve_model_path
from .logs import AccessLog, setup_logging
from .metrics import Metrics
from .metrics_sharing import MetricsPublisher
from .model_startup import (
    REGATHER_MAX_SECONDS,
    WarmUp,
    load_on_thread,
    plan_batching,
    ready_fields,
    regather_seconds,
    skip_finite_checks,
    tabular_batcher,
    warm_up,
)
from .oip import OpenInference
from .request_body import float_matrix, read_body
from .responses import Receive, Response, Scope
from .responses import json_response as _json
from .routing import Router
from .sagemaker import SageMaker
from .schema import InputSchema
from .tabular_routes import TabularRoutes
from .validation import HTTPError

__all__ = ["REGATHER_MAX_SECONDS", "ModelServer", "create_app", "regather_seconds"]

log = logging.getLogger("model_server")

Send = Callable[[dict[str, Any]], Awaitable[None]]


def _model_name_from(path: str | None) -> str:
    if not path:
        return "model"
    base = Path(os.path.normpath(path)).name
    stem = base.split(".")[0] or "model"
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem)


class ModelServer:
    """The ASGI app. ``ModelServer(settings)`` resolves the model path at once (raising
    :class:`~.loader.ModelLoadError` when it is wrong) and loads the model at startup."""

    def __init__(self, settings: Settings, *, model: LoadedModel | None = None) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.access = AccessLog(settings.access_log)
        self.model: LoadedModel | None = None
        self.batcher: MicroBatcher | None = None
        self.deep: DeepServing | None = None
        """The routes of a deep-learning model (tensors, texts, images), once it is loaded."""
        self.ready = False
        self.draining = False
        self.fatal_exit_code: int | None = None
        self.on_fatal: Callable[[int], None] | None = None
        self.on_ready: Callable[[], None] | None = None
        self._preloaded = model
        self.model_file = (
            model.path if model is not None else resolve_model_path(settings.model_path)
        )
        self.model_name = settings.model_name or _model_name_from(
            settings.model_path or str(self.model_file)
        )
        self._publisher = MetricsPublisher(settings.metrics_dir, self.metrics)
        self.schema: InputSchema | None = None
        self.typed = False
        """Whether the model takes named, typed columns (a typed batch, not a float matrix)."""
        self._oip = OpenInference(self)
        self._sagemaker = SageMaker(self)
        self._tabular = TabularRoutes(self)
        self._info = info = InfoRoutes(self, settings, self.metrics, self._publisher.peers)

        self.router = router = Router()
        router.add("/predict", {"POST": self._tabular.predict})
        router.add("/noop", {"POST": self._tabular.noop})
        router.add("/livez", {"GET": info.livez})
        router.add("/readyz", {"GET": info.readyz})
        router.add("/metrics", {"GET": info.metrics_route})
        router.add("/openapi.json", {"GET": info.openapi})
        router.add("/docs", {"GET": info.docs})
        router.add("/ping", {"GET": info.readyz})
        router.add("/invocations", {"POST": self._sagemaker.invocations})
        router.add("/v2", {"GET": self._oip.server_metadata})
        router.add("/v2/health/live", {"GET": self._oip.live})
        router.add("/v2/health/ready", {"GET": self._oip.ready})
        router.add("/", {"GET": info.root})
        if settings.predict_route and settings.predict_route not in router.exact:
            router.add(settings.predict_route, {"POST": self._tabular.predict})
        if settings.health_route and settings.health_route not in router.exact:
            router.add(settings.health_route, {"GET": info.readyz})
        router.add_v2_model("", {"GET": self._oip.model_metadata})
        router.add_v2_model("ready", {"GET": self._oip.model_ready})
        router.add_v2_model("infer", {"POST": self._oip.infer})

    # --- ASGI -----------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        # websockets are not served: returning closes the connection

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        method: str = scope["method"]
        path: str = scope["path"]
        entry, params = self.router.match(path)
        metrics = self.metrics
        metrics.in_flight += 1
        try:
            if entry is None:
                raise HTTPError(404, f"no route {path}; see /docs for the routes")
            handler = entry[1].get(method)
            if handler is None:
                allowed = ", ".join(sorted(entry[1]))
                resp = _json(405, {"error": f"{method} is not allowed on {path}; use {allowed}"})
                resp.headers = [(b"allow", allowed.encode())]
            else:
                resp = await handler(scope, receive, params)
        except HTTPError as exc:
            resp = _json(exc.status, {"error": exc.message})
            if exc.status == 503:
                resp.headers = [(b"retry-after", b"1")]
        except ModelFailure as exc:
            resp = self._server_error(exc, path, "the model raised while predicting")
        except Exception as exc:
            resp = self._server_error(exc, path, "the server failed on this request")
        finally:
            metrics.in_flight -= 1
        headers = [
            (b"content-type", resp.content_type),
            (b"content-length", str(len(resp.body)).encode()),
        ]
        if resp.headers:
            headers.extend(resp.headers)
        await send({"type": "http.response.start", "status": resp.status, "headers": headers})
        await send({"type": "http.response.body", "body": resp.body})
        elapsed = time.perf_counter() - started
        route = entry[0] if entry is not None else "other"
        metrics.observe_request(route, method, resp.status, elapsed)
        if self.access.enabled:
            client = scope.get("client")
            self.access.write(
                method, path, resp.status, elapsed, resp.batch, client[0] if client else None
            )

    def _server_error(self, exc: BaseException, path: str, what: str) -> Response:
        error_id = secrets.token_hex(8)
        cause = exc.__cause__ if isinstance(exc, ModelFailure) and exc.__cause__ else exc
        if isinstance(exc, ModelFailure):
            self.metrics.model_errors += 1
        log.error(
            "%s: %s: %s",
            what,
            type(cause).__name__,
            cause,
            exc_info=(type(cause), cause, cause.__traceback__),
            extra={"fields": {"error_id": error_id, "path": path}},
        )
        return _json(500, {"error": f"{what}; quote error id {error_id}", "error_id": error_id})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    log.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # --- life cycle -----------------------------------------------------------------------

    async def startup(self) -> None:
        setup_logging(self.settings.log_level)
        loop = asyncio.get_running_loop()
        self._publisher.start(loop)
        if self._preloaded is not None:
            model, self._preloaded = self._preloaded, None
            started = time.perf_counter()
            warm = warm_up(model, self.settings)
            self._on_loaded(model, time.perf_counter() - started, warm)
            return
        load_on_thread(
            self.model_file, self.settings, loop, loaded=self._on_loaded, fatal=self._fatal
        )

    async def shutdown(self) -> None:
        self.ready = False
        self.metrics.ready = False
        self._publisher.stop()
        if self.batcher is not None:
            self.batcher.close()
        if self.deep is not None:
            self.deep.close()
        self.access.flush()
        log.info("stopped", extra={"fields": {"event": "stopped"}})

    def begin_drain(self) -> None:
        """Called when a stop signal arrives: readiness turns 503 while requests finish."""
        self.draining = True

    def _fatal(self, code: int) -> None:
        self.fatal_exit_code = code
        if self.on_fatal is not None:
            self.on_fatal(code)
        else:
            os.kill(os.getpid(), signal.SIGTERM)

    def _on_loaded(self, model: LoadedModel, warm_seconds: float, warm: WarmUp) -> None:
        self.model = model
        self.schema = model.schema
        self.typed = not model.schema.numeric_only
        if self.typed:
            self.router.swap_post((self._tabular.predict,), self._tabular.predict_typed)
            self.router.add("/noop", {"POST": self._tabular.noop_typed})
        plan = plan_batching(self.settings, warm, typed=self.typed)
        self.batcher = batcher = tabular_batcher(
            model, self.settings, plan, self.metrics.observe_batch
        )
        self.metrics.queue_limit = plan.limit
        self.metrics.queue_depth = lambda: batcher.depth
        if model.deep is not None:
            self._serve_deep(model, plan.limit)
        skip_finite_checks(model, batcher)
        self.metrics.info = {
            "name": self.model_name,
            "format": model.format,
            "estimator": model.estimator,
            "sha256": model.sha256[:16],
        }
        self._info.build_docs()
        # The model's objects live as long as the process: keep them out of the collector's
        # scans so that full collections stay short.
        gc.collect()
        gc.freeze()
        self.ready = True
        self.metrics.ready = True
        if self.on_ready is not None:
            self.on_ready()
        fields = ready_fields(
            self.model_name, model, self.settings, warm_seconds=warm_seconds, warm=warm, plan=plan
        )
        log.info("model ready", extra={"fields": fields})

    def _serve_deep(self, model: LoadedModel, limit: int) -> None:
        """Route /predict, /noop, /invocations and OIP v2 of a deep model to its own handlers."""

        def shed() -> None:
            self.metrics.shed += 1

        self.deep = deep = DeepServing(
            self,
            model,
            self.settings,
            limit=limit,
            check_name=self._oip.check_name,
            on_batch=self.metrics.observe_batch,
            on_shed=shed,
        )
        self.metrics.queue_depth = lambda: deep.batcher.depth
        self.router.swap_post((self._tabular.predict, self._sagemaker.invocations), deep.predict)
        self.router.add("/noop", {"POST": deep.noop})
        self.router.add_v2_model("", {"GET": deep.model_metadata})
        self.router.add_v2_model("infer", {"POST": deep.infer})

    # --- what the route modules call (see .serving.Server) --------------------------------

    def _ready_model(self) -> tuple[LoadedModel, MicroBatcher]:
        if self.model is None or self.batcher is None:
            raise HTTPError(503, "the model is loading; retry when /readyz answers 200")
        if self.batcher.full():  # shed at once, before reading the body
            self.metrics.shed += 1
            raise HTTPError(
                503, f"the server is busy ({self.batcher.depth} requests queued); retry shortly"
            )
        return self.model, self.batcher

    async def _body(
        self, scope: Scope, receive: Receive, kinds: tuple[bytes, ...]
    ) -> tuple[bytes, bytes]:
        """The request body and its media type, after the content-type and size checks."""
        return await read_body(scope, receive, kinds, limit=self.settings.max_body_bytes)

    def _matrix(self, payload: Any, model: LoadedModel, allow_list: bool = False) -> np.ndarray:
        """The float matrix of a model that takes plain numbers."""
        return float_matrix(payload, model, allow_list)


def create_app(settings: Settings | None = None) -> ModelServer:
    """The app with settings from the environment (``MODEL_PATH`` and friends)."""
    s = settings if settings is not None else settings_from_env()
    setup_logging(s.log_level)
    return ModelServer(s)
