"""MLServer 1.7 model repositories: settings.json and one model-settings.json per model.

Adaptive batching is on (64 rows or 5 ms). `parallel_workers: 0` runs inference in the server
process: with any value above 0, MLServer 1.7.1's worker processes die on this machine with
"There is no current event loop". Debug logging and the metrics server are off, MLServer's
most favourable settings for throughput.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .models import BenchModel

__all__ = ["MLSERVER_SETTINGS", "model_settings", "write_repository"]

MLSERVER_SETTINGS: dict[str, Any] = {
    "debug": False,
    "parallel_workers": 0,
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


def write_repository(model: BenchModel, *, grpc_port: int) -> Path:
    """The model's own directory as an MLServer repository; the HTTP port comes from the env."""
    settings = {**MLSERVER_SETTINGS, "grpc_port": grpc_port}
    (model.directory / "settings.json").write_text(json.dumps(settings, indent=2) + "\n")
    (model.directory / "model-settings.json").write_text(
        json.dumps(model_settings(model), indent=2) + "\n"
    )
    return model.directory
