"""Run the app under uvicorn: one process, or a supervisor with N worker processes.

Listening sockets are created here rather than by uvicorn, with ``IPPROTO_TCP`` as the
protocol: asyncio only sets ``TCP_NODELAY`` on accepted sockets whose protocol says TCP, and
without it Nagle's algorithm meets the client's delayed ACK and adds ~40 ms to small responses
(uvicorn's own multi-worker socket has protocol 0).

With ``workers > 1`` every worker binds its own ``SO_REUSEPORT`` socket, so the kernel spreads
connections over the workers; one shared socket lets whichever worker wakes first take a whole
burst of keep-alive connections.

On SIGTERM or SIGINT the server stops accepting (after taking in, for 50 ms, connections the
kernel had already queued), answers requests on kept-alive connections with ``connection:
close`` for up to a second (so that clients move to another worker instead of sending on a
connection being closed), lets requests in flight finish within the drain timeout, and exits
0. The supervisor forwards the signal to its workers and exits 0 when they do.

Under gunicorn (``worker.py``) a worker takes connections only once its model is ready; until
then they wait in the listening socket's backlog, which outlives the worker (gunicorn's master
holds it, or systemd's socket unit across a restart on a VPS).

The supervisor of ``--workers N`` is in ``supervisor.py``; a replacement worker binds its socket
only once its model is loaded and listens only once its event loop serves, so no connection
waits on a worker still starting.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

from .app import ModelServer
from .config import EXIT_CANNOT_LISTEN, EXIT_STARTUP_FAILURE, Settings
from .loader import LoadedModel, load_model
from .logs import setup_logging, write_termination_message

__all__ = ["listen_socket", "pick_loop", "run", "run_single", "worker_main"]

log = logging.getLogger("model_server")

WORKER_ENV = "MODEL_SERVER_WORKER_SETTINGS"
READY_FLAG_ENV = "MODEL_SERVER_FIRST_READY_FLAG"
BACKLOG = 2048
ACCEPT_GRACE_S = 0.05
CLOSE_IDLE_AFTER_S = 1.0


def listen_socket(
    host: str, port: int, *, reuse_port: bool = False, listen: bool = True
) -> socket.socket:
    """A listening TCP socket whose accepted connections get ``TCP_NODELAY`` from asyncio;
    with ``listen=False`` only bound: asyncio listens once it serves, so that no connection
    waits in its queue while the worker starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def pick_loop(settings: Settings) -> str:
    """The event loop to use: the setting, or for ``auto`` uvloop when it is installed and the
    model is an ONNX file (cheap per call), else asyncio.

    Blocking predict calls (forests: milliseconds each) starve some connections on uvloop and
    stretch p99 by an order of magnitude; asyncio stays fair. Cheap models gain throughput
    from uvloop."""
    if settings.loop != "auto":
        return settings.loop
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    path = str(settings.model_path or "")
    return "uvloop" if path.endswith(".onnx") else "asyncio"


def pick_http(settings: Settings) -> str:
    if settings.http != "auto":
        return settings.http
    try:
        import httptools  # noqa: F401
    except ImportError:
        return "h11"
    return "httptools"


