"""`deploy-advisor serve MODEL_OR_SCAFFOLD_DIR`, and the runtime working as a scaffold's copy."""

from __future__ import annotations

import ast
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from .conftest import (
    REPO,
    Models,
    _wait_listening,
    free_port,
    server_env,
    start_server,
    wait_ready,
)

RUNTIME = REPO / "deploy_advisor" / "runtime"
ALLOWED_IMPORTS = {
    # standard library modules the runtime uses are allowed; so are these third-party ones
    "numpy",
    "orjson",
    "uvicorn",
}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "deploy_advisor", *args]


def test_serve_a_model_file(tmp_path: Path, models: Models) -> None:
    port = free_port()
    argv = _cli("serve", str(models.rf_joblib), "--port", str(port), "--batch-max", "8")
    with start_server(tmp_path, argv, server_env(models), port=port) as srv:
        r = httpx_post(srv.url, models.X[:2].tolist())
        np.testing.assert_allclose(r["predictions"], models.rf.predict_proba(models.X[:2]))
        listening = next(d for d in srv.log_lines() if d.get("event") == "listening")
        ready = next(d for d in srv.log_lines() if d.get("event") == "ready")
        assert srv.stop() == 0
    assert listening["host"] == "127.0.0.1"  # local by default
    assert ready["batch_max"] == 8
    assert "serving " in srv.log_text()


def test_serve_stops_on_ctrl_c_and_leaves_no_server_behind(tmp_path: Path, models: Models) -> None:
    port = free_port()
    argv = _cli("serve", str(models.rf_onnx), "--port", str(port), "--workers", "2")
    with start_server(tmp_path, argv, server_env(models), port=port) as srv:
        server_pids = {d["pid"] for d in srv.log_lines() if "pid" in d} - {srv.proc.pid}
        assert server_pids  # the server runs in its own processes
        srv.proc.send_signal(signal.SIGINT)  # what a terminal's Ctrl-C sends the CLI
        assert srv.proc.wait(60) == 0
    for pid in server_pids:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_a_model_that_does_not_load_is_one_line_and_exit_2(
    tmp_path: Path, workers: str
) -> None:
    model = tmp_path / "model.joblib"
    model.write_bytes(b"garbage")
    done = subprocess.run(
        _cli("serve", str(model), "--port", str(free_port()), "--workers", workers),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-1].startswith(
        "Error: cannot load the model: model.joblib cannot be unpickled"
    )
    assert "Traceback" not in done.stderr


def test_serve_on_a_busy_port_is_one_line_and_exit_2(models: Models) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run(
            _cli("serve", str(models.rf_onnx), "--port", str(port)),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-1].startswith(f"Error: cannot listen on 127.0.0.1:{port}: ")
    assert done.stderr.splitlines()[-1].endswith("; pick another --port")


def test_serve_honours_port_from_environment(tmp_path: Path, models: Models) -> None:
    port = free_port()
    argv = _cli("serve", str(models.rf_onnx), "--no-access-log")
    with start_server(tmp_path, argv, server_env(models, PORT=str(port)), port=port) as srv:
        r = httpx_post(srv.url, models.X[:1].tolist())
        assert len(r["predictions"]) == 1  # type: ignore[arg-type]
    assert f"on http://127.0.0.1:{port}" in srv.log_text()
    assert not [d for d in srv.log_lines() if d.get("logger") == "access"]


def httpx_post(url: str, rows: list[list[float]]) -> dict[str, object]:
    import httpx

    r = httpx.post(f"{url}/predict", json={"instances": rows}, timeout=30)
    assert r.status_code == 200, r.text
    data: dict[str, object] = r.json()
    return data


def _scaffold(tmp_path: Path, models: Models) -> Path:
    d = tmp_path / "scaffold"
    shutil.copytree(RUNTIME, d / "model_server", ignore=shutil.ignore_patterns("__pycache__"))
    (d / "model").mkdir()
    shutil.copy(models.rf_onnx, d / "model" / "model.onnx")
    lock = {
        "version": 1,
        "target": "docker",
        "mode": "realtime",
        "plan": None,
        "model": {"file": "model/model.onnx", "format": "onnx", "n_features": 30},
        "files": {},
    }
    (d / "deploy-advisor.lock.json").write_text(json.dumps(lock))
    return d


def test_serve_a_scaffold_directory_runs_its_copy(tmp_path: Path, models: Models) -> None:
    scaffold = _scaffold(tmp_path, models)
    port = free_port()
    argv = _cli("serve", str(scaffold), "--port", str(port))
    with start_server(tmp_path, argv, server_env(), port=port) as srv:
        server_pid = next(d["pid"] for d in srv.log_lines() if d.get("event") == "listening")
        cmdline = Path(f"/proc/{server_pid}/cmdline").read_bytes().split(b"\0")
        r = httpx_post(srv.url, models.X[:1].tolist())
    assert b"model_server" in cmdline  # the scaffold's own runtime serves
    assert str(scaffold / "model" / "model.onnx").encode() in cmdline
    np.testing.assert_allclose(r["predictions"], models.rf.predict_proba(models.X[:1]), atol=1e-5)


def test_scaffold_copy_runs_as_model_server(tmp_path: Path, models: Models) -> None:
    """What a container runs: `python -m model_server serve` from the scaffold directory."""
    scaffold = _scaffold(tmp_path, models)
    env = server_env()
    env["PYTHONPATH"] = str(scaffold)
    argv = [
        sys.executable,
        "-m",
        "model_server",
        "serve",
        "--model",
        "model/model.onnx",
        "--port",
        "0",
        "--workers",
        "2",
    ]
    log = tmp_path / "scaffold.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, cwd=scaffold, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        port = _wait_listening(proc, log, time.monotonic() + 90)
        wait_ready(f"http://127.0.0.1:{port}", proc, log, time.monotonic() + 90)
        r = httpx_post(f"http://127.0.0.1:{port}", models.X[:1].tolist())
        assert len(r["predictions"]) == 1  # type: ignore[arg-type]
    finally:
        proc.terminate()
        rc = proc.wait(30)
    assert rc == 0


def test_serve_reports_a_missing_model(tmp_path: Path) -> None:
    done = subprocess.run(
        _cli("serve", str(tmp_path / "nothing.joblib")),
        capture_output=True,
        text=True,
        env=server_env(),
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("Error: model path")
    assert "does not exist" in done.stderr


def test_runtime_imports_nothing_from_deploy_advisor() -> None:
    """Scaffolds copy the runtime verbatim as `model_server`: only relative imports inside it,
    and at module level only the standard library and the serving dependencies."""
    stdlib = set(sys.stdlib_module_names)
    for path in sorted(RUNTIME.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        top_level = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:  # relative: fine
                    continue
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top != "deploy_advisor", f"{path.name} imports {name}"
                if id(node) in top_level and path.name != "score.py":
                    assert top in stdlib or top in ALLOWED_IMPORTS, f"{path.name} imports {name}"
