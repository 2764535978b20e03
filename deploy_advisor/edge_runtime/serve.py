"""A tiny HTTP mode on the standard library: POST /predict, GET /healthz."""

from __future__ import annotations

import json
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .model import EdgeModel, memory_mb
from .rows import parse_rows

__all__ = ["serve"]

MAX_BODY_BYTES = 1 << 20


def serve(model: EdgeModel, *, host: str, port: int) -> None:
    """Answer until Ctrl-C or SIGTERM (`docker stop`); print the address it listens on."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path == "/healthz":
                self._reply(
                    200, {"status": "ok", "load_seconds": model.load_seconds, **memory_mb()}
                )
            else:
                self._reply(404, {"error": f"no route {self.path}; use POST /predict"})

        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/predict":
                self._reply(404, {"error": f"no route {self.path}; use POST /predict"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._reply(413, {"error": f"body over {MAX_BODY_BYTES} bytes"})
                return
            try:
                text = self.rfile.read(length).decode("utf-8")
                rows = parse_rows(text, fmt="json", columns=model.columns)
                self._reply(200, {"predictions": model.records(rows)})
            except (ValueError, UnicodeDecodeError) as exc:
                self._reply(400, {"error": str(exc)})

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    bound_port = server.server_address[1]
    try:
        # As PID 1 in a container a signal without a handler is ignored: SIGTERM ends the
        # server like Ctrl-C does, so `docker stop` returns at once and the exit code is 0.
        signal.signal(signal.SIGTERM, _interrupt)
        print(f"listening on http://{host}:{bound_port}", file=sys.stderr, flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
