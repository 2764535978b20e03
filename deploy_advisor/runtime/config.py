"""Server settings from command-line flags and environment variables.

Flags win over the environment; the environment wins over the defaults. The listening port is
resolved by :func:`resolve_port`: ``--port``, then ``$PORT`` (Heroku, Cloud Run), then
``$AIP_HTTP_PORT`` (Vertex AI), then 8080 for the bare ``serve`` of the SageMaker container
contract, else 8000.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_PORT",
    "EXIT_CANNOT_LISTEN",
    "EXIT_STARTUP_FAILURE",
    "SAGEMAKER_PORT",
    "ConfigError",
    "Settings",
    "build_parser",
    "resolve_port",
    "settings_from_args",
    "settings_from_env",
]

DEFAULT_PORT = 8000
SAGEMAKER_PORT = 8080
DEFAULT_HOST = "127.0.0.1"
SAGEMAKER_HOST = "0.0.0.0"  # noqa: S104 - the SageMaker contract needs every interface


class ConfigError(ValueError):
    """A flag or environment variable has an unusable value; the message names it."""


#: A server whose model does not load exits with this; gunicorn's arbiter reads the same code
#: from a worker as "stop, do not restart".
EXIT_STARTUP_FAILURE = 3
#: A server that cannot listen on its address (the port is taken) exits with this.
EXIT_CANNOT_LISTEN = 2


@dataclass
class Settings:
    """Everything the server needs; plain values so that it can be passed to worker processes."""

    model_path: str | None = None
    model_name: str | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = 1
    batching: bool = True
    batch_max: int = 64
    batch_wait_ms: float = 0.0
    max_body_bytes: int = 1 << 20
    drain_timeout_s: float = 30.0
    predict_route: str | None = None
    health_route: str | None = None
    access_log: bool = True
    loop: str = "auto"
    """``auto`` (uvloop when installed and the model is cheap, else asyncio), ``asyncio``
    or ``uvloop``."""
    http: str = "auto"
    """``auto`` (httptools when installed, else h11), ``httptools`` or ``h11``."""
    predict_thread: bool | None = None
    """Run predictions on one dedicated thread (``True``) or inline in the event loop
    (``False``); ``None`` (auto): inline only for models whose single-row predict takes less
    than 200 µs, so that a slow predict never holds up the probes."""
    keep_alive_s: int = 5
    """Seconds an idle keep-alive connection stays open after a response."""
    queue_max: int = 0
    """Most requests waiting for or in a predict call per worker before new ones get 503;
    0: enough for about a second of work, from the batch size and the measured predict time."""
    header_max_bytes: int = 16384
    """Largest request head (request line and headers); larger ones get 431."""
    header_max_count: int = 100
    """Most header fields per request; more get 431."""
    header_timeout_s: float = 10.0
    """Seconds a connection may take to send a request's head; then 408 (or a silent close
    when it sent nothing)."""
    body_timeout_s: float = 10.0
    """Seconds from the end of the head to the last byte of the body; then 408."""
    crash_limit: int = 5
    """The supervisor stops when this many workers crash within ``crash_window_s``."""
    crash_window_s: float = 60.0
    log_level: str = "info"
    metrics_dir: str | None = None
    """Directory where worker processes share their metrics, so that ``/metrics`` counts all
    of them (``serve --workers N`` makes one; set ``$METRICS_DIR`` under gunicorn)."""
    model_output: str | None = None
    """``predict``, ``predict_proba``, ``decision_function`` or ``raw``; None: probabilities
    where the model has them, else ``predict`` (``$MODEL_OUTPUT``)."""
    model_schema: str | None = None
    """A JSON schema file that replaces the schema derived from the model (``$MODEL_SCHEMA``)."""
    trust_types: str | None = None
    """Comma-separated types a skops file may hold beyond those skops trusts
    (``$MODEL_TRUST_TYPES``)."""

    # --- deep-learning models (issue 17) ---
    model_task: str | None = None
    """The task of a transformers model when its config does not say (``$MODEL_TASK``)."""
    truncate: bool = False
    """Cut texts over the model's maximum length instead of refusing them (``$TRUNCATE``)."""
    batch_max_tokens: int = 8192
    """Most padded tokens per forward pass of a text model (``$BATCH_MAX_TOKENS``)."""

    @property
    def trusted_types(self) -> tuple[str, ...]:
        return tuple(t.strip() for t in (self.trust_types or "").split(",") if t.strip())

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Settings:
        data = json.loads(text)
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


# --- parsing helpers ---------------------------------------------------------------------------


