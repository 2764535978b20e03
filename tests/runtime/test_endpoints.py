"""Every route, against a real server in a subprocess."""

from __future__ import annotations

import json

import numpy as np
import pytest

from .conftest import Models, Server


def _proba(models: Models, rows: np.ndarray) -> np.ndarray:
    return np.asarray(models.rf.predict_proba(rows))


def test_predict_instances_match_sklearn(rf_server: Server, models: Models) -> None:
    rows = models.X[:5]
    with rf_server.client() as c:
        r = c.post("/predict", json={"instances": rows.tolist()})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    got = np.array(r.json()["predictions"])
    np.testing.assert_allclose(got, _proba(models, rows), atol=1e-12)


def test_predict_records_by_feature_name(named_server: Server, models: Models) -> None:
    rows = models.X[10:13]
    # keys in reverse order: the server puts them back in training order
    records = [
        dict(reversed(list(zip(models.feature_names, r.tolist(), strict=True)))) for r in rows
    ]
    with named_server.client() as c:
        r = c.post("/predict", json={"records": records})
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(r.json()["predictions"], _proba(models, rows), atol=1e-12)


def test_onnx_predict_close_to_sklearn(onnx_server: Server, models: Models) -> None:
    rows = models.X[:50]
    with onnx_server.client() as c:
        r = c.post("/predict", json={"instances": rows.tolist()})
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(r.json()["predictions"], _proba(models, rows), atol=1e-5)


def test_noop_parses_and_answers_a_constant(onnx_server: Server, models: Models) -> None:
    with onnx_server.client() as c:
        r = c.post("/noop", json={"instances": models.X[:1].tolist()})
        bad = c.post("/noop", content=b"{nope", headers={"content-type": "application/json"})
        short = c.post("/noop", json={"instances": [[1.0, 2.0]]})
    assert r.status_code == 200
    assert r.json() == {"predictions": []}
    assert bad.status_code == 400
    assert short.status_code == 422  # the same checks as /predict


def test_health_routes(rf_server: Server) -> None:
    with rf_server.client() as c:
        assert c.get("/livez").json() == {"status": "ok"}
        assert c.get("/readyz").json() == {"status": "ready"}
        assert c.get("/ping").status_code == 200
        assert c.get("/v2/health/live").json() == {"live": True}
        assert c.get("/v2/health/ready").json() == {"ready": True}


def test_metrics_in_prometheus_text(rf_server: Server, models: Models) -> None:
    with rf_server.client() as c:
        for _ in range(3):
            assert c.post("/predict", json={"instances": models.X[:2].tolist()}).status_code == 200
        c.post("/predict", content=b"{", headers={"content-type": "application/json"})
        r = c.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = r.text
    lines = text.splitlines()

    def value(prefix: str) -> float:
        hits = [ln for ln in lines if ln.startswith(prefix + " ")]
        assert hits, f"{prefix} missing from:\n{text}"
        return float(hits[0].rsplit(" ", 1)[1])

    ok = 'model_server_requests_total{route="/predict",method="POST",status="200"}'
    assert value(ok) >= 3
    assert value('model_server_requests_total{route="/predict",method="POST",status="400"}') >= 1
    assert value('model_server_request_duration_seconds_count{route="/predict",status="200"}') >= 3
    assert (
        'model_server_request_duration_seconds_bucket{route="/predict",status="200",le="+Inf"}'
        in text
    )
    assert value("model_server_batch_size_count") >= 3
    assert value("model_server_batch_size_sum") >= 6
    assert 'model_server_batch_size_bucket{le="2.0"}' in text
    # the scrape itself is in flight while the text is written
    assert value("model_server_requests_in_flight") == 1
    assert value("model_server_ready") == 1
    assert "# TYPE model_server_request_duration_seconds histogram" in text


