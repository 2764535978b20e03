"""Every tabular format served by a real server process: answers equal the framework's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Models, serve_model
from .tabular import Tabular, records

ROWS = 20


def _expected(tabular: Tabular, key: str) -> tuple[Any, list[dict[str, Any]]]:
    est = tabular.estimators
    if key in ("churn",):
        frame = tabular.frame.head(ROWS)
        return tabular.churn.predict_proba(frame), records(frame)
    if key.startswith("xgb"):
        frame = tabular.numeric.head(ROWS)
        return est["xgb"].predict_proba(frame), records(frame)
    if key.startswith("lgbm"):
        frame = tabular.numeric.head(ROWS)
        return est["lgbm"].predict(frame), records(frame)
    frame = tabular.with_city.head(ROWS)
    return est["catboost"].predict_proba(frame), records(frame)


@pytest.mark.parametrize(
    "key",
    [
        "churn",
        "xgb_pickle",
        "xgb_json",
        "xgb_ubj",
        "lgbm_pickle",
        "lgbm_txt",
        "catboost_cbm",
        "catboost_pickle",
    ],
)
def test_served_answers_equal_the_frameworks(
    key: str, tabular: Tabular, models: Models, tmp_path: Path
) -> None:
    want, body = _expected(tabular, key)
    with serve_model(tmp_path, models, tabular.files[key]) as srv, srv.client() as c:
        r = c.post("/predict", json={"records": body})
        assert r.status_code == 200, r.text
        got = r.json()
        np.testing.assert_allclose(np.asarray(got["predictions"]), want, rtol=0, atol=1e-6)
        if np.ndim(want) == 2:
            assert got["classes"] == [0, 1]
        else:
            assert "classes" not in got
        names = list(body[0])
        positional = [[rec[n] for n in names] for rec in body]
        r = c.post("/predict", json={"instances": positional})
        assert r.status_code == 200, r.text
        np.testing.assert_allclose(np.asarray(r.json()["predictions"]), want, atol=1e-6)


@pytest.fixture(scope="module")
def churn_server(tabular: Tabular, models: Models, tmp_path_factory: pytest.TempPathFactory) -> Any:
    with serve_model(tmp_path_factory.mktemp("churn"), models, tabular.churn_path) as srv:
        yield srv


GOOD = {"plan": "pro", "region": "eu", "tenure": 12, "charges": 55.5, "paperless": True}

BAD_CASES = [
    ({"plann": "pro"}, 1, "unknown column 'plann' in row 1"),
    ({"plan": None}, 0, "missing value at row 0, column 'plan'"),
    ({"tenure": "ten"}, 1, "wrong type at row 1, column 'tenure'"),
    ({"plan": 3}, 0, "wrong type at row 0, column 'plan'"),
    ({"paperless": "yes"}, 1, "wrong type at row 1, column 'paperless'"),
    ({"plan": "gold"}, 1, "unknown category 'gold' at row 1, column 'plan'"),
    ({"tenure": 1e999}, 0, "infinity at row 0, column 'tenure'"),
]


@pytest.mark.parametrize(("change", "row", "message"), BAD_CASES)
def test_bad_records_are_refused_naming_column_and_row(
    churn_server: Any, change: dict[str, Any], row: int, message: str
) -> None:
    bad = dict(GOOD)
    if "plann" in change:
        del bad["plan"]
    bad.update(change)
    body = [dict(GOOD), dict(GOOD)]
    body[row] = bad
    with churn_server.client() as c:
        payload = {"records": body}
        r = c.post(
            "/predict",
            content=__import__("json").dumps(payload).replace("Infinity", "1e999"),
            headers={"content-type": "application/json"},
        )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert message in error
    assert "\n" not in error


def test_missing_column_and_wrong_width(churn_server: Any) -> None:
    incomplete = {k: v for k, v in GOOD.items() if k != "charges"}
    with churn_server.client() as c:
        r = c.post("/predict", json={"records": [GOOD, incomplete]})
        assert r.status_code == 422
        assert r.json()["error"] == "missing column 'charges' in row 1"
        r = c.post("/predict", json={"instances": [["pro", "eu", 1, 2.0]]})
        assert r.status_code == 422
        assert "row 0 has 4 values; the model takes 5 columns" in r.json()["error"]


def test_imputed_and_ignored_values_are_taken(churn_server: Any, tabular: Tabular) -> None:
    import pandas as pd

    rec = dict(GOOD, charges=None, region="mars")
    with churn_server.client() as c:
        r = c.post("/predict", json={"records": [rec]})
    assert r.status_code == 200, r.text
    frame = pd.DataFrame([dict(rec, charges=np.nan)])
    np.testing.assert_allclose(
        r.json()["predictions"], tabular.churn.predict_proba(frame), atol=1e-6
    )


def test_numeric_models_answer_as_before(models: Models, tmp_path: Path) -> None:
    with serve_model(tmp_path, models, models.regressor) as srv, srv.client() as c:
        r = c.post("/predict", json={"instances": models.X[:3].tolist()})
    assert set(r.json()) == {"predictions"}


def test_output_choice_flag_and_env(tabular: Tabular, models: Models, tmp_path: Path) -> None:
    frame = tabular.numeric.head(5)
    with (
        serve_model(tmp_path, models, tabular.files["xgb_json"], "--output", "raw") as srv,
        srv.client() as c,
    ):
        r = c.post("/predict", json={"records": records(frame)})
        margins = tabular.estimators["xgb"].predict(frame, output_margin=True)
        np.testing.assert_allclose(r.json()["predictions"], margins, atol=1e-5)
    with (
        serve_model(tmp_path, models, tabular.churn_path, MODEL_OUTPUT="predict") as srv,
        srv.client() as c,
    ):
        r = c.post("/predict", json={"records": records(tabular.frame.head(5))})
        assert r.json()["predictions"] == tabular.churn.predict(tabular.frame.head(5)).tolist()
        assert "classes" not in r.json()


def test_skops_served_only_with_trusted_types(
    tabular: Tabular, models: Models, tmp_path: Path
) -> None:
    with serve_model(tmp_path, models, tabular.files["churn_skops"], ready=False) as srv:
        assert srv.proc.wait(60) == 3
        assert "--trust-types numpy.dtype" in srv.log_text()
    with (
        serve_model(
            tmp_path, models, tabular.files["churn_skops"], MODEL_TRUST_TYPES="numpy.dtype"
        ) as srv,
        srv.client() as c,
    ):
        frame = tabular.frame.head(5)
        r = c.post("/predict", json={"records": records(frame)})
        np.testing.assert_allclose(r.json()["predictions"], tabular.churn.predict_proba(frame))


def test_custom_module_on_pythonpath_is_served(
    tabular: Tabular, models: Models, tmp_path: Path
) -> None:
    import os

    path = os.pathsep.join([str(tabular.custom_module_dir), os.environ.get("PYTHONPATH", "")])
    with serve_model(tmp_path, models, tabular.files["custom_pickle"], ready=False) as srv:
        assert srv.proc.wait(60) == 3
        assert "needs the Python module 'user_transforms'" in srv.log_text()
        assert "scaffold --code PATH" in srv.log_text()
    with (
        serve_model(tmp_path, models, tabular.files["custom_pickle"], PYTHONPATH=path) as srv,
        srv.client() as c,
    ):
        r = c.post("/predict", json={"instances": tabular.numeric.head(3).values.tolist()})
        assert r.status_code == 200, r.text
        assert len(r.json()["predictions"]) == 3


def test_a_model_that_fails_its_warm_up_row_never_reports_ready(
    tabular: Tabular, models: Models, tmp_path: Path
) -> None:
    import json

    from deploy_advisor.runtime.loader import load_model

    schema = load_model(tabular.churn_path).schema.to_json()
    schema["columns"][0]["categories"] = ["gold"]  # the encoder has never seen it
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    with serve_model(
        tmp_path,
        models,
        tabular.churn_path,
        "--schema",
        str(tmp_path / "schema.json"),
        ready=False,
    ) as srv:
        assert srv.proc.wait(60) == 3
        assert "drawn from its schema" in srv.log_text()
        assert "warmup_failed" in srv.log_text()


def test_cli_serve_output_and_trust_types_flags(
    tabular: Tabular, models: Models, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from .conftest import free_port, server_env, start_server

    cli = [sys.executable, "-m", "deploy_advisor", "serve"]
    port = free_port()
    argv = [*cli, str(tabular.files["lgbm_txt"]), "--port", str(port), "--output", "raw"]
    with start_server(tmp_path, argv, server_env(models), port=port) as srv, srv.client() as c:
        frame = tabular.numeric.head(4)
        r = c.post("/predict", json={"records": records(frame)})
        want = tabular.estimators["lgbm"].predict(frame, raw_score=True)
        np.testing.assert_allclose(r.json()["predictions"], want, atol=1e-9)
    done = subprocess.run(
        [*cli, str(tabular.files["churn_skops"]), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=120,
        env=server_env(models),
    )
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith("Error: cannot load the model: churn.skops")
    assert "--trust-types numpy.dtype" in done.stderr
    port = free_port()
    argv = [*cli, str(tabular.files["churn_skops"]), "--port", str(port)]
    argv += ["--trust-types", "numpy.dtype", "--output", "predict"]
    with start_server(tmp_path, argv, server_env(models), port=port) as srv, srv.client() as c:
        frame = tabular.frame.head(4)
        r = c.post("/predict", json={"records": records(frame)})
        assert r.json()["predictions"] == tabular.churn.predict(frame).tolist()


def test_concurrent_typed_requests_share_batches_and_get_their_own_answers(
    churn_server: Any, tabular: Tabular
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    frame = tabular.frame.head(48)
    body = records(frame)
    want = tabular.churn.predict_proba(frame)

    def one(i: int) -> list[float]:
        with churn_server.client() as c:
            r = c.post("/predict", json={"records": [body[i]]})
            assert r.status_code == 200, r.text
            return list(r.json()["predictions"][0])

    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(one, range(len(body))))
    np.testing.assert_allclose(np.asarray(got), want, atol=1e-6)


def test_other_routes_answer_typed_models_without_a_500(churn_server: Any) -> None:
    with churn_server.client() as c:
        docs = c.get("/docs")
        assert docs.status_code == 200
        assert "records" in docs.text and "basic" in docs.text
        assert c.get("/openapi.json").status_code == 200
        r = c.post("/invocations", json={"records": [GOOD]})
        assert r.status_code == 200, r.text
        row = ",".join(str(v).lower() if isinstance(v, bool) else str(v) for v in GOOD.values())
        csv = c.post("/invocations", content=row.encode(), headers={"content-type": "text/csv"})
        assert csv.status_code == 200, csv.text
        assert csv.json()["predictions"] == r.json()["predictions"]
        r = c.post(
            "/v2/models/churn/infer",
            json={"inputs": [{"name": "x", "shape": [1, 5], "datatype": "FP64", "data": [0] * 5}]},
        )
        assert 400 <= r.status_code < 500
