"""OIP v2 through tritonclient's own HTTP client (JSON and binary tensors), SageMaker CSV and
JSON lines, and the typed /predict, against real servers: a numeric forest and a churn
pipeline fitted on a DataFrame with string columns."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import numpy as np
import pytest
import tritonclient.http as tritonclient_http
from tritonclient.utils import InferenceServerException  # noqa: E402

from .churn import COLUMNS, Churn
from .conftest import Models, Server, serve_model


def _triton(server: Server) -> Any:
    return tritonclient_http.InferenceServerClient(url=f"127.0.0.1:{server.port}")


def _check(r: httpx.Response, status: int, *fragments: str) -> None:
    assert r.status_code == status, r.text[:500]
    message = r.json()["error"]
    for fragment in fragments:
        assert fragment in message, message


# --- tritonclient, numeric model ----------------------------------------------------------------


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("datatype", ["FP64", "FP32"])
def test_tritonclient_numeric(
    named_server: Server, models: Models, binary: bool, datatype: str
) -> None:
    rows = models.X[40:47]
    x = rows.astype(np.float64 if datatype == "FP64" else np.float32)
    want = models.rf.predict_proba(x.astype(np.float64))
    client = _triton(named_server)
    try:
        assert client.is_server_live() and client.is_model_ready("cancer")
        assert "binary_tensor_data" in client.get_server_metadata()["extensions"]
        inp = tritonclient_http.InferInput("input-0", list(x.shape), datatype)
        inp.set_data_from_numpy(x, binary_data=binary)
        asked = [tritonclient_http.InferRequestedOutput("probabilities", binary_data=binary)]
        result = client.infer("cancer", [inp], outputs=asked, request_id="r1")
        default = client.infer("cancer", [inp])  # no outputs named: binary_data_output
    finally:
        client.close()
    assert result.get_response()["id"] == "r1"
    out = result.as_numpy("probabilities")
    assert out.shape == (7, 2) and out.dtype == np.float64
    np.testing.assert_allclose(out, want, atol=1e-12)
    np.testing.assert_allclose(default.as_numpy("probabilities"), want, atol=1e-12)


def test_tritonclient_numeric_one_tensor_per_feature(named_server: Server, models: Models) -> None:
    rows = models.X[50:53]
    client = _triton(named_server)
    try:
        inputs = []
        for j, name in enumerate(models.feature_names):
            inp = tritonclient_http.InferInput(name, [3, 1], "FP64")
            inp.set_data_from_numpy(rows[:, j : j + 1].copy(), binary_data=j % 2 == 0)
            inputs.append(inp)
        result = client.infer("cancer", inputs)
    finally:
        client.close()
    np.testing.assert_allclose(
        result.as_numpy("probabilities"), models.rf.predict_proba(rows), atol=1e-12
    )


# --- tritonclient, typed model -------------------------------------------------------------------


def _column_inputs(rows: list[list[Any]], binary: bool) -> list[Any]:
    n = len(rows)
    arrays = {
        "plan": np.array([[r[0]] for r in rows], dtype=object),
        "region": np.array([[r[1]] for r in rows], dtype=object),
        "tenure": np.array([[r[2]] for r in rows], dtype=np.int64),
        "monthly": np.array([[np.nan if r[3] is None else r[3]] for r in rows], dtype=np.float64),
        "autopay": np.array([[r[4]] for r in rows], dtype=bool),
    }
    types = {
        "plan": "BYTES",
        "region": "BYTES",
        "tenure": "INT64",
        "monthly": "FP64",
        "autopay": "BOOL",
    }
    inputs = []
    for name in COLUMNS:
        inp = tritonclient_http.InferInput(name, [n, 1], types[name])
        inp.set_data_from_numpy(arrays[name], binary_data=binary)
        inputs.append(inp)
    return inputs


@pytest.mark.parametrize("binary", [False, True])
def test_tritonclient_typed_columns(
    frame_churn_server: Server, frame_churn: Churn, binary: bool
) -> None:
    rows = [r for r in frame_churn.rows(0, 40) if r[1] is not None][:12]
    if binary:  # NaN in a binary FP64 tensor is a missing value where the model imputes it
        rows[0][3] = None
        rows[1][3] = None
    client = _triton(frame_churn_server)
    try:
        meta = client.get_model_metadata("churn")
        asked = [tritonclient_http.InferRequestedOutput("probabilities", binary_data=binary)]
        result = client.infer("churn", _column_inputs(rows, binary), outputs=asked)
    finally:
        client.close()
    assert meta["inputs"] == [
        {"name": "plan", "datatype": "BYTES", "shape": [-1, 1]},
        {"name": "region", "datatype": "BYTES", "shape": [-1, 1]},
        {"name": "tenure", "datatype": "FP64", "shape": [-1, 1]},
        {"name": "monthly", "datatype": "FP64", "shape": [-1, 1]},
        {"name": "autopay", "datatype": "BOOL", "shape": [-1, 1]},
    ]
    assert meta["parameters"]["columns"][0]["categories"] == ["basic", "pro", "team"]
    np.testing.assert_allclose(
        result.as_numpy("probabilities"), frame_churn.proba(rows), atol=1e-12
    )


def test_tritonclient_typed_one_bytes_tensor(
    frame_churn_server: Server, frame_churn: Churn
) -> None:
    rows = frame_churn.rows(40, 50)
    table = np.array(
        [["" if v is None else str(v) for v in r] for r in rows], dtype=object
    )  # an empty element is a missing value
    client = _triton(frame_churn_server)
    try:
        inp = tritonclient_http.InferInput("rows", list(table.shape), "BYTES")
        inp.set_data_from_numpy(table, binary_data=True)
        result = client.infer("churn", [inp])
    finally:
        client.close()
    np.testing.assert_allclose(
        result.as_numpy("probabilities"), frame_churn.proba(rows), atol=1e-12
    )


def test_tritonclient_typed_errors_name_row_and_column(
    frame_churn_server: Server, frame_churn: Churn
) -> None:
    rows = [r for r in frame_churn.rows(0, 20) if r[1] is not None][:3]
    rows[2][0] = "gold"
    client = _triton(frame_churn_server)
    try:
        with pytest.raises(InferenceServerException) as unknown:
            client.infer("churn", _column_inputs(rows, True))
        rows[2][0] = "pro"
        rows[1][2] = None  # tenure cannot be missing: NaN in an INT64 column is impossible,
        inputs = [i for i in _column_inputs(rows[:1], True) if i.name() != "monthly"]
        with pytest.raises(InferenceServerException) as lacking:
            client.infer("churn", inputs)
    finally:
        client.close()
    assert "unknown category 'gold' at row 2, column 'plan'" in str(unknown.value)
    assert "no input tensor for column 'monthly'" in str(lacking.value)


def test_binary_requests_by_hand(frame_churn_server: Server, frame_churn: Churn) -> None:
    """The extension's edge cases, built byte by byte."""
    header = {
        "inputs": [
            {
                "name": "plan",
                "shape": [1, 1],
                "datatype": "BYTES",
                "parameters": {"binary_data_size": 7},
            },
            {"name": "region", "shape": [1, 1], "datatype": "BYTES", "data": ["east"]},
            {
                "name": "tenure",
                "shape": [1],
                "datatype": "INT32",
                "parameters": {"binary_data_size": 4},
            },
            {"name": "monthly", "shape": [1, 1], "datatype": "FP32", "data": [[20.5]]},
            {
                "name": "autopay",
                "shape": [1, 1],
                "datatype": "BOOL",
                "parameters": {"binary_data_size": 1},
            },
        ],
        "outputs": [{"name": "probabilities", "parameters": {"binary_data": True}}],
    }
    head = json.dumps(header).encode()
    blob = (3).to_bytes(4, "little") + b"pro" + (5).to_bytes(4, "little", signed=True) + b"\x01"
    with frame_churn_server.client() as c:
        ok = c.post(
            "/v2/models/churn/infer",
            content=head + blob,
            headers={"inference-header-content-length": str(len(head))},
        )
        short = c.post(
            "/v2/models/churn/infer",
            content=head + blob[:-1],
            headers={"inference-header-content-length": str(len(head))},
        )
        past = c.post(
            "/v2/models/churn/infer",
            content=head,
            headers={"inference-header-content-length": str(len(head) + 5)},
        )
    assert ok.status_code == 200, ok.text
    n = int(ok.headers["inference-header-content-length"])
    meta = json.loads(ok.content[:n])
    (out,) = meta["outputs"]
    assert out["parameters"]["binary_data_size"] == 16 and "data" not in out
    got = np.frombuffer(ok.content[n:], dtype="<f8")
    np.testing.assert_allclose(
        got, frame_churn.proba([["pro", "east", 5, 20.5, True]])[0], atol=1e-6
    )
    _check(short, 400, "input 'autopay': binary_data_size 1 runs past")
    _check(past, 400, "outside the body")


