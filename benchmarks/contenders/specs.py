"""Every contender server for every model, in the order they are interleaved.

The forest is served by every contender (ours from joblib and ONNX, BentoML default and
batchable, MLflow, Flask dev and gunicorn, MLServer, LitServe); the churn pipeline, XGBoost and
LightGBM models by ours, MLServer and LitServe.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from .mlserver_config import DEFAULT_PARALLEL_WORKERS, write_repository
from .models import BenchModel
from .servers import HERE, NOOP_PATH, ROOT, Endpoint, ServerSpec, free_port

__all__ = ["CONTENDERS", "server_specs"]

CONTENDERS = ("ours", "bentoml", "mlflow", "flask", "mlserver", "litserve")
LITSERVE_LABEL = "LitServe 0.2, batching 64/5 ms, 2 workers"
Command = Callable[[Path, int], list[str]]


def server_specs(
    models: dict[str, BenchModel], *, mlserver_workers: int = DEFAULT_PARALLEL_WORKERS
) -> list[ServerSpec]:
    """The servers for each model: the forest's full field, then ours, MLServer, LitServe."""
    specs: list[ServerSpec] = []
    for kind, model in models.items():
        if kind == "forest":
            specs += _forest_specs(model)
        else:
            specs.append(
                ServerSpec(
                    name=f"ours-{kind}",
                    contender="ours",
                    model=kind,
                    venv=".venv",
                    command=_ours(model.joblib_path),
                    ready_path="/readyz",
                    endpoints=(Endpoint(f"ours-{kind}", "ours, 2 workers", "/predict", "ours"),),
                )
            )
        specs += [_mlserver(model, mlserver_workers), _litserve(model)]
    return specs


def _ours(model_file: Path) -> Command:
    return lambda work, port: [
        str(ROOT / ".venv/bin/python"), "-m", "deploy_advisor.runtime", "serve",
        "--model", str(model_file), "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
    ]  # fmt: skip


def _mlserver(model: BenchModel, parallel_workers: int) -> ServerSpec:
    def prepare(work: Path) -> None:
        write_repository(model, grpc_port=free_port(), parallel_workers=parallel_workers)

    label = f"MLServer 1.7, batching 64/5 ms, parallel_workers {parallel_workers}"

    return ServerSpec(
        name=f"mlserver-{model.kind}",
        contender="mlserver",
        model=model.kind,
        venv=".venv-bench-mlserver",
        command=lambda work, port: [
            str(ROOT / ".venv-bench-mlserver/bin/mlserver"),
            "start",
            str(model.directory),
        ],  # fmt: skip
        ready_path=f"/v2/models/{model.kind}/ready",
        endpoints=(
            Endpoint(f"mlserver-{model.kind}", label, f"/v2/models/{model.kind}/infer", "v2"),
        ),
        prepare=prepare,
        # The pickles the other contenders load carry n_jobs=1; MLServer loads the native files,
        # whose thread count is OpenMP's default: one thread each, like the others.
        env={"MLSERVER_HOST": "127.0.0.1", "OMP_NUM_THREADS": "1"},
        port_env="MLSERVER_HTTP_PORT",
    )


def _litserve(model: BenchModel) -> ServerSpec:
    return ServerSpec(
        name=f"litserve-{model.kind}",
        contender="litserve",
        model=model.kind,
        venv=".venv-bench-litserve",
        command=lambda work, port: [
            str(ROOT / ".venv-bench-litserve/bin/python"),
            "litserve_app.py",
            str(port),
        ],  # fmt: skip
        ready_path="/health",
        endpoints=(Endpoint(f"litserve-{model.kind}", LITSERVE_LABEL, "/predict", "litserve"),),
        cwd=HERE,
        env={
            "BENCH_MODEL": str(model.joblib_path),
            "BENCH_FRAME": "1" if model.is_frame else "0",
            "LITSERVE_DISABLE_TELEMETRY": "1",
        },
    )


def _forest_specs(model: BenchModel) -> list[ServerSpec]:
    joblib_model, onnx_model = model.joblib_path, model.directory / "model.onnx"

    def bento(service: str) -> Command:
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
    bento_env = {**model_env, "BENTOML_DO_NOT_TRACK": "true"}
    return [
        ServerSpec(
            name="ours-joblib",
            contender="ours",
            model="forest",
            venv=".venv",
            command=_ours(joblib_model),
            ready_path="/readyz",
            endpoints=(Endpoint("ours-joblib", "ours, RF joblib, 2 workers", "/predict", "ours"),),
        ),
        ServerSpec(
            name="ours-onnx",
            contender="ours",
            model="forest",
            venv=".venv",
            command=_ours(onnx_model),
            ready_path="/readyz",
            endpoints=(
                Endpoint("ours-onnx", "ours, RF as ONNX, 2 workers", "/predict", "ours"),
                Endpoint(
                    "ours-noop", "ours, no-op endpoint (HTTP floor)", NOOP_PATH, "ours", False
                ),  # noqa: E501
            ),
        ),
        ServerSpec(
            name="bentoml-default",
            contender="bentoml",
            model="forest",
            venv=".venv-bench-bentoml",
            command=bento("RFDefault"),
            ready_path="/readyz",
            endpoints=(Endpoint("bentoml-default", "BentoML 1.4, default", "/predict"),),
            cwd=HERE,
            env=bento_env,
        ),
        ServerSpec(
            name="bentoml-batchable",
            contender="bentoml",
            model="forest",
            venv=".venv-bench-bentoml",
            command=bento("RFBatchable"),
            ready_path="/readyz",
            endpoints=(Endpoint("bentoml-batchable", "BentoML 1.4, batchable", "/predict"),),
            cwd=HERE,
            env=bento_env,
        ),
        ServerSpec(
            name="mlflow",
            contender="mlflow",
            model="forest",
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
            contender="flask",
            model="forest",
            venv=".venv-bench-flask",
            command=lambda work, port: [
                str(ROOT / ".venv-bench-flask/bin/python"),
                "flask_app.py",
                str(port),
            ],  # fmt: skip
            ready_path="/ping",
            endpoints=(Endpoint("flask-dev", "Flask dev server (threaded)", "/predict"),),
            cwd=HERE,
            env=model_env,
        ),
        ServerSpec(
            name="flask-gunicorn",
            contender="flask",
            model="forest",
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
