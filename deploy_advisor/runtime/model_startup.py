"""Bringing the model up: loading it off the event loop, warming it up on a row drawn from its
schema, and sizing the micro-batcher from what the warm-up measured."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .batching import MicroBatcher, queue_limit
from .config import Settings
from .deep_routes import warm_up as deep_warm_up
from .frames import as_batch, check_rows, example_row
from .loader import LoadedModel, load_model, read_schema_file
from .logs import write_termination_message

__all__ = [
    "CHEAP_BATCH_FROM",
    "REGATHER_MAX_SECONDS",
    "BatchPlan",
    "WarmUp",
    "load_on_thread",
    "plan_batching",
    "ready_fields",
    "regather_seconds",
    "skip_finite_checks",
    "tabular_batcher",
    "warm_up",
]

log = logging.getLogger("model_server")

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


@dataclass(frozen=True)
class WarmUp:
    """What the warm-up measured; None for a deep model, or one whose schema has no columns."""

    single: float | None = None
    """The median single-row predict time, in seconds."""
    batch: float | None = None
    """One predict call on a full batch (``batch_max`` rows, at most 256), in seconds."""


@dataclass(frozen=True)
class BatchPlan:
    """How the tabular batcher runs the model, decided from the settings and the warm-up."""

    cheap: bool
    """The single-row predict is fast enough to call directly while few requests arrive."""
    threaded: bool
    limit: int
    regather: float


def warm_up(model: LoadedModel, settings: Settings) -> WarmUp:
    """Run the model a few times on a valid row drawn from its schema, timing it. A model that
    cannot predict that row raises: it is not ready."""
    if model.deep is not None:
        try:
            deep_warm_up(model.deep, settings.batch_max, {"truncate": settings.truncate})
        except Exception as exc:
            raise RuntimeError(
                f"the model fails on its own example input ({type(exc).__name__}: {exc})"
            ) from exc
        return WarmUp()
    if model.n_features is None or not model.schema.columns:
        return WarmUp()
    row = example_row(model.schema)
    one = as_batch(check_rows([row], model.schema), model.schema)
    try:
        model.predict(one)
        rows = np.repeat(one, min(settings.batch_max, 256), axis=0)
        model.predict(rows)
        t = time.perf_counter()
        model.predict(rows)
        batch = time.perf_counter() - t
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
    return WarmUp(single=sorted(times)[2], batch=batch)


Loaded = Callable[[LoadedModel, float, WarmUp], None]
"""Called on the event loop with the model, the warm-up's seconds and its measures."""


def load_on_thread(
    model_file: Path,
    settings: Settings,
    loop: asyncio.AbstractEventLoop,
    *,
    loaded: Loaded,
    fatal: Callable[[int], None],
) -> None:
    """Load and warm up the model on a thread; then ``loaded``, or ``fatal(3)``, runs on
    ``loop``."""
    threading.Thread(
        target=_load,
        args=(model_file, settings, loop, loaded, fatal),
        name="model-loader",
        daemon=True,
    ).start()


def _load(
    model_file: Path,
    s: Settings,
    loop: asyncio.AbstractEventLoop,
    loaded: Loaded,
    fatal: Callable[[int], None],
) -> None:
    try:
        model = load_model(
            model_file,
            output=s.model_output,
            trust_types=s.trusted_types,
            schema=read_schema_file(s.model_schema) if s.model_schema else None,
            task=s.model_task,
        )
    except Exception as exc:
        log.error(
            "cannot load the model: %s",
            exc,
            extra={"fields": {"event": "load_failed", "model": str(model_file)}},
        )
        write_termination_message(f"cannot load the model: {exc}")
        loop.call_soon_threadsafe(fatal, 3)
        return
    started = time.perf_counter()
    try:
        warm = warm_up(model, s)
    except Exception as exc:
        log.error(
            "%s",
            exc,
            extra={"fields": {"event": "warmup_failed", "model": str(model_file)}},
        )
        write_termination_message(str(exc))
        loop.call_soon_threadsafe(fatal, 3)
        return
    loop.call_soon_threadsafe(loaded, model, time.perf_counter() - started, warm)


def plan_batching(settings: Settings, warm: WarmUp, *, typed: bool) -> BatchPlan:
    """Thread or inline, the queue bound and the regather wait of the tabular batcher."""
    batching = settings.batching
    single = warm.single
    cheap = single is not None and single < DIRECT_MAX_SECONDS
    threaded = settings.predict_thread
    if threaded is None:  # a slow predict must not hold up the probes
        threaded = not cheap
    limit = settings.queue_max or (
        queue_limit(rows_per_call=settings.batch_max, seconds_per_call=warm.batch)
        if batching
        else queue_limit(rows_per_call=1, seconds_per_call=single)
    )
    regather = 0.0
    if typed and batching and settings.batch_wait_ms == 0:
        regather = regather_seconds(
            single=single, batch=warm.batch, rows=min(settings.batch_max, 256)
        )
    return BatchPlan(cheap=cheap, threaded=threaded, limit=limit, regather=regather)


def tabular_batcher(
    model: LoadedModel, settings: Settings, plan: BatchPlan, on_batch: Callable[[int], None]
) -> MicroBatcher:
    return MicroBatcher(
        model.predict,
        max_rows=settings.batch_max,
        max_wait_s=settings.batch_wait_ms / 1000.0,
        enabled=settings.batching,
        use_thread=plan.threaded,
        batch_from=CHEAP_BATCH_FROM if plan.cheap else None,
        on_batch=on_batch,
        limit=plan.limit,
        regather_s=plan.regather,
    )


def regather_seconds(*, single: float | None, batch: float | None, rows: int) -> float:
    """How long a batch may wait for the rest of the last round's clients: a share of the
    single-row call for slow models whose call costs nearly the same for ``rows`` rows, else 0."""
    if not single or not batch or rows < 2 or single < SLOW_MIN_SECONDS:
        return 0.0
    if batch / rows > single * FLAT_SHARE:
        return 0.0
    return min(REGATHER_MAX_SECONDS, single * REGATHER_SHARE)


def skip_finite_checks(model: LoadedModel, batcher: MicroBatcher) -> None:
    """Requests are checked for NaN/infinity before they reach the model: scikit-learn need not
    check again (on the thread that predicts)."""
    if model.format == "onnx":
        return
    if batcher._executor is not None:
        batcher._executor.submit(_sklearn_assume_finite).result()
    else:
        _sklearn_assume_finite()


def _sklearn_assume_finite() -> None:
    try:
        import sklearn

        sklearn.set_config(assume_finite=True)
    except Exception:  # scikit-learn is not installed or too old: nothing to skip
        pass


def ready_fields(
    model_name: str,
    model: LoadedModel,
    settings: Settings,
    *,
    warm_seconds: float,
    warm: WarmUp,
    plan: BatchPlan,
) -> dict[str, Any]:
    """The fields of the "model ready" log line."""
    single = warm.single
    return {
        "event": "ready",
        "model": model_name,
        "format": model.format,
        "estimator": model.estimator,
        "n_features": model.n_features,
        "output_kind": model.output_kind,
        "load_seconds": round(model.load_seconds, 4),
        "warmup_seconds": round(warm_seconds, 4),
        "batching": "on" if settings.batching else "off",
        "single_row_predict_ms": round(single * 1000, 4) if single else None,
        "batch_max": settings.batch_max,
        "batch_wait_ms": settings.batch_wait_ms,
        "predict_thread": plan.threaded,
        "queue_max": plan.limit,
        "regather_ms": round(plan.regather * 1000, 3),
    }