def test_openapi_and_docs(rf_server: Server) -> None:
    with rf_server.client() as c:
        doc = c.get("/openapi.json").json()
        page = c.get("/docs")
    assert doc["openapi"].startswith("3.")
    for path in (
        "/predict",
        "/noop",
        "/livez",
        "/readyz",
        "/metrics",
        "/ping",
        "/invocations",
        "/v2/health/live",
        "/v2/health/ready",
        "/v2/models/{name}",
        "/v2/models/{name}/infer",
    ):
        assert path in doc["paths"], path
    example = doc["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert len(example["example"]["instances"][0]) == 30
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/v2/models/{name}/infer" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # no CDN


def test_sagemaker_invocations_json_and_csv(rf_server: Server, models: Models) -> None:
    rows = models.X[20:23]
    want = _proba(models, rows)
    csv_body = "\n".join(",".join(repr(v) for v in r) for r in rows.tolist())
    with rf_server.client() as c:
        as_json = c.post("/invocations", json={"instances": rows.tolist()})
        bare_list = c.post("/invocations", json=rows.tolist())
        from_csv = c.post("/invocations", content=csv_body, headers={"content-type": "text/csv"})
        csv_out = c.post(
            "/invocations",
            content=csv_body,
            headers={"content-type": "text/csv", "accept": "text/csv"},
        )
    for r in (as_json, bare_list, from_csv):
        assert r.status_code == 200, r.text
        np.testing.assert_allclose(r.json()["predictions"], want, atol=1e-12)
    assert csv_out.headers["content-type"] == "text/csv"
    parsed = [[float(v) for v in line.split(",")] for line in csv_out.text.strip().splitlines()]
    np.testing.assert_allclose(parsed, want, atol=1e-12)


def test_sagemaker_csv_with_header(named_server: Server, models: Models) -> None:
    rows = models.X[:2]
    header = ",".join(models.feature_names)
    body = header + "\n" + "\n".join(",".join(str(v) for v in r) for r in rows.tolist())
    with named_server.client() as c:
        r = c.post("/invocations", content=body, headers={"content-type": "text/csv"})
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(r.json()["predictions"], _proba(models, rows), atol=1e-12)


def test_v2_metadata(named_server: Server) -> None:
    with named_server.client() as c:
        server = c.get("/v2").json()
        meta = c.get("/v2/models/cancer")
        ready = c.get("/v2/models/cancer/ready")
        unknown = c.get("/v2/models/nope")
    assert server["extensions"] == ["binary_tensor_data"] and "version" in server
    assert meta.status_code == 200
    m = meta.json()
    assert m["name"] == "cancer"
    assert m["platform"] == "sklearn"
    assert m["inputs"] == [{"name": "input-0", "datatype": "FP64", "shape": [-1, 30]}]
    assert m["outputs"] == [{"name": "probabilities", "datatype": "FP64", "shape": [-1, 2]}]
    assert len(m["parameters"]["feature_names"]) == 30
    assert ready.json() == {"name": "cancer", "ready": True}
    assert unknown.status_code == 404
    assert "unknown model 'nope'" in unknown.json()["error"]


@pytest.mark.parametrize("layout", ["flat", "nested"])
def test_v2_infer(named_server: Server, models: Models, layout: str) -> None:
    rows = models.X[30:34]
    data = rows.ravel().tolist() if layout == "flat" else rows.tolist()
    body = {
        "id": "req-7",
        "inputs": [{"name": "input-0", "shape": [4, 30], "datatype": "FP64", "data": data}],
    }
    with named_server.client() as c:
        r = c.post("/v2/models/cancer/infer", json=body)
        versioned = c.post("/v2/models/cancer/versions/1/infer", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["model_name"] == "cancer"
    assert out["id"] == "req-7"
    (tensor,) = out["outputs"]
    assert tensor["name"] == "probabilities"
    assert tensor["datatype"] == "FP64"
    assert tensor["shape"] == [4, 2]
    np.testing.assert_allclose(
        np.array(tensor["data"]).reshape(4, 2), _proba(models, rows), atol=1e-12
    )
    assert versioned.json()["outputs"] == out["outputs"]


def test_v2_infer_onnx_outputs_fp32(onnx_server: Server, models: Models) -> None:
    name = "rf"
    body = {
        "inputs": [
            {"name": "x", "shape": [1, 30], "datatype": "FP32", "data": models.X[0].tolist()}
        ]
    }
    with onnx_server.client() as c:
        r = c.post(f"/v2/models/{name}/infer", json=body)
    assert r.status_code == 200, r.text
    (tensor,) = r.json()["outputs"]
    assert tensor["datatype"] == "FP32"
    np.testing.assert_allclose(tensor["data"], _proba(models, models.X[:1])[0], atol=1e-5)


def test_unknown_route_and_method(rf_server: Server) -> None:
    with rf_server.client() as c:
        missing = c.get("/nope")
        wrong = c.get("/predict")
    assert missing.status_code == 404
    assert "no route /nope" in missing.json()["error"]
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"
    assert "GET is not allowed on /predict" in wrong.json()["error"]


def test_access_log_is_json_and_never_holds_the_body(rf_server: Server, models: Models) -> None:
    secret = 123456.789012
    row = models.X[0].copy()
    row[5] = secret
    with rf_server.client() as c:
        assert c.post("/predict", json={"instances": [row.tolist()]}).status_code == 200
        c.get("/livez")  # the access log is written once per event-loop turn
    text = rf_server.log_text()
    assert "123456.789" not in text
    access = [d for d in rf_server.log_lines() if d.get("logger") == "access"]
    predict = [d for d in access if d["path"] == "/predict" and d["status"] == 200]
    assert predict
    line = predict[-1]
    assert line["method"] == "POST"
    assert line["duration_ms"] > 0
    assert line["batch_size"] >= 1
    assert set(line) >= {"ts", "level", "method", "path", "status", "duration_ms", "batch_size"}
    for raw in text.splitlines():  # every line the server wrote is JSON
        json.loads(raw)
