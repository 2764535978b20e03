"""Ports and routes chosen by platforms: $PORT, Vertex AI's AIP_* variables, SageMaker's 8080."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from deploy_advisor.runtime.config import (
    ConfigError,
    build_parser,
    resolve_port,
    settings_from_args,
    settings_from_env,
)

from .conftest import Models, free_port, runtime_argv, server_env, start_server


def _settings(argv: list[str], env: dict[str, str]):  # type: ignore[no-untyped-def]
    return settings_from_args(build_parser("x").parse_args(argv), env)


def test_resolve_port_order() -> None:
    assert resolve_port(9000, {"PORT": "1", "AIP_HTTP_PORT": "2"}) == 9000
    assert resolve_port(None, {"PORT": "5001", "AIP_HTTP_PORT": "2"}) == 5001
    assert resolve_port(None, {"AIP_HTTP_PORT": "7080"}) == 7080
    assert resolve_port(None, {}) == 8000
    assert resolve_port(None, {}, bare_serve=True) == 8080
    assert resolve_port(None, {"PORT": "5002"}, bare_serve=True) == 5002
    assert resolve_port(None, {"PORT": " "}) == 8000
    with pytest.raises(ConfigError, match="PORT='http' is not a whole number"):
        resolve_port(None, {"PORT": "http"})
    with pytest.raises(ConfigError, match="PORT=70000 is out of range"):
        resolve_port(None, {"PORT": "70000"})


def test_bare_serve_is_the_sagemaker_contract() -> None:
    bare = _settings(["serve"], {})
    assert (bare.host, bare.port, bare.model_path) == ("0.0.0.0", 8080, None)
    local = _settings(["serve", "--model", "m.joblib"], {})
    assert (local.host, local.port) == ("127.0.0.1", 8000)
    assert _settings(["serve"], {"HOST": "127.0.0.1"}).host == "127.0.0.1"
    assert _settings(["serve"], {"PORT": "9999"}).port == 9999


def test_flags_win_over_environment() -> None:
    env = {
        "PORT": "1234",
        "WORKERS": "3",
        "BATCH_MAX_SIZE": "8",
        "BATCH_MAX_WAIT_MS": "2.5",
        "BATCHING": "off",
        "MAX_BODY_BYTES": "99",
        "DRAIN_TIMEOUT_S": "4",
        "ACCESS_LOG": "off",
        "MODEL_NAME": "m",
    }
    from_env = settings_from_env(env)
    assert (from_env.port, from_env.workers, from_env.batch_max) == (1234, 3, 8)
    assert from_env.batch_wait_ms == 2.5 and from_env.batching is False
    assert (from_env.max_body_bytes, from_env.drain_timeout_s) == (99, 4.0)
    assert from_env.access_log is False and from_env.model_name == "m"
    s = _settings(
        [
            "serve",
            "--model",
            "x",
            "--port",
            "80",
            "--workers",
            "2",
            "--batch-max",
            "16",
            "--batching",
        ],
        env,
    )
    assert (s.port, s.workers, s.batch_max, s.batching) == (80, 2, 16, True)
    with pytest.raises(ConfigError, match="BATCHING='maybe'"):
        settings_from_env({"BATCHING": "maybe"})
    with pytest.raises(ConfigError, match="AIP_PREDICT_ROUTE='predict' must be a path"):
        settings_from_env({"AIP_PREDICT_ROUTE": "predict"})


def test_port_from_environment(tmp_path: Path, models: Models) -> None:
    port = free_port()
    argv = runtime_argv("--model", str(models.rf_joblib))
    with start_server(tmp_path, argv, server_env(models, PORT=str(port))) as srv:
        assert srv.port == port
        r = httpx.post(f"{srv.url}/predict", json={"instances": models.X[:1].tolist()})
        assert r.status_code == 200


def test_vertex_ai_port_and_routes(tmp_path: Path, models: Models) -> None:
    port = free_port()
    env = server_env(
        models,
        AIP_HTTP_PORT=str(port),
        AIP_PREDICT_ROUTE="/v1/endpoints/e/deployedModels/m:predict",
        AIP_HEALTH_ROUTE="/health",
    )
    with start_server(tmp_path, runtime_argv("--model", str(models.rf_joblib)), env) as srv:
        assert srv.port == port
        with srv.client() as c:
            health = c.get("/health")
            r = c.post(
                "/v1/endpoints/e/deployedModels/m:predict",
                json={"instances": models.X[:2].tolist(), "parameters": {}},
            )
            paths = c.get("/openapi.json").json()["paths"]
    assert health.status_code == 200
    assert r.status_code == 200
    assert len(r.json()["predictions"]) == 2
    assert "/v1/endpoints/e/deployedModels/m:predict" in paths and "/health" in paths


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def test_bare_serve_listens_on_8080(tmp_path: Path, models: Models) -> None:
    if not _port_free(8080):
        pytest.fail("port 8080 is in use: free it to test the bare `serve` (SageMaker) start")
    model_dir = tmp_path / "opt-ml-model"
    model_dir.mkdir()
    shutil.copy(models.rf_joblib, model_dir / "model.joblib")
    env = server_env(models, MODEL_PATH=str(model_dir))
    with start_server(tmp_path, runtime_argv(), env) as srv:
        assert srv.port == 8080
        listening = next(d for d in srv.log_lines() if d.get("event") == "listening")
        assert listening["host"] == "0.0.0.0"
        with srv.client() as c:
            assert c.get("/ping").status_code == 200
            r = c.post("/invocations", content="1,2", headers={"content-type": "text/csv"})
            assert r.status_code == 422


def test_busy_port_is_reported(tmp_path: Path, models: Models) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        for extra in ([], ["--workers", "2"]):
            done = subprocess.run(
                runtime_argv("--model", str(models.rf_joblib), "--port", str(port), *extra),
                env=server_env(models),
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 2, done.stderr
            assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
