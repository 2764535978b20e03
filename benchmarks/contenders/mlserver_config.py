"""MLServer 1.7 model repositories: settings.json and one model-settings.json per model.

Adaptive batching is on (64 rows or 5 ms). Inference runs in `parallel_workers` worker
processes (2 by default, one per core here; 0 runs it in the server process). With uvloop 0.22
or later, MLServer 1.7.1's workers die at start with "There is no current event loop"
(`asyncio.get_event_loop()` in `Worker._ignore_signals`); requirements-mlserver.txt pins
uvloop below 0.22, which makes them work. Debug logging and the metrics server are off,
MLServer's most favourable settings for throughput.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .models import BenchModel

__all__ = ["DEFAULT_PARALLEL_WORKERS", "MLSERVER_SETTINGS", "model_settings", "write_repository"]

DEFAULT_PARALLEL_WORKERS = 2
MLSERVER_SETTINGS: dict[str, Any] = {
    "debug": False,
    "metrics_endpoint": None,
    "load_models_at_startup": True,
}
MAX_BATCH_SIZE = 64
MAX_BATCH_TIME_S = 0.005

_RUNTIMES = {
    "forest": ("mlserver_sklearn.SKLearnModel", "./model.joblib"),
    "churn": ("mlserver_sklearn.SKLearnModel", "./model.joblib"),
    "xgboost": ("mlserver_xgboost.XGBoostModel", "./model.json"),
    "lightgbm": ("mlserver_lightgbm.LightGBMModel", "./model.txt"),
}


def model_settings(model: BenchModel) -> dict[str, Any]:
    """model-settings.json for one model: its runtime, its file, adaptive batching."""
    implementation, uri = _RUNTIMES[model.kind]
    parameters: dict[str, Any] = {"uri": uri}
    if model.is_frame:
        parameters["content_type"] = "pd"
    return {
        "name": model.kind,
        "implementation": implementation,
        "max_batch_size": MAX_BATCH_SIZE,
        "max_batch_time": MAX_BATCH_TIME_S,
        "parameters": parameters,
    }


def write_repository(
    model: BenchModel, *, grpc_port: int, parallel_workers: int = DEFAULT_PARALLEL_WORKERS
) -> Path:
    """The model's own directory as an MLServer repository; the HTTP port comes from the env."""
    settings = {**MLSERVER_SETTINGS, "parallel_workers": parallel_workers, "grpc_port": grpc_port}
    (model.directory / "settings.json").write_text(json.dumps(settings, indent=2) + "\n")
    (model.directory / "model-settings.json").write_text(
        json.dumps(model_settings(model), indent=2) + "\n"
    )
    return model.directory
