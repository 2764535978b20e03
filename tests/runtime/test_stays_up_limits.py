"""Hostile clients: oversized or too many headers (431), slow heads and bodies (408), and a stalled
body during shutdown, against the real server process."""

from __future__ import annotations

import concurrent.futures
import select
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Models, Server, serve_model, wait_in_flight
from .stays_up import rss_bytes

CHUNK = b"a" * 65536


def _connect(srv: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", srv.port), timeout=10)


def _response(sock: socket.socket, timeout: float = 10.0) -> bytes:
    """What the server answered until it closed the connection (or ``timeout`` passed)."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            part = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not part:
            break
        data += part
    return data


def _send_huge_header(srv: Server, most_bytes: int) -> tuple[bytes, int, float]:
    """Send one header value of up to ``most_bytes`` until the server answers: ``(answer,
    bytes sent, seconds)``."""
    started = time.monotonic()
    with _connect(srv) as sock:
        sock.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sent = 0
        while sent < most_bytes:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(CHUNK)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(CHUNK)
        return _response(sock), sent, time.monotonic() - started


@pytest.fixture(scope="module")
def limited(models: Models, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve_model(
        tmp_path_factory.mktemp("limits"),
        models,
        models.rf_joblib,
        "--header-timeout",
        "1",
        "--body-timeout",
        "1",
    ) as srv:
        yield srv


def test_an_oversized_header_is_refused_fast_with_bounded_memory(limited: Server) -> None:
    before = rss_bytes(limited.proc.pid)
    answer, sent, took = _send_huge_header(limited, 256 << 20)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b"16384 bytes" in answer
    assert sent < 8 << 20  # refused after the first few chunks, not after 256 MB
    assert took < 5.0
    assert rss_bytes(limited.proc.pid) - before < 32 << 20


def test_eight_oversized_headers_at_once_leave_other_clients_served(limited: Server) -> None:
    before = rss_bytes(limited.proc.pid)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(_send_huge_header, limited, 64 << 20) for _ in range(8)]
        with httpx.Client(base_url=limited.url, timeout=10) as c:
            t = time.perf_counter()
            assert c.get("/livez").status_code == 200
            livez = time.perf_counter() - t
        results = [f.result(60) for f in futures]
    assert all(answer.startswith(b"HTTP/1.1 431 ") for answer, _, _ in results)
    assert rss_bytes(limited.proc.pid) - before < 64 << 20
    assert livez < 2.0


def test_too_many_header_fields_are_refused(limited: Server) -> None:
    headers = {f"x-h{i}": "1" for i in range(150)}
    r = httpx.get(f"{limited.url}/livez", headers=headers, timeout=10)
    assert r.status_code == 431
    assert "100 header fields" in r.json()["error"]
    ok = httpx.get(f"{limited.url}/livez", headers=dict(list(headers.items())[:50]), timeout=10)
    assert ok.status_code == 200


def test_a_head_that_stalls_gets_408(limited: Server) -> None:
    with _connect(limited) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        answer = _response(sock)
        took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert 0.8 < took < 5.0


def test_an_idle_connection_is_closed_without_an_answer(limited: Server) -> None:
    with _connect(limited) as sock:
        started = time.monotonic()
        assert _response(sock) == b""
        assert time.monotonic() - started < 5.0


def test_a_body_that_stalls_gets_408_and_the_server_goes_on(limited: Server) -> None:
    with _connect(limited) as sock:
        started = time.monotonic()
        sock.sendall(
            b"POST /predict HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
            b"content-length: 1000\r\n\r\n"
            b'{"instances": [[1'
        )
        answer = _response(sock)
        took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b"body" in answer
    assert 0.8 < took < 5.0
    assert httpx.get(f"{limited.url}/livez", timeout=10).status_code == 200


def test_a_stalled_body_never_delays_shutdown_past_the_drain_timeout(
    tmp_path: Path, models: Models
) -> None:
    drain = 2.0
    with (
        serve_model(
            tmp_path,
            models,
            models.rf_joblib,
            "--body-timeout",
            "120",
            "--drain-timeout",
            str(drain),
        ) as srv,
        _connect(srv) as sock,
    ):
        sock.sendall(
            b"POST /predict HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
            b"content-length: 1000\r\n\r\n{"
        )
        wait_in_flight(srv)  # the app is waiting for the rest of the body
        started = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        rc = srv.proc.wait(30)
        took = time.monotonic() - started
    assert rc == 0
    assert took < drain + 2.0


def test_pipelined_requests_are_answered_and_each_head_is_limited(limited: Server) -> None:
    with _connect(limited) as sock:
        sock.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n" * 2)
        sock.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        answer = _response(sock, timeout=5.0)
    assert answer.count(b"HTTP/1.1 200 ") == 2, answer[:300]
    assert b"HTTP/1.1 431 " in answer