# --- SageMaker ------------------------------------------------------------------------------------


def _csv_text(rows: list[list[Any]], columns: list[str] | None) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if columns is not None:
        w.writerow(columns)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


def test_invocations_csv_typed(frame_churn_server: Server, frame_churn: Churn) -> None:
    rows = frame_churn.rows(0, 25)  # some rows miss a region or a monthly charge
    assert any(None in r for r in rows)
    want = frame_churn.proba(rows)
    order = [3, 4, 0, 2, 1]  # a header may list the columns in any order
    shuffled = [[r[k] for k in order] for r in rows]
    with frame_churn_server.client() as c:
        named = c.post(
            "/invocations",
            content=_csv_text(shuffled, [COLUMNS[k] for k in order]),
            headers={"content-type": "text/csv", "accept": "text/csv"},
        )
        positional = c.post(
            "/invocations", content=_csv_text(rows, None), headers={"content-type": "text/csv"}
        )
    assert named.status_code == 200, named.text
    assert named.headers["content-type"] == "text/csv"
    parsed = [[float(v) for v in line.split(",")] for line in named.text.splitlines()]
    np.testing.assert_allclose(parsed, want, atol=1e-12)
    assert positional.headers["content-type"] == "application/json"
    np.testing.assert_allclose(positional.json()["predictions"], want, atol=1e-12)