def _int(name: str, raw: str, minimum: int = 0, maximum: int | None = None) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum or (maximum is not None and value > maximum):
        top = f" and {maximum}" if maximum is not None else ""
        raise ConfigError(f"{name}={value} is out of range; use a number between {minimum}{top}")
    return value


def _float(name: str, raw: str, minimum: float = 0.0) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not value >= minimum:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum}")
    return value


def _bool(name: str, raw: str) -> bool:
    v = raw.strip().lower()
    if v in ("1", "on", "true", "yes"):
        return True
    if v in ("0", "off", "false", "no"):
        return False
    raise ConfigError(f"{name}={raw!r}: use on or off")


def _route(name: str, raw: str) -> str:
    route = raw.strip()
    if not route.startswith("/"):
        raise ConfigError(f"{name}={raw!r} must be a path starting with /")
    return route


def _choice(name: str, raw: str, choices: Sequence[str]) -> str:
    v = raw.strip().lower()
    if v not in choices:
        raise ConfigError(f"{name}={raw!r}: use one of {', '.join(choices)}")
    return v


def resolve_port(flag: int | None, env: Mapping[str, str], *, bare_serve: bool = False) -> int:
    """The port to listen on: the flag, ``$PORT``, ``$AIP_HTTP_PORT``, 8080 for a bare
    ``serve`` (SageMaker), else 8000."""
    if flag is not None:
        return flag
    for name in ("PORT", "AIP_HTTP_PORT"):
        raw = env.get(name, "").strip()
        if raw:
            return _int(name, raw, 0, 65535)
    return SAGEMAKER_PORT if bare_serve else DEFAULT_PORT


def settings_from_env(
    env: Mapping[str, str] | None = None, *, bare_serve: bool = False
) -> Settings:
    """Settings from the environment alone (used by gunicorn and ``create_app()``)."""
    env = os.environ if env is None else env
    s = Settings()
    if bare_serve:
        s.host = SAGEMAKER_HOST
    s.port = resolve_port(None, env, bare_serve=bare_serve)

    def get(name: str) -> str | None:
        raw = env.get(name)
        return raw if raw is not None and raw.strip() != "" else None

    if (v := get("MODEL_PATH")) is not None:
        s.model_path = v
    if (v := get("MODEL_NAME")) is not None:
        s.model_name = v.strip()
    if (v := get("HOST")) is not None:
        s.host = v.strip()
    if (v := get("WORKERS")) is not None:
        s.workers = _int("WORKERS", v, 1, 256)
    if (v := get("BATCHING")) is not None:
        s.batching = _bool("BATCHING", v)
    if (v := get("BATCH_MAX_SIZE")) is not None:
        s.batch_max = _int("BATCH_MAX_SIZE", v, 1, 1_000_000)
    if (v := get("BATCH_MAX_WAIT_MS")) is not None:
        s.batch_wait_ms = _float("BATCH_MAX_WAIT_MS", v)
    if (v := get("MAX_BODY_BYTES")) is not None:
        s.max_body_bytes = _int("MAX_BODY_BYTES", v, 1)
    if (v := get("DRAIN_TIMEOUT_S")) is not None:
        s.drain_timeout_s = _float("DRAIN_TIMEOUT_S", v)
    if (v := get("AIP_PREDICT_ROUTE")) is not None:
        s.predict_route = _route("AIP_PREDICT_ROUTE", v)
    if (v := get("AIP_HEALTH_ROUTE")) is not None:
        s.health_route = _route("AIP_HEALTH_ROUTE", v)
    if (v := get("ACCESS_LOG")) is not None:
        s.access_log = _bool("ACCESS_LOG", v)
    if (v := get("SERVER_LOOP")) is not None:
        s.loop = _choice("SERVER_LOOP", v, ("auto", "asyncio", "uvloop"))
    if (v := get("SERVER_HTTP")) is not None:
        s.http = _choice("SERVER_HTTP", v, ("auto", "httptools", "h11"))
    if (v := get("PREDICT_THREAD")) is not None:
        auto = v.strip().lower() == "auto"
        s.predict_thread = None if auto else _bool("PREDICT_THREAD", v)
    if (v := get("KEEP_ALIVE_S")) is not None:
        s.keep_alive_s = _int("KEEP_ALIVE_S", v, 1, 3600)
    if (v := get("QUEUE_MAX")) is not None:
        s.queue_max = _int("QUEUE_MAX", v, 0)
    if (v := get("MAX_HEADER_BYTES")) is not None:
        s.header_max_bytes = _int("MAX_HEADER_BYTES", v, 256)
    if (v := get("MAX_HEADERS")) is not None:
        s.header_max_count = _int("MAX_HEADERS", v, 1)
    if (v := get("HEADER_TIMEOUT_S")) is not None:
        s.header_timeout_s = _float("HEADER_TIMEOUT_S", v, 0.1)
    if (v := get("BODY_TIMEOUT_S")) is not None:
        s.body_timeout_s = _float("BODY_TIMEOUT_S", v, 0.1)
    if (v := get("CRASH_LIMIT")) is not None:
        s.crash_limit = _int("CRASH_LIMIT", v, 1)
    if (v := get("CRASH_WINDOW_S")) is not None:
        s.crash_window_s = _float("CRASH_WINDOW_S", v, 1.0)
    if (v := get("LOG_LEVEL")) is not None:
        s.log_level = _choice("LOG_LEVEL", v, ("debug", "info", "warning", "error"))
    if (v := get("METRICS_DIR")) is not None:
        s.metrics_dir = v
    if (v := get("MODEL_OUTPUT")) is not None:
        s.model_output = _choice("MODEL_OUTPUT", v, _OUTPUTS)
    if (v := get("MODEL_SCHEMA")) is not None:
        s.model_schema = v
    if (v := get("MODEL_TRUST_TYPES")) is not None:
        s.trust_types = v
    if (v := get("MODEL_TASK")) is not None:
        s.model_task = v.strip()
    if (v := get("TRUNCATE")) is not None:
        s.truncate = _bool("TRUNCATE", v)
    if (v := get("BATCH_MAX_TOKENS")) is not None:
        s.batch_max_tokens = _int("BATCH_MAX_TOKENS", v, 1)
    return s


