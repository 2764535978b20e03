"""Every contender server for every model, in the order they are interleaved.

The forest is served by every contender (ours from joblib and ONNX, BentoML default and
batchable, MLflow, Flask dev and gunicorn, MLServer, LitServe); the churn pipeline, XGBoost and
LightGBM models by ours, MLServer and LitServe.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from .mlserver_config import DEFAULT_PARALLEL_WORKERS, write_repository
from .models import BenchModel
from .servers import HERE, NOOP_PATH, ROOT, Endpoint, ServerSpec, free_port

__all__ = ["CONTENDERS", "server_specs"]

CONTENDERS = ("ours", "bentoml", "mlflow", "flask", "mlserver", "litserve")
LITSERVE_LABEL = "LitServe 0.2, batching 64/5 ms, 2 workers"
Command = Callable[[Path, int], list[str]]
LOOPBACK = "127.0.0.1"


def server_specs(
    models: dict[str, BenchModel], *, mlserver_workers: int = DEFAULT_PARALLEL_WORKERS
) -> list[ServerSpec]:
    """The servers for each model: the forest's full field, then ours, MLServer, LitServe."""
    specs: list[ServerSpec] = []
    for kind, model in models.items():
        if kind == "forest":
            specs += _forest_specs(model)
        else:
            specs.append(_ours(f"ours-{kind}", kind, model.joblib_path, "ours, 2 workers"))
        specs += [_mlserver(model, mlserver_workers), _litserve(model)]
    return specs


def _command(venv: str, program: str, *args: str) -> Command:
    """``program`` from ``venv``'s bin with ``args``, where ``{port}`` and ``{work}`` stand for
    the server's port and work directory."""

    def command(work: Path, port: int) -> list[str]:
        filled = (a.replace("{port}", str(port)).replace("{work}", str(work)) for a in args)
        return [str(ROOT / venv / "bin" / program), *filled]

    return command


def _server(
    name: str,
    contender: str,
    model: str,
    venv: str,
    command: Command,
    ready_path: str,
    endpoint: tuple[str, str] | tuple[str, str, str],
    **more: Any,
) -> ServerSpec:
    """A server with one endpoint named after it: ``(label, path[, protocol])``."""
    return ServerSpec(
        name=name,
        contender=contender,
        model=model,
        venv=venv,
        command=command,
        ready_path=ready_path,
        endpoints=(Endpoint(name, *endpoint),),
        **more,
    )


def _ours(name: str, model: str, model_file: Path, label: str) -> ServerSpec:
    command = _command(
        ".venv", "python", "-m", "deploy_advisor.runtime", "serve", "--model", str(model_file),
        "--host", LOOPBACK, "--port", "{port}", "--workers", "2",
    )  # fmt: skip
    return _server(name, "ours", model, ".venv", command, "/readyz", (label, "/predict", "ours"))


def _mlserver(model: BenchModel, parallel_workers: int) -> ServerSpec:
    def prepare(work: Path) -> None:
        write_repository(model, grpc_port=free_port(), parallel_workers=parallel_workers)

    label = f"MLServer 1.7, batching 64/5 ms, parallel_workers {parallel_workers}"
    venv = ".venv-bench-mlserver"
    return _server(
        f"mlserver-{model.kind}",
        "mlserver",
        model.kind,
        venv,
        _command(venv, "mlserver", "start", str(model.directory)),
        f"/v2/models/{model.kind}/ready",
        (label, f"/v2/models/{model.kind}/infer", "v2"),
        prepare=prepare,
        # The pickles the other contenders load carry n_jobs=1; MLServer loads the native files,
        # whose thread count is OpenMP's default: one thread each, like the others.
        env={"MLSERVER_HOST": LOOPBACK, "OMP_NUM_THREADS": "1"},
        port_env="MLSERVER_HTTP_PORT",
    )


def _litserve(model: BenchModel) -> ServerSpec:
    venv = ".venv-bench-litserve"
    return _server(
        f"litserve-{model.kind}",
        "litserve",
        model.kind,
        venv,
        _command(venv, "python", "litserve_app.py", "{port}"),
        "/health",
        (LITSERVE_LABEL, "/predict", "litserve"),
        cwd=HERE,
        env={
            "BENCH_MODEL": str(model.joblib_path),
            "BENCH_FRAME": "1" if model.is_frame else "0",
            "LITSERVE_DISABLE_TELEMETRY": "1",
        },
    )


def _forest_specs(model: BenchModel) -> list[ServerSpec]:
    joblib_model, onnx_model = model.joblib_path, model.directory / "model.onnx"

    def save_mlflow(work: Path) -> None:
        subprocess.run(
            [str(ROOT / ".venv-bench-mlflow/bin/python"), str(HERE / "mlflow_save.py"),
             str(joblib_model), str(work / "mlflow-model")],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip

    model_env = {"BENCH_MODEL": str(joblib_model)}
    bento_env = {**model_env, "BENTOML_DO_NOT_TRACK": "true"}
    bento, flask = ".venv-bench-bentoml", ".venv-bench-flask"
    onnx = _ours("ours-onnx", "forest", onnx_model, "ours, RF as ONNX, 2 workers")
    noop = Endpoint("ours-noop", "ours, no-op endpoint (HTTP floor)", NOOP_PATH, "ours", False)
    return [
        _ours("ours-joblib", "forest", joblib_model, "ours, RF joblib, 2 workers"),
        replace(onnx, endpoints=(*onnx.endpoints, noop)),
        *(
            _server(
                f"bentoml-{variant}", "bentoml", "forest", bento,
                _command(bento, "bentoml", "serve", f"bentoml_service:{service}",
                         "--host", LOOPBACK, "--port", "{port}"),
                "/readyz", (f"BentoML 1.4, {variant}", "/predict"), cwd=HERE, env=bento_env,
            )
            for variant, service in (("default", "RFDefault"), ("batchable", "RFBatchable"))
        ),
        _server(
            "mlflow", "mlflow", "forest", ".venv-bench-mlflow",
            _command(".venv-bench-mlflow", "mlflow", "models", "serve", "-m", "{work}/mlflow-model",
                     "--env-manager", "local", "-h", LOOPBACK, "-p", "{port}"),
            "/ping", ("MLflow 3 models serve", "/invocations"), prepare=save_mlflow,
            env={"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"},
        ),
        _server(
            "flask-dev", "flask", "forest", flask,
            _command(flask, "python", "flask_app.py", "{port}"),
            "/ping", ("Flask dev server (threaded)", "/predict"), cwd=HERE, env=model_env,
        ),
        _server(
            "flask-gunicorn", "flask", "forest", flask,
            _command(flask, "gunicorn", "-w", "2", "-b", f"{LOOPBACK}:{{port}}", "flask_app:app"),
            "/ping", ("Flask + gunicorn, 2 sync workers", "/predict"), cwd=HERE, env=model_env,
        ),
    ]  # fmt: skip