def test_invocations_jsonlines_typed(frame_churn_server: Server, frame_churn: Churn) -> None:
    rows = frame_churn.rows(30, 40)
    lines = [
        json.dumps(dict(zip(COLUMNS, r, strict=True)) if k % 2 else r) for k, r in enumerate(rows)
    ]
    with frame_churn_server.client() as c:
        r = c.post(
            "/invocations",
            content="\n".join(lines) + "\n",
            headers={"content-type": "application/jsonlines", "accept": "application/jsonlines"},
        )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/jsonlines"
    got = [json.loads(line) for line in r.text.splitlines()]
    np.testing.assert_allclose(got, frame_churn.proba(rows), atol=1e-12)


def test_invocations_numeric_jsonlines_and_accept(named_server: Server, models: Models) -> None:
    rows = models.X[60:63]
    body = "\n".join(json.dumps(r) for r in rows.tolist())
    with named_server.client() as c:
        lines = c.post(
            "/invocations",
            content=body,
            headers={
                "content-type": "application/jsonlines",
                "accept": "text/csv;q=0.5, application/jsonlines",
            },
        )
        refused = c.post("/invocations", json=rows.tolist(), headers={"accept": "application/xml"})
    assert lines.headers["content-type"] == "application/jsonlines"
    got = [json.loads(line) for line in lines.text.splitlines()]
    np.testing.assert_allclose(got, models.rf.predict_proba(rows), atol=1e-12)
    _check(refused, 406, "'application/xml'", "text/csv")