# --- command line ------------------------------------------------------------------------------


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve a trained model over HTTP (predict, Open Inference Protocol v2, "
        "SageMaker and Vertex AI routes, health, metrics).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser(
        "serve",
        help="run the model server",
        description="Run the model server. With no options at all (the SageMaker contract) it "
        "loads $MODEL_PATH or /opt/ml/model and listens on 0.0.0.0:8080.",
    )
    serve.add_argument("--model", metavar="PATH", help="model file or directory ($MODEL_PATH)")
    serve.add_argument("--model-name", metavar="NAME", help="name in /v2/models ($MODEL_NAME)")
    serve.add_argument("--host", help=f"address to bind ($HOST; default {DEFAULT_HOST})")
    serve.add_argument(
        "--port",
        type=int,
        help="port ($PORT, then $AIP_HTTP_PORT; default 8000, 8080 for a bare `serve`)",
    )
    serve.add_argument("--workers", type=int, help="worker processes ($WORKERS; default 1)")
    serve.add_argument(
        "--batch-max", type=int, metavar="N", help="most rows per predict call (default 64)"
    )
    serve.add_argument(
        "--batch-wait-ms",
        type=float,
        metavar="M",
        help="longest a request waits for others to join its batch (default 0)",
    )
    serve.add_argument(
        "--batching",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="gather concurrent requests into one predict call ($BATCHING=on|off; default on)",
    )
    serve.add_argument(
        "--max-body-bytes", type=int, metavar="B", help="largest request body (default 1 MiB)"
    )
    serve.add_argument(
        "--drain-timeout",
        type=float,
        metavar="S",
        help="seconds to finish requests in flight on SIGTERM (default 30)",
    )
    serve.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="one JSON line per request (default on; $ACCESS_LOG)",
    )
    serve.add_argument(
        "--loop", choices=("auto", "asyncio", "uvloop"), help="event loop ($SERVER_LOOP)"
    )
    serve.add_argument(
        "--http", choices=("auto", "httptools", "h11"), help="HTTP parser ($SERVER_HTTP)"
    )
    serve.add_argument(
        "--predict-thread",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="predict on a dedicated thread instead of the event loop ($PREDICT_THREAD=on|off|"
        "auto; default auto: a thread unless a single-row predict takes under 200 us)",
    )
    serve.add_argument(
        "--queue-max",
        type=int,
        metavar="N",
        help="requests queued for the model per worker before 503 ($QUEUE_MAX; default 0: "
        "about one second of work)",
    )
    serve.add_argument(
        "--keep-alive",
        type=int,
        metavar="S",
        help="seconds an idle keep-alive connection stays open ($KEEP_ALIVE_S; default 5)",
    )
    serve.add_argument(
        "--max-header-bytes",
        type=int,
        metavar="B",
        help="largest request line plus headers, else 431 ($MAX_HEADER_BYTES; default 16384)",
    )
    serve.add_argument(
        "--max-headers",
        type=int,
        metavar="N",
        help="most header fields per request, else 431 ($MAX_HEADERS; default 100)",
    )
    serve.add_argument(
        "--header-timeout",
        type=float,
        metavar="S",
        help="seconds to receive a request's headers, else 408 ($HEADER_TIMEOUT_S; default 10)",
    )
    serve.add_argument(
        "--body-timeout",
        type=float,
        metavar="S",
        help="seconds to receive a request's body, else 408 ($BODY_TIMEOUT_S; default 10)",
    )
    serve.add_argument(
        "--crash-limit",
        type=int,
        metavar="N",
        help="stop when N workers crash within the crash window ($CRASH_LIMIT; default 5)",
    )
    serve.add_argument(
        "--crash-window",
        type=float,
        metavar="S",
        help="seconds over which worker crashes are counted ($CRASH_WINDOW_S; default 60)",
    )
    serve.add_argument("--log-level", choices=("debug", "info", "warning", "error"))
    serve.add_argument(
        "--output",
        choices=_OUTPUTS,
        help="what /predict answers ($MODEL_OUTPUT; default "
        "probabilities where the model has them)",
    )
    serve.add_argument(
        "--schema",
        metavar="FILE",
        help="JSON input schema replacing the derived one ($MODEL_SCHEMA)",
    )
    serve.add_argument(
        "--trust-types",
        metavar="T1,T2",
        help="types a .skops file may hold beyond those skops trusts ($MODEL_TRUST_TYPES)",
    )
    serve.add_argument(
        "--task",
        metavar="TASK",
        help="transformers task when the config does not say ($MODEL_TASK): "
        "text-classification, token-classification, feature-extraction, image-classification",
    )
    serve.add_argument(
        "--truncate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="cut texts over the model's maximum length instead of answering 422 ($TRUNCATE)",
    )
    serve.add_argument(
        "--batch-max-tokens",
        type=int,
        metavar="T",
        help="most padded tokens per forward pass of a text model (default 8192)",
    )
    return parser