class _Server(uvicorn.Server):
    """uvicorn's server without re-raising the stop signal after the graceful shutdown (which
    would end the process with -SIGTERM instead of 0), telling the app to report draining."""

    def __init__(
        self, config: uvicorn.Config, app: ModelServer, *, accept_when_ready: bool = False
    ) -> None:
        super().__init__(config)
        self.app = app
        self.accept_when_ready = accept_when_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        if self.accept_when_ready and sockets:
            # Take no connection before the model is ready: on a socket that outlives the
            # server (systemd's, gunicorn's master's) they wait in its backlog meanwhile.
            app_startup = self.lifespan.startup

            async def startup_until_ready() -> None:
                await app_startup()
                await self._until_ready()

            self.lifespan.startup = startup_until_ready
        await super().startup(sockets=sockets)

    async def _until_ready(self) -> None:
        """Until the model is ready, it failed or a signal came; gunicorn's master still hears
        from the worker meanwhile, so that a long load is not taken for a hung worker."""
        notified = time.monotonic()
        while not (self.app.ready or self.should_exit or self.app.fatal_exit_code is not None):
            await asyncio.sleep(0.05)
            notify = self.config.callback_notify
            if notify is not None and time.monotonic() - notified > self.config.timeout_notify:
                notified = time.monotonic()
                await notify()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        signals = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in signals}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Connections the kernel has already queued, and requests already sent on fresh
        # connections, are served rather than reset: take them in for a moment, then stop
        # accepting and read what they sent, and only then close the idle connections.
        await asyncio.sleep(ACCEPT_GRACE_S)
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        await asyncio.sleep(ACCEPT_GRACE_S)
        # Kept-alive connections are not closed at once, under a request a client may be
        # sending: for a moment each answers with `connection: close`, so that clients move
        # to another worker; only then are the idle ones closed.
        started = time.monotonic()
        drain = self.config.timeout_graceful_shutdown or 0.0
        connections = self.server_state.connections
        for connection in list(connections):
            drain_connection = getattr(connection, "drain", None)  # LimitedHttpTools
            if drain_connection is not None:
                drain_connection()
        while connections and time.monotonic() - started < min(CLOSE_IDLE_AFTER_S, drain):
            await asyncio.sleep(0.02)
        left = max(0.0, drain - (time.monotonic() - started))
        self.config.timeout_graceful_shutdown = left  # type: ignore[assignment]
        await super().shutdown(sockets=None)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self.should_exit:
            self.app.begin_drain()
            log.info(
                "stopping: finishing requests in flight",
                extra={
                    "fields": {
                        "event": "draining",
                        "signal": signal.Signals(sig).name,
                        "in_flight": self.app.metrics.in_flight,
                        "drain_timeout_s": self.config.timeout_graceful_shutdown,
                    }
                },
            )
        super().handle_exit(sig, frame)


def http_protocol(settings: Settings) -> Any:
    """The HTTP protocol: httptools with this server's limits, or uvicorn's h11 (whose only
    limit is the size of the request head, answered with 400)."""
    http = pick_http(settings)
    if http != "httptools":
        return http
    from .limits import limited_protocol  # imports httptools

    return limited_protocol(settings)


def uvicorn_config(app: ModelServer, settings: Settings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop=pick_loop(settings),
        http=http_protocol(settings),
        h11_max_incomplete_event_size=settings.header_max_bytes,
        ws="none",
        lifespan="on",
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=settings.keep_alive_s,
        timeout_graceful_shutdown=settings.drain_timeout_s,  # type: ignore[arg-type]
        backlog=BACKLOG,
    )


def run_single(
    settings: Settings,
    sock: socket.socket | None = None,
    worker_id: int = 0,
    model: LoadedModel | None = None,
    on_ready: Callable[[], None] | None = None,
) -> int:
    """Serve in this process until a stop signal; returns the exit code. Without ``model``
    the model loads after the server starts answering (``/readyz`` says 503 meanwhile)."""
    setup_logging(settings.log_level)
    app = ModelServer(settings, model=model)
    if sock is None:
        sock = listen_socket(settings.host, settings.port)
        _log_listening(settings, sock, 1)
    config = uvicorn_config(app, settings)
    server = _Server(config, app)

    def fatal(code: int) -> None:
        server.should_exit = True

    app.on_fatal = fatal
    app.on_ready = on_ready
    log.info(
        "worker started",
        extra={
            "fields": {
                "event": "worker_started",
                "worker": worker_id,
                "loop": config.loop,
                "http": pick_http(settings),
                "model": str(app.model_file),
            }
        },
    )
    server.run(sockets=[sock])
    if app.fatal_exit_code is not None:
        return app.fatal_exit_code
    if not server.started:
        return EXIT_STARTUP_FAILURE
    return 0


