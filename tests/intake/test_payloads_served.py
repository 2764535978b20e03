"""Sample payloads are accepted by the real runtime server's POST /predict."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from deploy_advisor.intake import ExampleModel, inspect_model, sample_payloads


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post(url: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        answer: dict[str, object] = json.loads(response.read())
        return answer


@pytest.mark.parametrize("kind", ["joblib", "onnx"])
def test_real_server_accepts_every_sample_payload(example: ExampleModel, kind: str) -> None:
    model: Path = example.joblib_path if kind == "joblib" else example.onnx_path
    bodies = sample_payloads(inspect_model(model), count=8)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "deploy_advisor.runtime", "serve", "--model", str(model),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "server not ready"
                time.sleep(0.2)
        for body in bodies:
            answer = _post(f"http://127.0.0.1:{port}/predict", body)
            rows = body.get("instances") or body["records"]
            assert isinstance(rows, list)
            predictions = answer["predictions"]
            assert isinstance(predictions, list) and len(predictions) == len(rows)
    finally:
        server.terminate()
        server.wait(timeout=30)
