"""The contenders as real server processes on free loopback ports, and their lifecycle."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ROOT", "Endpoint", "RunningServer", "ServerSpec", "server_specs", "start_server"]

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NOOP_PATH = "/noop"


@dataclass(frozen=True)
class Endpoint:
    """One row of the benchmark: a path on a server, and whether to check its predictions."""

    name: str
    label: str
    path: str
    checks_predictions: bool = True


@dataclass(frozen=True)
class ServerSpec:
    """How to start one contender server; `prepare` makes files it needs in the work dir."""

    name: str
    venv: str
    command: Callable[[Path, int], list[str]]
    ready_path: str
    endpoints: tuple[Endpoint, ...]
    cwd: Path = ROOT
    prepare: Callable[[Path], None] | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def bin(self) -> Path:
        return ROOT / self.venv / "bin"


@dataclass
class RunningServer:
    spec: ServerSpec
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        """SIGTERM to the server's own process group, SIGKILL if it is still there after 15 s."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)


def server_specs(model_dir: Path) -> list[ServerSpec]:
    """Every contender, in the order they are interleaved."""
    joblib_model, onnx_model = model_dir / "model.joblib", model_dir / "model.onnx"

    def ours(model: Path) -> Callable[[Path, int], list[str]]:
        return lambda work, port: [
            str(ROOT / ".venv/bin/python"), "-m", "deploy_advisor.runtime", "serve",
            "--model", str(model), "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
        ]  # fmt: skip

    def bento(service: str) -> Callable[[Path, int], list[str]]:
        return lambda work, port: [
            str(ROOT / ".venv-bench-bentoml/bin/bentoml"), "serve", f"bentoml_service:{service}",
            "--host", "127.0.0.1", "--port", str(port),
        ]  # fmt: skip

    def save_mlflow(work: Path) -> None:
        subprocess.run(
            [str(ROOT / ".venv-bench-mlflow/bin/python"), str(HERE / "mlflow_save.py"),
             str(joblib_model), str(work / "mlflow-model")],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip

    model_env = {"BENCH_MODEL": str(joblib_model)}
    return [
        ServerSpec(
            name="ours-joblib",
            venv=".venv",
            command=ours(joblib_model),
            ready_path="/readyz",
            endpoints=(Endpoint("ours-joblib", "ours, RF joblib, 2 workers", "/predict"),),
        ),
        ServerSpec(
            name="ours-onnx",
            venv=".venv",
            command=ours(onnx_model),
            ready_path="/readyz",
            endpoints=(
                Endpoint("ours-onnx", "ours, RF as ONNX, 2 workers", "/predict"),
                Endpoint("ours-noop", "ours, no-op endpoint (HTTP floor)", NOOP_PATH, False),
            ),
        ),
        ServerSpec(
            name="bentoml-default",
            venv=".venv-bench-bentoml",
            command=bento("RFDefault"),
            ready_path="/readyz",
            endpoints=(Endpoint("bentoml-default", "BentoML 1.4, default", "/predict"),),
            cwd=HERE,
            env={**model_env, "BENTOML_DO_NOT_TRACK": "true"},
        ),
        ServerSpec(
            name="bentoml-batchable",
            venv=".venv-bench-bentoml",
            command=bento("RFBatchable"),
            ready_path="/readyz",
            endpoints=(Endpoint("bentoml-batchable", "BentoML 1.4, batchable", "/predict"),),
            cwd=HERE,
            env={**model_env, "BENTOML_DO_NOT_TRACK": "true"},
        ),
        ServerSpec(
            name="mlflow",
            venv=".venv-bench-mlflow",
            command=lambda work, port: [
                str(ROOT / ".venv-bench-mlflow/bin/mlflow"),
                "models",
                "serve",
                "-m",
                str(work / "mlflow-model"),
                "--env-manager",
                "local",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],  # fmt: skip
            ready_path="/ping",
            endpoints=(Endpoint("mlflow", "MLflow 3 models serve", "/invocations"),),
            prepare=save_mlflow,
            env={"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"},
        ),
        ServerSpec(
            name="flask-dev",
            venv=".venv-bench-flask",
            command=lambda work, port: [
                str(ROOT / ".venv-bench-flask/bin/python"),
                "flask_app.py",
                str(port),
            ],
            ready_path="/ping",
            endpoints=(Endpoint("flask-dev", "Flask dev server (threaded)", "/predict"),),
            cwd=HERE,
            env=model_env,
        ),
        ServerSpec(
            name="flask-gunicorn",
            venv=".venv-bench-flask",
            command=lambda work, port: [
                str(ROOT / ".venv-bench-flask/bin/gunicorn"),
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{port}",
                "flask_app:app",
            ],  # fmt: skip
            ready_path="/ping",
            endpoints=(Endpoint("flask-gunicorn", "Flask + gunicorn, 2 sync workers", "/predict"),),
            cwd=HERE,
            env=model_env,
        ),
    ]


def start_server(spec: ServerSpec, *, work: Path, ready_timeout_s: float = 180.0) -> RunningServer:
    """Start the server in its own session, logging to the work dir; wait until it is ready."""
    if not (spec.bin / "python").exists():
        raise RuntimeError(f"{spec.venv} is missing; run `make bench-serving`, which creates it")
    if spec.prepare is not None:
        spec.prepare(work)
    port = _free_port()
    log = work / f"{spec.name}.log"
    env = {**os.environ, **spec.env, "PATH": f"{spec.bin}:{os.environ.get('PATH', '')}"}
    env.pop("VIRTUAL_ENV", None)
    with log.open("wb") as handle:
        process = subprocess.Popen(
            spec.command(work, port),
            cwd=spec.cwd,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = RunningServer(spec=spec, process=process, port=port, log=log)
    deadline = time.monotonic() + ready_timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{spec.name} exited with {process.returncode}: {_tail(log)}")
        if _get_ok(server.url(spec.ready_path)):
            return server
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"{spec.name} not ready after {ready_timeout_s:.0f} s: {_tail(log)}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _tail(log: Path, lines: int = 5) -> str:
    text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " | ".join(text[-lines:])