def _log_listening(settings: Settings, sock: socket.socket, workers: int) -> None:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    log.info(
        "listening on http://%s:%d",
        shown,
        port,
        extra={
            "fields": {
                "event": "listening",
                "url": f"http://{shown}:{port}",
                "host": host,
                "port": port,
                "workers": workers,
            }
        },
    )


# --- several processes ---------------------------------------------------------------------


def _die_with_parent(parent: int) -> None:
    """Linux: receive SIGTERM when the supervisor dies, so no worker outlives it."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)


def worker_main(settings_json: str) -> int:
    """Entry point of a worker process started by the supervisor."""
    settings = Settings.from_json(settings_json)
    worker_id = int(os.environ.get("MODEL_SERVER_WORKER_ID", "0"))
    parent = int(os.environ.get("MODEL_SERVER_SUPERVISOR_PID", "0"))
    if parent:
        _die_with_parent(parent)
    setup_logging(settings.log_level)
    phase = os.environ.get("MODEL_SERVER_WORKER_PHASE", "initial")
    if phase == "initial" and worker_id == 0:
        # The first worker answers at once, so that /livez works and /readyz says 503 while
        # the model loads.
        first = listen_socket(settings.host, settings.port, reuse_port=True)
        return run_single(settings, first, worker_id, on_ready=_first_ready_signal())
    # The others never answer "not ready": at start-up they join the port at once (so the
    # kernel spreads the first connections over every worker) but accept only once their
    # model is loaded; a replacement worker joins the port only once it can serve.
    sock: socket.socket | None = None
    if phase == "initial":
        sock = listen_socket(settings.host, settings.port, reuse_port=True)

    def stop_while_loading(sig: int, frame: FrameType | None) -> None:
        raise SystemExit(0)  # nothing in flight yet: a clean stop

    previous = signal.signal(signal.SIGTERM, stop_while_loading)
    try:
        model = load_model(settings.model_path)
        if phase == "initial":
            # Accept only once the first worker says ready: /readyz answering 200 from one
            # process must never be followed by a 503 from another that is still loading.
            _wait_for_first_ready()
    except Exception as exc:
        log.error(
            "cannot load the model: %s",
            exc,
            extra={"fields": {"event": "load_failed", "model": settings.model_path}},
        )
        write_termination_message(f"cannot load the model: {exc}")
        return EXIT_STARTUP_FAILURE
    finally:
        signal.signal(signal.SIGTERM, previous)
    if sock is None:  # a replacement: it joins the port once its event loop serves
        sock = listen_socket(settings.host, settings.port, reuse_port=True, listen=False)
    return run_single(settings, sock, worker_id, model=model)


def _first_ready_signal() -> Callable[[], None] | None:
    """The first worker's callback, run once its model is ready: it creates the flag file."""
    flag = os.environ.get(READY_FLAG_ENV)
    if not flag:
        return None
    return lambda: Path(flag).touch()


def _wait_for_first_ready() -> None:
    flag = os.environ.get(READY_FLAG_ENV)
    while flag and not Path(flag).exists():
        time.sleep(0.02)


def _cannot_listen(settings: Settings, exc: OSError) -> int:
    log.error("cannot listen on %s:%s: %s", settings.host, settings.port, exc)
    write_termination_message(
        f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}"
    )
    return EXIT_CANNOT_LISTEN


def run(settings: Settings) -> int:
    """Serve with the settings in this one process (``--workers 1``); returns the exit code.
    ``--workers N`` runs :func:`.supervisor.run_supervisor` instead."""
    setup_logging(settings.log_level)
    try:
        sock = listen_socket(settings.host, settings.port)
    except OSError as exc:
        return _cannot_listen(settings, exc)
    _log_listening(settings, sock, 1)
    return run_single(settings, sock)
