"""The serving benchmark's wrk driver against a real wrk and a real local HTTP server."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]


def _wrk_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_wrk", ROOT / "benchmarks" / "contenders" / "wrk.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_wrk"] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    bodies: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Echo.bodies.append(body)
        status = 200 if self.path == "/ok" else 500
        answer = b'{"predictions": [[0.5, 0.5]]}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_real_wrk_posts_the_body_and_reports(server: str, tmp_path: Path) -> None:
    require("wrk")
    wrk = _wrk_module()
    body = json.dumps({"instances": [[1.5, 2.25]]})
    script = wrk.write_post_script(tmp_path / "post.lua", body)
    ok = wrk.run_wrk(f"{server}/ok", script=script, connections=2, seconds=1)
    assert ok.requests > 10 and ok.errors == 0
    assert 0 < ok.p50_ms <= ok.p99_ms <= ok.max_ms
    assert ok.rps == pytest.approx(ok.requests / ok.seconds)
    assert set(_Echo.bodies) == {body.encode()}
    failing = wrk.run_wrk(f"{server}/fail", script=script, connections=1, seconds=1)
    assert failing.errors == failing.errors_by_kind["status"] == failing.requests > 0


def test_parse_rejects_output_without_summary() -> None:
    with pytest.raises(ValueError, match="no WRK_JSON line"):
        _wrk_module().parse_wrk_output("Running 1s test @ http://127.0.0.1:1/\n")