def settings_from_args(ns: argparse.Namespace, env: Mapping[str, str] | None = None) -> Settings:
    """Settings from parsed ``serve`` flags over the environment."""
    env = os.environ if env is None else env
    given: dict[str, Any] = {k: v for k, v in vars(ns).items() if v is not None}
    given.pop("command", None)
    bare = not given
    s = settings_from_env(env, bare_serve=bare)
    s.port = resolve_port(ns.port, env, bare_serve=bare)
    if ns.port is not None and not 0 <= ns.port <= 65535:
        raise ConfigError(f"--port {ns.port} is out of range; use 0 to 65535")
    for flag, attr, minimum in _FLAG_SETTINGS:
        value = getattr(ns, attr)
        if value is None:
            continue
        if minimum is not None and not value >= minimum:
            raise ConfigError(f"--{flag} {value}: use {minimum} or more")
        setattr(s, _SETTING_NAMES.get(attr, attr), value)
    return s


# (flag, argparse attribute, smallest allowed value) in the order flags are applied.
_FLAG_SETTINGS: tuple[tuple[str, str, float | None], ...] = (
    ("model", "model", None),
    ("model-name", "model_name", None),
    ("host", "host", None),
    ("workers", "workers", 1),
    ("batch-max", "batch_max", 1),
    ("batch-wait-ms", "batch_wait_ms", 0),
    ("batching", "batching", None),
    ("max-body-bytes", "max_body_bytes", 1),
    ("drain-timeout", "drain_timeout", 0),
    ("access-log", "access_log", None),
    ("loop", "loop", None),
    ("http", "http", None),
    ("predict-thread", "predict_thread", None),
    ("queue-max", "queue_max", 0),
    ("keep-alive", "keep_alive", 1),
    ("max-header-bytes", "max_header_bytes", 256),
    ("max-headers", "max_headers", 1),
    ("header-timeout", "header_timeout", 0.1),
    ("body-timeout", "body_timeout", 0.1),
    ("crash-limit", "crash_limit", 1),
    ("crash-window", "crash_window", 1.0),
    ("log-level", "log_level", None),
    ("output", "output", None),
    ("schema", "schema", None),
    ("trust-types", "trust_types", None),
    ("task", "task", None),
    ("truncate", "truncate", None),
    ("batch-max-tokens", "batch_max_tokens", 1),
)
# argparse attributes whose Settings field has another name.
_SETTING_NAMES = {
    "model": "model_path",
    "drain_timeout": "drain_timeout_s",
    "output": "model_output",
    "schema": "model_schema",
    "keep_alive": "keep_alive_s",
    "max_header_bytes": "header_max_bytes",
    "max_headers": "header_max_count",
    "header_timeout": "header_timeout_s",
    "body_timeout": "body_timeout_s",
    "crash_window": "crash_window_s",
    "task": "model_task",
}
_OUTPUTS = ("predict", "predict_proba", "decision_function", "raw")
