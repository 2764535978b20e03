"""Malformed requests get a 4xx with a JSON error naming the problem, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Models, Server, serve_model

JSON = {"content-type": "application/json"}


def _row(models: Models, i: int = 0) -> list[float]:
    return [float(v) for v in models.X[i]]


def _check(r: httpx.Response, status: int, *fragments: str) -> None:
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"] == "application/json"
    message = r.json()["error"]
    for fragment in fragments:
        assert fragment in message, message


def _raw_row(models: Models, replace: dict[int, str]) -> bytes:
    cells = [repr(v) for v in _row(models)]
    for k, v in replace.items():
        cells[k] = v
    return ('{"instances": [[' + ",".join(cells) + "]]}").encode()


# --- the cases the issue lists -------------------------------------------------------------------


def test_invalid_json(rf_server: Server) -> None:
    with rf_server.client() as c:
        r = c.post("/predict", content=b'{"instances": [[1, 2,', headers=JSON)
        empty = c.post("/predict", content=b"", headers=JSON)
    _check(r, 400, "invalid JSON")
    _check(empty, 400, "invalid JSON", "empty")


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "text/csv"])
def test_wrong_content_type(rf_server: Server, models: Models, ctype: str) -> None:
    with rf_server.client() as c:
        r = c.post("/predict", content=_raw_row(models, {}), headers={"content-type": ctype})
    _check(r, 415, f"unsupported Content-Type '{ctype}'", "application/json")


def test_json_with_charset_is_accepted(rf_server: Server, models: Models) -> None:
    with rf_server.client() as c:
        r = c.post(
            "/predict",
            content=_raw_row(models, {}),
            headers={"content-type": "application/json; charset=utf-8"},
        )
    assert r.status_code == 200, r.text


def test_wrong_feature_count(rf_server: Server, models: Models) -> None:
    with rf_server.client() as c:
        short = c.post("/predict", json={"instances": [_row(models)[:29]]})
        ragged = c.post("/predict", json={"instances": [_row(models), _row(models)[:29]]})
        long = c.post("/predict", json={"instances": [[*_row(models), 1.0]]})
    _check(short, 422, "wrong feature count", "29 values", "takes 30 features")
    _check(ragged, 422, "wrong feature count", "row 1 has 29 values", "30 features")
    _check(long, 422, "wrong feature count", "31 values")


def test_non_numeric_values(rf_server: Server, models: Models) -> None:
    text = _row(models)
    text[3] = "abc"  # type: ignore[call-overload]
    numeric_string = _row(models)
    numeric_string[7] = "1.5"  # type: ignore[call-overload]
    nested = _row(models)
    nested[2] = [1.0]  # type: ignore[call-overload]
    with rf_server.client() as c:
        r1 = c.post("/predict", json={"instances": [_row(models), text]})
        r2 = c.post("/predict", json={"instances": [numeric_string]})
        r3 = c.post("/predict", json={"instances": [nested]})
    _check(r1, 422, "non-numeric value at row 1, column 3", "'abc'")
    _check(r2, 422, "non-numeric value at row 0, column 7", "'1.5'")
    _check(r3, 422, "non-numeric value at row 0, column 2")


def test_nan_where_the_model_cannot_take_it(onnx_server: Server, models: Models) -> None:
    with onnx_server.client() as c:
        null = c.post(
            "/predict", json={"instances": [[*_row(models)[:2], None, *_row(models)[3:]]]}
        )
        literal = c.post("/predict", content=_raw_row(models, {4: "NaN"}), headers=JSON)
    _check(null, 422, "NaN at row 0, column 2", "can't take missing values")
    _check(literal, 422, "NaN at row 0, column 4")


def test_nan_accepted_where_the_model_takes_it(rf_server: Server, models: Models) -> None:
    # scikit-learn forests (>= 1.4) route missing values; the server lets them through
    with rf_server.client() as c:
        r = c.post("/predict", json={"instances": [[*_row(models)[:2], None, *_row(models)[3:]]]})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("token", ["Infinity", "-Infinity", "1e999"])
def test_infinity(rf_server: Server, models: Models, token: str) -> None:
    with rf_server.client() as c:
        r = c.post("/predict", content=_raw_row(models, {6: token}), headers=JSON)
    _check(r, 422, "infinity at row 0, column 6", "finite")


def test_empty_instances(rf_server: Server) -> None:
    with rf_server.client() as c:
        r = c.post("/predict", json={"instances": []})
        records = c.post("/predict", json={"records": []})
    _check(r, 400, "`instances` is empty")
    _check(records, 400, "`records` is empty")


def test_body_over_the_default_limit(rf_server: Server, models: Models) -> None:
    rows = [_row(models)] * 6000  # about 1.7 MB
    assert len(json.dumps({"instances": rows})) > 1 << 20
    with rf_server.client() as c:
        r = c.post("/predict", json={"instances": rows})

        def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
            yield b'{"instances": ['
            for _ in range(6000):
                yield _raw_row(models, {})[15:-2] + b","
            yield b"[]]}"

        chunked = c.post("/predict", content=chunks(), headers=JSON)
        after = c.post("/predict", json={"instances": [_row(models)]})
    _check(r, 413, "over the limit of 1048576 bytes")
    _check(chunked, 413, "over the limit of 1048576 bytes")
    assert after.status_code == 200


def test_body_limit_is_configurable(tmp_path: Path, models: Models) -> None:
    small = json.dumps({"instances": [_row(models)] * 10}).encode()
    big = json.dumps({"instances": [_row(models)] * 600}).encode()
    assert 2000 < len(small) < 100_000 < len(big)
    with (
        serve_model(tmp_path, models, models.rf_joblib, "--max-body-bytes", "2000") as flag,
        serve_model(tmp_path, models, models.rf_joblib, MAX_BODY_BYTES="100000") as env,
    ):
        with flag.client() as c:
            _check(c.post("/predict", content=small, headers=JSON), 413, "limit of 2000 bytes")
            assert c.post("/predict", json={"instances": [_row(models)]}).status_code == 200
        with env.client() as c:
            assert c.post("/predict", content=small, headers=JSON).status_code == 200
            _check(c.post("/predict", content=big, headers=JSON), 413, "limit of 100000 bytes")


# --- other shapes of bad body --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "fragments"),
    [
        ({"rows": [[1.0]]}, 400, ["needs `instances`", "`records`"]),
        ([[1.0] * 30], 400, ["JSON object", "not list"]),
        ("hello", 400, ["JSON object", "not str"]),
        ({"instances": None}, 400, ["`instances` is null"]),
        ({"instances": "abc"}, 400, ["`instances` must be a list of rows"]),
        ({"instances": [1.0] * 30}, 400, ["flat list of 30 numbers", "[[...]]"]),
        ({"instances": [[[1.0] * 30]]}, 400, ["nested 3 levels"]),
        ({"instances": [{"a": 1}]}, 400, ["instances[0] is dict"]),
        ({"instances": [[1.0] * 30], "records": [{}]}, 400, ["either `instances` or `records`"]),
    ],
)
def test_malformed_payloads(
    rf_server: Server, body: object, status: int, fragments: list[str]
) -> None:
    with rf_server.client() as c:
        r = c.post("/predict", json=body)
    _check(r, status, *fragments)


def test_records_problems(named_server: Server, rf_server: Server, models: Models) -> None:
    full = dict(zip(models.feature_names, _row(models), strict=True))
    missing = {k: v for k, v in full.items() if k != "mean area"}
    unknown = {**missing, "mean aera": 1.0}
    text = {**full, "mean texture": "soft"}
    with named_server.client() as c:
        r_missing = c.post("/predict", json={"records": [full, missing]})
        r_unknown = c.post("/predict", json={"records": [{**full, "extra": 1}]})
        r_typo = c.post("/predict", json={"records": [unknown]})
        r_text = c.post("/predict", json={"records": [text]})
        r_list = c.post("/predict", json={"records": [[1, 2]]})
    with rf_server.client() as c:
        r_unnamed = c.post("/predict", json={"records": [full]})
    _check(r_missing, 422, "records[1] lacks feature 'mean area'")
    _check(r_unknown, 422, "records[0] has unknown feature 'extra'")
    _check(r_typo, 422, "lacks feature 'mean area'")
    _check(r_text, 422, "non-numeric value at row 0, column 1 ('mean texture')", "'soft'")
    _check(r_list, 400, "records[0] is list")
    _check(r_unnamed, 422, "trained without feature names", "instances")


def test_invocations_problems(rf_server: Server, models: Models) -> None:
    row = ",".join(repr(v) for v in _row(models))
    with rf_server.client() as c:
        xml = c.post("/invocations", content=b"<x/>", headers={"content-type": "application/xml"})
        text = c.post(
            "/invocations",
            content=row.replace(row.split(",")[2], "high", 1),
            headers={"content-type": "text/csv"},
        )
        short = c.post(
            "/invocations", content=row.rsplit(",", 1)[0], headers={"content-type": "text/csv"}
        )
        empty = c.post("/invocations", content=b"\n", headers={"content-type": "text/csv"})
        binary = c.post("/invocations", content=b"\xff\xfe", headers={"content-type": "text/csv"})
    _check(xml, 415, "'application/xml'", "application/json or text/csv")
    _check(text, 422, "non-numeric value at CSV row 0, column 2", "'high'")
    _check(short, 422, "wrong feature count", "29")
    _check(empty, 400, "no rows")
    _check(binary, 400, "not UTF-8")


def test_v2_infer_problems(named_server: Server, models: Models) -> None:
    row = _row(models)

    def tensor(**over: object) -> dict[str, object]:
        t: dict[str, object] = {"name": "x", "shape": [1, 30], "datatype": "FP64", "data": row}
        t.update(over)
        return t

    cases: list[tuple[object, int, str]] = [
        ({}, 400, "`inputs` must be a non-empty list"),
        ({"inputs": [tensor(), tensor()]}, 400, "has 2 tensors"),
        ({"inputs": [tensor(datatype="BYTES")]}, 422, "non-numeric datatype 'BYTES'"),
        ({"inputs": [tensor(shape=[30])]}, 400, "must be [rows, 30]"),
        ({"inputs": [tensor(shape=[2, 30])]}, 400, "has 30 values but shape [2, 30] needs 60"),
        ({"inputs": [tensor(shape=[1, 29], data=row[:29])]}, 422, "wrong feature count"),
        ({"inputs": [tensor(data=[*row[:5], "x", *row[6:]])]}, 422, "row 0, column 5"),
        ({"inputs": [tensor(data=[*row[:5], None, *row[6:]])]}, 200, ""),
        ({"inputs": [{"name": "x"}]}, 400, "lacks 'shape', 'datatype', 'data'"),
        ({"inputs": [tensor()], "outputs": [{"name": "nope"}]}, 400, "unknown output 'nope'"),
        ([1, 2], 400, "JSON object with `inputs`"),
    ]
    with named_server.client() as c:
        for body, status, fragment in cases:
            r = c.post("/v2/models/cancer/infer", json=body)
            if status == 200:
                assert r.status_code == 200, (body, r.text)
            else:
                _check(r, status, fragment)
        wrong_model = c.post("/v2/models/other/infer", json={"inputs": [tensor()]})
    _check(wrong_model, 404, "unknown model 'other'", "'cancer'")


def test_no_bad_request_made_a_server_error(rf_server: Server) -> None:
    """Runs after the cases above in this module: none of them produced a 5xx."""
    with rf_server.client() as c:
        text = c.get("/metrics").text
    assert 'status="500"' not in text
