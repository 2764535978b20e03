"""The ASGI application: a tiny router over the prediction, health, metrics and docs routes.

Use :func:`create_app` (settings from the environment, for gunicorn or any ASGI server) or
build :class:`ModelServer` with explicit :class:`Settings`. The model loads on a thread after
the server starts listening, so ``/livez`` answers at once and ``/readyz`` says 503 until the
model is loaded and warmed up.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import re
import secrets
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from .batching import MicroBatcher, ModelFailure, queue_limit
from .config import Settings, settings_from_env
from .deep_routes import warm_up as deep_warm_up
from .deep_serving import DeepServing
from .frames import as_batch, check_rows, example_row, typed_batch
from .loader import LoadedModel, load_model, read_schema_file, resolve_model_path
from .logs import AccessLog, setup_logging, write_termination_message
from .metrics import PUBLISH_INTERVAL_S, Metrics, SharedMetrics
from .oip import SERVER_VERSION, OpenInference
from .openapi import docs_page, example_body, openapi_document
from .responses import JSON, Handler, Receive, Response, Scope, plain_output
from .responses import json_response as _json
from .sagemaker import SageMaker
from .schema import InputSchema
from .validation import (
    HTTPError,
    parse_json,
    records_to_rows,
    rows_to_matrix,
)

__all__ = ["ModelServer", "create_app"]

log = logging.getLogger("model_server")

Send = Callable[[dict[str, Any]], Awaitable[None]]
_NUMPY = orjson.OPT_SERIALIZE_NUMPY

# Models whose single-row predict takes less than this (ONNX, linear models) are called directly
# unless CHEAP_BATCH_FROM or more requests arrive in one turn of the event loop. Measured with
# the ONNX forest, 2 workers and 8 connections: gathering the 2-4 requests a turn brings cost
# about 6 us of server CPU per request more than the shared call saved (57 vs 51 us); at 64
# connections, where turns bring many more, batches still pay.
DIRECT_MAX_SECONDS = 200e-6
CHEAP_BATCH_FROM = 8
# Typed models (the float fast path is left as it is) whose single-row predict takes at least
# this long, and whose full batch costs no more per row than FLAT_SHARE of a single row (a
# pipeline over a DataFrame: ~15 ms whatever the rows), hold a batch smaller than the last
# round's crowd for up to REGATHER_SHARE of a single-row call, at most REGATHER_MAX_SECONDS:
# one call per round of clients, not two.
SLOW_MIN_SECONDS = 1e-3
FLAT_SHARE = 1 / 8
REGATHER_SHARE = 0.25
REGATHER_MAX_SECONDS = 5e-3


def _predictions(out: np.ndarray, classes: list[Any] | None, batch: int) -> Response:
    """The /predict answer; ``classes`` labels the columns of class probabilities or scores."""
    answer: dict[str, Any] = {"predictions": plain_output(out)}
    if classes is not None and out.ndim == 2 and out.shape[1] == len(classes):
        answer["classes"] = classes
    return Response(200, orjson.dumps(answer, option=_NUMPY), JSON, batch)


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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._batch_seconds: float | None = None
        self._shared: SharedMetrics | None = None
        self._publishing: asyncio.TimerHandle | None = None
        self._publish_failed = False
        self.schema: InputSchema | None = None
        self.typed = False
        """Whether the model takes named, typed columns (a typed batch, not a float matrix)."""
        self._oip = OpenInference(self)
        self._sagemaker = SageMaker(self)
        self._openapi = b""
        self._docs = b""
        self._build_docs()

        self._exact: dict[str, tuple[str, dict[str, Handler]]] = {}
        self._add("/predict", {"POST": self.predict})
        self._add("/noop", {"POST": self.noop})
        self._add("/livez", {"GET": self.livez})
        self._add("/readyz", {"GET": self.readyz})
        self._add("/metrics", {"GET": self.metrics_route})
        self._add("/openapi.json", {"GET": self.openapi})
        self._add("/docs", {"GET": self.docs})
        self._add("/ping", {"GET": self.readyz})
        self._add("/invocations", {"POST": self._sagemaker.invocations})
        self._add("/v2", {"GET": self._oip.server_metadata})
        self._add("/v2/health/live", {"GET": self._oip.live})
        self._add("/v2/health/ready", {"GET": self._oip.ready})
        self._add("/", {"GET": self.root})
        if settings.predict_route and settings.predict_route not in self._exact:
            self._add(settings.predict_route, {"POST": self.predict})
        if settings.health_route and settings.health_route not in self._exact:
            self._add(settings.health_route, {"GET": self.readyz})
        self._v2_model_routes: dict[str, tuple[str, dict[str, Handler]]] = {
            "": ("/v2/models/{name}", {"GET": self._oip.model_metadata}),
            "ready": ("/v2/models/{name}/ready", {"GET": self._oip.model_ready}),
            "infer": ("/v2/models/{name}/infer", {"POST": self._oip.infer}),
        }

    def _add(self, path: str, methods: dict[str, Handler]) -> None:
        self._exact[path] = (path, methods)

    def _match(self, path: str) -> tuple[tuple[str, dict[str, Handler]] | None, dict[str, str]]:
        hit = self._exact.get(path)
        if hit is not None:
            return hit, {}
        if path.startswith("/v2/models/"):
            parts = path[len("/v2/models/") :].split("/")
            name = parts[0]
            if name:
                rest = parts[1:]
                # /v2/models/{name}/versions/{version}[/...] addresses the one version we serve
                version = None
                if len(rest) >= 2 and rest[0] == "versions":
                    version = rest[1]
                    rest = rest[2:]
                if len(rest) <= 1:
                    entry = self._v2_model_routes.get(rest[0] if rest else "")
                    if entry is not None:
                        params = {"name": name}
                        if version is not None:
                            params["version"] = version
                        return entry, params
        return None, {}

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
        entry, params = self._match(path)
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
        self._loop = asyncio.get_running_loop()
        if self.settings.metrics_dir:
            try:
                self._shared = SharedMetrics(self.settings.metrics_dir, self.metrics)
            except OSError as exc:
                log.warning(
                    "cannot share metrics in %s (%s): /metrics counts this worker only",
                    self.settings.metrics_dir,
                    exc,
                )
            else:
                self._publish()
        if self._preloaded is not None:
            model, self._preloaded = self._preloaded, None
            warm = time.perf_counter()
            single = self._warm_up(model)
            self._on_loaded(model, time.perf_counter() - warm, single)
            return
        threading.Thread(target=self._load, name="model-loader", daemon=True).start()

    async def shutdown(self) -> None:
        self.ready = False
        self.metrics.ready = False
        if self._publishing is not None:
            self._publishing.cancel()
        if self._shared is not None:
            self._publish_now()  # the final counts stay in the other workers' sums
        if self.batcher is not None:
            self.batcher.close()
        if self.deep is not None:
            self.deep.close()
        self.access.flush()
        log.info("stopped", extra={"fields": {"event": "stopped"}})

    def _publish(self) -> None:
        """Write this worker's metrics for the others, now and every PUBLISH_INTERVAL_S."""
        assert self._loop is not None
        self._publish_now()
        self._publishing = self._loop.call_later(PUBLISH_INTERVAL_S, self._publish)

    def _publish_now(self) -> None:
        assert self._shared is not None
        try:
            self._shared.publish()
        except OSError as exc:
            if not self._publish_failed:  # once, not every second
                log.warning("cannot share metrics in %s: %s", self._shared.directory, exc)
            self._publish_failed = True

    def begin_drain(self) -> None:
        """Called when a stop signal arrives: readiness turns 503 while requests finish."""
        self.draining = True

    def _load(self) -> None:
        loop = self._loop
        assert loop is not None
        try:
            s = self.settings
            model = load_model(
                self.model_file,
                output=s.model_output,
                trust_types=s.trusted_types,
                schema=read_schema_file(s.model_schema) if s.model_schema else None,
                task=s.model_task,
            )
        except Exception as exc:
            log.error(
                "cannot load the model: %s",
                exc,
                extra={"fields": {"event": "load_failed", "model": str(self.model_file)}},
            )
            write_termination_message(f"cannot load the model: {exc}")
            loop.call_soon_threadsafe(self._fatal, 3)
            return
        warm = time.perf_counter()
        try:
            single = self._warm_up(model)
        except Exception as exc:
            log.error(
                "%s",
                exc,
                extra={"fields": {"event": "warmup_failed", "model": str(self.model_file)}},
            )
            write_termination_message(str(exc))
            loop.call_soon_threadsafe(self._fatal, 3)
            return
        loop.call_soon_threadsafe(self._on_loaded, model, time.perf_counter() - warm, single)

    def _warm_up(self, model: LoadedModel) -> float | None:
        """Run the model a few times on a valid row drawn from its schema; returns the median
        single-row predict time. A model that cannot predict that row raises: it is not ready."""
        if model.deep is not None:
            try:
                deep_warm_up(
                    model.deep, self.settings.batch_max, {"truncate": self.settings.truncate}
                )
            except Exception as exc:
                raise RuntimeError(
                    f"the model fails on its own example input ({type(exc).__name__}: {exc})"
                ) from exc
            return None
        if model.n_features is None or not model.schema.columns:
            return None
        row = example_row(model.schema)
        one = as_batch(check_rows([row], model.schema), model.schema)
        try:
            model.predict(one)
            rows = np.repeat(one, min(self.settings.batch_max, 256), axis=0)
            model.predict(rows)
            t = time.perf_counter()
            model.predict(rows)
            self._batch_seconds = time.perf_counter() - t
            times = []
            for _ in range(5):
                t = time.perf_counter()
                model.predict(one)
                times.append(time.perf_counter() - t)
        except Exception as exc:
            raise RuntimeError(
                f"the model fails to predict a valid row {row!r} drawn from its schema "
                f"({type(exc).__name__}: {exc}); correct the schema with --schema or "
                "$MODEL_SCHEMA, or fix the model"
            ) from exc
        return sorted(times)[2]

    def _fatal(self, code: int) -> None:
        self.fatal_exit_code = code
        if self.on_fatal is not None:
            self.on_fatal(code)
        else:
            os.kill(os.getpid(), signal.SIGTERM)

    def _on_loaded(self, model: LoadedModel, warm_seconds: float, single: float | None) -> None:
        self.model = model
        self.schema = model.schema
        self.typed = not model.schema.numeric_only
        if self.typed:
            for path, (_, methods) in self._exact.items():
                if methods.get("POST") == self.predict:
                    self._exact[path] = (path, {"POST": self.predict_typed})
            self._add("/noop", {"POST": self.noop_typed})
        batching = self.settings.batching
        cheap = single is not None and single < DIRECT_MAX_SECONDS
        threaded = self.settings.predict_thread
        if threaded is None:  # a slow predict must not hold up the probes
            threaded = not cheap
        limit = self.settings.queue_max or (
            queue_limit(rows_per_call=self.settings.batch_max, seconds_per_call=self._batch_seconds)
            if batching
            else queue_limit(rows_per_call=1, seconds_per_call=single)
        )
        regather = 0.0
        if self.typed and batching and self.settings.batch_wait_ms == 0:
            regather = regather_seconds(
                single=single, batch=self._batch_seconds, rows=min(self.settings.batch_max, 256)
            )
        self.batcher = batcher = MicroBatcher(
            model.predict,
            max_rows=self.settings.batch_max,
            max_wait_s=self.settings.batch_wait_ms / 1000.0,
            enabled=batching,
            use_thread=threaded,
            batch_from=CHEAP_BATCH_FROM if cheap else None,
            on_batch=self.metrics.observe_batch,
            limit=limit,
            regather_s=regather,
        )
        self.metrics.queue_limit = limit
        self.metrics.queue_depth = lambda: batcher.depth
        if model.deep is not None:
            self._serve_deep(model, limit)
        if model.format != "onnx":
            # Requests are checked for NaN/infinity before they reach the model.
            if self.batcher._executor is not None:
                self.batcher._executor.submit(_sklearn_assume_finite).result()
            else:
                _sklearn_assume_finite()
        self.metrics.info = {
            "name": self.model_name,
            "format": model.format,
            "estimator": model.estimator,
            "sha256": model.sha256[:16],
        }
        self._build_docs()
        # The model's objects live as long as the process: keep them out of the collector's
        # scans so that full collections stay short.
        gc.collect()
        gc.freeze()
        self.ready = True
        self.metrics.ready = True
        if self.on_ready is not None:
            self.on_ready()
        log.info(
            "model ready",
            extra={
                "fields": {
                    "event": "ready",
                    "model": self.model_name,
                    "format": model.format,
                    "estimator": model.estimator,
                    "n_features": model.n_features,
                    "output_kind": model.output_kind,
                    "load_seconds": round(model.load_seconds, 4),
                    "warmup_seconds": round(warm_seconds, 4),
                    "batching": "on" if batching else "off",
                    "single_row_predict_ms": round(single * 1000, 4) if single else None,
                    "batch_max": self.settings.batch_max,
                    "batch_wait_ms": self.settings.batch_wait_ms,
                    "predict_thread": threaded,
                    "queue_max": limit,
                    "regather_ms": round(regather * 1000, 3),
                }
            },
        )

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
        for path, (_, methods) in self._exact.items():
            if methods.get("POST") in (self.predict, self._sagemaker.invocations):
                self._exact[path] = (path, {"POST": deep.predict})
        self._add("/noop", {"POST": deep.noop})
        self._v2_model_routes[""] = ("/v2/models/{name}", {"GET": deep.model_metadata})
        self._v2_model_routes["infer"] = ("/v2/models/{name}/infer", {"POST": deep.infer})

    def _build_docs(self) -> None:
        m = self.model
        doc = openapi_document(
            title="Model server",
            version=SERVER_VERSION,
            model_name=self.model_name,
            n_features=m.n_features if m else None,
            feature_names=m.feature_names if m else None,
            output_kind=m.output_kind if m else "probabilities",
            predict_route=self.settings.predict_route,
            health_route=self.settings.health_route,
            schema=self.schema if self.typed else None,
            allows_nan=m.allows_nan if m else True,
        )
        self._openapi = orjson.dumps(doc)
        example = orjson.dumps(
            {"instances": [m.deep.example]}
            if m is not None and m.deep is not None
            else example_body(m.n_features if m else None, self.schema if self.typed else None)
        ).decode()
        detail = (
            f"{m.estimator} ({m.format}), {m.n_features} features, answers {m.output_kind}"
            if m
            else "loading"
        )
        if m is not None and m.deep is not None:
            detail = f"{m.estimator} ({m.format}), task {m.deep.task}"

        self._docs = docs_page(doc, self.model_name, detail, example)

    # --- request helpers ------------------------------------------------------------------

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
        limit = self.settings.max_body_bytes
        if length > limit:
            raise HTTPError(
                413, f"request body of {length} bytes is over the limit of {limit} bytes"
            )
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

    def _matrix(self, payload: Any, model: LoadedModel, allow_list: bool = False) -> np.ndarray:
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

    # --- routes ---------------------------------------------------------------------------

    async def predict(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        model, batcher = self._ready_model()
        body, _ = await self._body(scope, receive, (JSON,))
        x = self._matrix(parse_json(body), model)
        out, batch = await batcher.submit(x)
        return _predictions(out, model.classes, batch)

    async def predict_typed(
        self, scope: Scope, receive: Receive, params: dict[str, str]
    ) -> Response:
        """/predict for a model with named, typed columns (records or instances)."""
        model, batcher = self._ready_model()
        body, _ = await self._body(scope, receive, (JSON,))
        out, batch = await batcher.submit(typed_batch(parse_json(body), model.schema))
        return _predictions(out, model.classes, batch)

    async def noop_typed(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        body, _ = await self._body(scope, receive, (JSON,))
        model, _ = self._ready_model()
        typed_batch(parse_json(body), model.schema)
        return Response(200, b'{"predictions":[]}')

    async def noop(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        """Everything /predict does to a request except calling the model: the floor."""
        body, _ = await self._body(scope, receive, (JSON,))
        payload = parse_json(body)
        if self.model is not None:
            self._matrix(payload, self.model)
        return Response(200, b'{"predictions":[]}')

    async def livez(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        return Response(200, b'{"status":"ok"}')

    async def readyz(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        if self.draining:
            return Response(503, b'{"status":"draining"}')
        if not self.ready:
            return Response(503, b'{"status":"loading"}', headers=[(b"retry-after", b"1")])
        return Response(200, b'{"status":"ready"}')

    async def root(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        return _json(
            200,
            {
                "model": self.model_name,
                "ready": self.ready,
                "docs": "/docs",
                "openapi": "/openapi.json",
                "predict": "/predict",
            },
        )

    async def metrics_route(
        self, scope: Scope, receive: Receive, params: dict[str, str]
    ) -> Response:
        peers = self._shared.peers() if self._shared is not None else ()
        return Response(
            200, self.metrics.render(peers), b"text/plain; version=0.0.4; charset=utf-8"
        )

    async def openapi(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        return Response(200, self._openapi)

    async def docs(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        return Response(200, self._docs, b"text/html; charset=utf-8")


def regather_seconds(*, single: float | None, batch: float | None, rows: int) -> float:
    """How long a batch may wait for the rest of the last round's clients: a share of the
    single-row call for slow models whose call costs nearly the same for ``rows`` rows, else 0."""
    if not single or not batch or rows < 2 or single < SLOW_MIN_SECONDS:
        return 0.0
    if batch / rows > single * FLAT_SHARE:
        return 0.0
    return min(REGATHER_MAX_SECONDS, single * REGATHER_SHARE)


def _sklearn_assume_finite() -> None:
    try:
        import sklearn

        sklearn.set_config(assume_finite=True)
    except Exception:  # scikit-learn is not installed or too old: nothing to skip
        pass


def create_app(settings: Settings | None = None) -> ModelServer:
    """The app with settings from the environment (``MODEL_PATH`` and friends)."""
    s = settings if settings is not None else settings_from_env()
    setup_logging(s.log_level)
    return ModelServer(s)
