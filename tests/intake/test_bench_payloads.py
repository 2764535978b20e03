"""The serving benchmark's models, request bodies and answer checks, against our real server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.intake.helpers import bench_serving
from tests.targets.serving import running, wait_for

ROOT = Path(__file__).resolve().parents[2]


serving = bench_serving()
from contenders import mlserver_config, payloads  # noqa: E402
from contenders.models import BenchModel, make_models  # noqa: E402
from contenders.servers import Endpoint, free_port  # noqa: E402
from contenders.specs import server_specs  # noqa: E402


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BenchModel]:
    return make_models(tmp_path_factory.mktemp("bench"), ("churn", "xgboost", "lightgbm"))


@pytest.mark.parametrize("kind", ["xgboost", "lightgbm"])
def test_our_server_answers_the_benchmark_bodies_like_the_framework(
    models: dict[str, BenchModel], kind: str, tmp_path: Path
) -> None:
    model = models[kind]
    spec = next(s for s in server_specs({kind: model}) if s.contender == "ours")
    port = free_port()
    command = [sys.executable, *spec.command(tmp_path, port)[1:]]
    with running(command, log=tmp_path / "server.log", cwd=ROOT) as proc:
        wait_for(f"http://127.0.0.1:{port}/readyz", proc=proc)
        url = f"http://127.0.0.1:{port}/predict"
        (endpoint,) = spec.endpoints
        assert serving.check_endpoint(url, endpoint, model) is None
        wrong = Endpoint(f"v2-to-ours-{kind}", "V2 body sent to ours", "/predict", "v2")
        problem = serving.check_endpoint(url, wrong, model)
        assert problem is not None and problem.startswith("POST /predict answered 4"), problem


def test_churn_bodies_rebuild_the_dataframe_the_pipeline_was_checked_on(
    models: dict[str, BenchModel],
) -> None:
    import joblib
    import pandas as pd

    model = models["churn"]
    pipeline = joblib.load(model.joblib_path)
    rows = model.rows[:3]
    ours = payloads.request_body("ours", model, rows)
    assert set(ours) == {"records"} and isinstance(ours["records"][0]["contract"], str)
    from_records = pipeline.predict_proba(pd.DataFrame(ours["records"]))
    assert payloads.matches(from_records, model.expected[:3])

    v2 = payloads.request_body("v2", model, rows)
    assert v2["parameters"] == {"content_type": "pd"}
    assert v2["outputs"] == [{"name": "predict_proba"}]
    columns = {}
    for tensor in v2["inputs"]:
        assert tensor["shape"] == [3, 1] and len(tensor["data"]) == 3
        strings = tensor["datatype"] == "BYTES"
        assert (tensor.get("parameters") == {"content_type": "str"}) is strings
        columns[tensor["name"]] = tensor["data"]
    from_v2 = pipeline.predict_proba(pd.DataFrame(columns))
    assert payloads.matches(from_v2, model.expected[:3])
    json.dumps(v2)  # plain JSON: no numpy scalars left in the body
    with pytest.raises(ValueError, match="numeric models only"):
        payloads.request_body("instances", model, rows)


def test_answers_in_each_protocol_are_read_and_compared(models: dict[str, BenchModel]) -> None:
    expected = models["lightgbm"].expected[:1]
    p0, p1 = expected[0]
    answers: dict[str, Any] = {
        "ours": {"predictions": [[p0, p1]]},
        "instances": [[p0, p1]],
        "litserve": {"output": [p0, p1]},
        "v2": {"outputs": [{"name": "predict", "shape": [1], "datatype": "FP64", "data": [p1]}]},
    }
    for protocol, answer in answers.items():
        assert payloads.matches(payloads.probabilities(protocol, answer), expected), protocol
    assert not payloads.matches(np.asarray([[p0 + 0.01, p1 - 0.01]]), expected)
    assert not payloads.matches(np.asarray([[p0, p1], [p0, p1]]), expected)
    body = payloads.request_body("v2", models["xgboost"], models["xgboost"].rows[:2])
    (tensor,) = body["inputs"]
    assert (tensor["shape"], tensor["datatype"], len(tensor["data"])) == ([2, 30], "FP64", 60)
    assert "outputs" not in payloads.request_body("v2", models["lightgbm"], [[0.0] * 30])


def test_mlserver_repository_points_each_runtime_at_a_saved_file(
    models: dict[str, BenchModel],
) -> None:
    for kind, model in models.items():
        mlserver_config.write_repository(model, grpc_port=free_port())
        settings = json.loads((model.directory / "settings.json").read_text())
        assert settings["parallel_workers"] == 2 and "http_port" not in settings
        found = json.loads((model.directory / "model-settings.json").read_text())
        assert (found["name"], found["max_batch_size"], found["max_batch_time"]) == (
            kind, 64, 0.005,
        )  # fmt: skip
        assert (model.directory / found["parameters"]["uri"]).is_file()
        assert found["implementation"].split(".")[0] == f"mlserver_{kind}".replace(
            "mlserver_churn", "mlserver_sklearn"
        )


def test_unknown_model_or_contender_is_refused_before_any_training() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/serving.py"), "--models", "forest,catboost"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "catboost is not one of forest, churn, xgboost, lightgbm" in done.stderr