def test_invocations_bad_rows_name_row_and_column(frame_churn_server: Server) -> None:
    header = ",".join(COLUMNS)
    cases = [
        (
            f"{header}\npro,north,3,10,true\nteam,south,x,10,false\n",
            422,
            "CSV row 1, column 'tenure'",
            "'x'",
        ),
        (f"{header}\ngold,north,3,10,true\n", 422, "CSV row 0, column 'plan'", "'gold'"),
        (f"{header}\n,north,3,10,true\n", 422, "missing value at CSV row 0, column 'plan'"),
        ("pro,north,3\n", 422, "CSV row 0 has 3 cells", "5 columns"),
        (f"{header}\npro,north,3,10,maybe\n", 422, "CSV row 0, column 'autopay'", "'maybe'"),
        ("plan,region,tenure\npro,north,3\n", 422, "header lacks column 'monthly'"),
        (f"{header}\n", 400, "header but no rows"),
    ]
    with frame_churn_server.client() as c:
        for body, status, *fragments in cases:
            r = c.post("/invocations", content=body, headers={"content-type": "text/csv"})
            _check(r, status, *fragments)
        bad_line = c.post(
            "/invocations",
            content=b'["pro","north",3,10]\n{"plan":\n',
            headers={"content-type": "application/jsonlines"},
        )
        extra = c.post(
            "/invocations",
            content=b'{"plan":"pro","region":"x","tenure":1,"monthly":2,"autopay":true,"age":3}\n',
            headers={"content-type": "application/jsonlines"},
        )
    _check(bad_line, 400, "invalid JSON on line 2")
    _check(extra, 422, "unknown column 'age' in row 0")


# --- typed /predict and its OpenAPI document -------------------------------------------------


def test_predict_typed_records_and_instances(
    frame_churn_server: Server, frame_churn: Churn
) -> None:
    rows = frame_churn.rows(50, 60)
    records = [dict(zip(COLUMNS, r, strict=True)) for r in rows]
    with frame_churn_server.client() as c:
        by_record = c.post("/predict", json={"records": records})
        by_row = c.post("/predict", json={"instances": rows})
    for r in (by_record, by_row):
        assert r.status_code == 200, r.text
        np.testing.assert_allclose(r.json()["predictions"], frame_churn.proba(rows), atol=1e-12)


def test_predict_typed_bad_input(frame_churn_server: Server) -> None:
    good = {"plan": "pro", "region": "north", "tenure": 3, "monthly": 10.0, "autopay": True}
    cases: list[tuple[dict[str, Any], int, tuple[str, ...]]] = [
        ({**good, "plan": 7}, 422, ("wrong type at row 1, column 'plan'", "takes a string")),
        ({**good, "tenure": "3"}, 422, ("row 1, column 'tenure'", "takes a number")),
        ({**good, "plan": "gold"}, 422, ("unknown category 'gold' at row 1, column 'plan'",)),
        ({**good, "plan": None}, 422, ("missing value at row 1, column 'plan'",)),
        ({**good, "tenure": None}, 422, ("missing value at row 1, column 'tenure'",)),
        (
            {k: v for k, v in good.items() if k != "tenure"},
            422,
            ("missing column 'tenure' in row 1",),
        ),
        ({**good, "age": 30}, 422, ("unknown column 'age' in row 1",)),
        ({**good, "autopay": "yes"}, 422, ("row 1, column 'autopay'", "true or false")),
    ]
    with frame_churn_server.client() as c:
        for record, status, fragments in cases:
            _check(c.post("/predict", json={"records": [good, record]}), status, *fragments)
        nullable = c.post("/predict", json={"records": [{**good, "region": None, "monthly": None}]})
        unknown_region = c.post("/predict", json={"records": [{**good, "region": "mars"}]})
        width = c.post("/predict", json={"instances": [["pro", "north", 3]]})
        huge = c.post(
            "/predict",
            content=b'{"instances": [["pro", "north", 1' + b"0" * 400 + b", 2.0, true]]}",
            headers={"content-type": "application/json"},
        )
        text = c.get("/metrics").text
    assert nullable.status_code == 200, nullable.text  # the pipeline imputes these
    assert unknown_region.status_code == 200  # the encoder ignores unknown regions
    _check(width, 422, "row 0 has 3 values", "5 columns")
    _check(huge, 422, "infinity at row 0, column 'tenure'")
    assert 'status="500"' not in text


