"""A gunicorn worker class for this app:
``gunicorn -k model_server.worker.UvicornWorker 'model_server.app:create_app()'``.

It differs from uvicorn's own worker in six ways:

* accepted connections get ``TCP_NODELAY`` on the asyncio loop: gunicorn creates its listening
  sockets with protocol 0, so asyncio skips ``TCP_NODELAY`` and small responses wait ~40 ms
  for the client's delayed ACK. The worker serves a duplicate of each socket whose protocol the
  kernel reports (``IPPROTO_TCP``);
* the event loop is asyncio (fair to every connection while a forest predicts; see
  ``server.py``) and the HTTP parser httptools when installed;
* requests in flight get ``$DRAIN_TIMEOUT_S`` (else gunicorn's ``graceful_timeout``) to finish
  on SIGTERM, and the worker then exits 0 instead of re-raising the signal;
* the request limits and timeouts of ``limits.py`` apply, from the environment
  (``$MAX_HEADER_BYTES``, ``$BODY_TIMEOUT_S`` and the rest);
* a model that cannot be loaded stops the worker with gunicorn's boot-error code, so gunicorn
  halts instead of restarting it forever;
* it accepts connections only once its model is ready: until then they wait in the socket's
  backlog instead of getting 503, so a restart on a socket systemd holds (a VPS's
  ``<app>.socket``, passed as ``LISTEN_FDS``) answers every request, late rather than never.

gunicorn shares one listening socket between its workers, which balances keep-alive
connections unevenly; ``python -m model_server serve --workers N`` gives each worker its own
``SO_REUSEPORT`` socket instead.
"""

from __future__ import annotations

import importlib
import os
import socket
import sys
import warnings
from typing import Any

import uvicorn

with warnings.catch_warnings():
    # uvicorn.workers is deprecated in favour of the uvicorn-worker package; use either.
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        _BaseWorker: Any = importlib.import_module("uvicorn_worker").UvicornWorker
    except ImportError:
        _BaseWorker = importlib.import_module("uvicorn.workers").UvicornWorker

from .app import ModelServer
from .config import ConfigError, settings_from_env
from .logs import setup_logging
from .server import _Server, http_protocol

__all__ = ["UvicornWorker", "tcp_socket"]

EXIT_BOOT_ERROR = 3  # gunicorn's Arbiter.WORKER_BOOT_ERROR


def tcp_socket(sock: Any) -> socket.socket:
    """A duplicate of ``sock`` (a socket or gunicorn's wrapper) whose ``proto`` is what the
    kernel reports, so that asyncio sets ``TCP_NODELAY`` on accepted connections."""
    raw = getattr(sock, "sock", sock)
    return socket.socket(fileno=os.dup(raw.fileno()))


class UvicornWorker(_BaseWorker):  # type: ignore[misc]
    CONFIG_KWARGS: dict[str, Any] = {  # noqa: RUF012 - gunicorn reads this class attribute
        "loop": "asyncio",
        "http": "auto",
        "lifespan": "on",
        "ws": "none",
        "access_log": False,
        "proxy_headers": False,
        "server_header": False,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        setup_logging(os.environ.get("LOG_LEVEL", "info"))
        drain = os.environ.get("DRAIN_TIMEOUT_S", "").strip()
        try:
            self.config.timeout_graceful_shutdown = (
                float(drain) if drain else float(self.cfg.graceful_timeout)
            )
        except ValueError:
            self.config.timeout_graceful_shutdown = float(self.cfg.graceful_timeout)
        try:
            settings = settings_from_env()
        except ConfigError:
            return  # create_app() reports the bad value and the worker stops
        self.config.http = http_protocol(settings)
        self.config.h11_max_incomplete_event_size = settings.header_max_bytes
        if os.environ.get("KEEP_ALIVE_S", "").strip():  # else gunicorn's --keep-alive
            self.config.timeout_keep_alive = settings.keep_alive_s

    async def _serve(self) -> None:
        app = self.wsgi
        self.config.app = app
        server: uvicorn.Server
        if isinstance(app, ModelServer):
            server = _Server(config=self.config, app=app, accept_when_ready=True)

            def fatal(code: int) -> None:
                server.should_exit = True

            app.on_fatal = fatal
        else:  # some other ASGI app: plain uvicorn server
            server = uvicorn.Server(config=self.config)
        self._install_sigquit_handler()
        sockets = [tcp_socket(s) for s in self.sockets]
        await server.serve(sockets=sockets)
        if not server.started:
            sys.exit(EXIT_BOOT_ERROR)
        if isinstance(app, ModelServer) and app.fatal_exit_code is not None:
            sys.exit(EXIT_BOOT_ERROR)