def test_openapi_follows_the_schema(frame_churn_server: Server) -> None:
    with frame_churn_server.client() as c:
        doc = c.get("/openapi.json").json()
        page = c.get("/docs").text
    request = doc["components"]["schemas"]["PredictRequest"]["oneOf"]
    instances, records = request[0]["properties"]["instances"], request[1]["properties"]["records"]
    props = records["items"]["properties"]
    assert props["plan"] == {"type": "string", "enum": ["basic", "pro", "team"]}
    assert props["region"] == {"type": ["string", "null"]}
    assert props["tenure"] == {"type": "number"}
    assert props["monthly"] == {"type": ["number", "null"]}
    assert props["autopay"] == {"type": "boolean", "enum": [False, True]}
    assert records["items"]["required"] == COLUMNS
    assert instances["items"]["prefixItems"][0] == props["plan"]
    assert instances["items"]["maxItems"] == 5
    example = doc["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert example["example"] == {
        "records": [
            {"plan": "basic", "region": "a", "tenure": 0.0, "monthly": 0.0, "autopay": False}
        ]
    }
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method == "post":
                assert {"400", "413", "415", "422"} <= set(op["responses"]), path
    assert (
        "&quot;plan&quot;: &quot;basic&quot;" in page
        or "&quot;plan&quot;:&quot;basic&quot;" in page
    )


@pytest.fixture(scope="module")
def label_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, Any]:
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import RidgeClassifier

    data = load_iris()
    labels = np.array(data.target_names)[data.target]
    model = RidgeClassifier().fit(data.data, labels)  # no predict_proba: answers labels
    path = tmp_path_factory.mktemp("labels") / "flowers.joblib"
    joblib.dump(model, path)
    return path, model, data.data


@pytest.mark.parametrize("binary", [False, True])
def test_tritonclient_string_labels_come_back_as_bytes(
    label_model: tuple[Any, Any, Any], models: Models, tmp_path: Any, binary: bool
) -> None:
    path, model, X = label_model
    rows = X[::15]
    with serve_model(tmp_path, models, path) as srv:
        client = _triton(srv)
        try:
            meta = client.get_model_metadata("flowers")
            inp = tritonclient_http.InferInput("input-0", list(rows.shape), "FP64")
            inp.set_data_from_numpy(rows, binary_data=binary)
            asked = [tritonclient_http.InferRequestedOutput("label", binary_data=binary)]
            result = client.infer("flowers", [inp], outputs=asked)
        finally:
            client.close()
    assert meta["outputs"] == [{"name": "label", "datatype": "BYTES", "shape": [-1]}]
    got = [v.decode() if isinstance(v, bytes) else v for v in result.as_numpy("label").tolist()]
    assert got == model.predict(rows).tolist()


def test_invocations_json_and_noop_typed(frame_churn_server: Server, frame_churn: Churn) -> None:
    rows = frame_churn.rows(60, 64)
    records = [dict(zip(COLUMNS, r, strict=True)) for r in rows]
    with frame_churn_server.client() as c:
        as_records = c.post("/invocations", json={"records": records})
        bare_rows = c.post("/invocations", json=rows)
        noop = c.post("/noop", json={"records": records})
        noop_bad = c.post("/noop", json={"records": [{**records[0], "plan": "gold"}]})
    for r in (as_records, bare_rows):
        assert r.status_code == 200, r.text
        np.testing.assert_allclose(r.json()["predictions"], frame_churn.proba(rows), atol=1e-12)
    assert noop.json() == {"predictions": []}
    _check(noop_bad, 422, "unknown category 'gold' at row 0, column 'plan'")
