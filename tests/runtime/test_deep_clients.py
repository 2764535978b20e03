"""A torch.export model through clients nobody here wrote: tritonclient (OIP v2 JSON) and a
hypothesis fuzz of tensor bodies (every answer a prediction or a 4xx naming the problem)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Server, runtime_argv, server_env, start_server


class Scorer(torch.nn.Module):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv1d(2, 3, 2)

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        return self.conv(seq).amax(-1)


@pytest.fixture(scope="module")
def scorer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Scorer, Server]]:
    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("clients")
    net = Scorer().eval()
    batch = torch.export.Dim("batch", min=1, max=512)
    torch.export.save(
        torch.export.export(net, (torch.randn(2, 2, 6),), dynamic_shapes=({0: batch},)),
        d / "scorer.pt2",
    )
    argv = runtime_argv("--model", str(d / "scorer.pt2"), "--port", "0")
    with start_server(d, argv, server_env()) as srv:
        yield net, srv


def test_tritonclient_infers_and_reads_metadata(scorer: tuple[Scorer, Server]) -> None:
    import tritonclient.http as triton

    net, srv = scorer
    client = triton.InferenceServerClient(f"127.0.0.1:{srv.port}")
    meta = client.get_model_metadata("scorer")
    assert meta["inputs"] == [{"name": "seq", "datatype": "FP32", "shape": [-1, 2, 6]}]
    x = np.random.default_rng(0).normal(size=(4, 2, 6)).astype(np.float32)
    inp = triton.InferInput("seq", list(x.shape), "FP32")
    inp.set_data_from_numpy(x, binary_data=False)
    result = client.infer("scorer", [inp])
    name = meta["outputs"][0]["name"]
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(result.as_numpy(name), want, atol=1e-5)
    bad = triton.InferInput("seq", [1, 2, 5], "FP32")
    bad.set_data_from_numpy(np.zeros((1, 2, 5), dtype=np.float32), binary_data=False)
    with pytest.raises(Exception, match=r"\[2, 6\]"):
        client.infer("scorer", [bad])
    client.close()


_VALUES = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.integers(-(2**40), 2**40),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
)


def _nested(depth: int) -> st.SearchStrategy[object]:
    if depth == 0:
        return _VALUES
    return st.lists(_nested(depth - 1), min_size=0, max_size=7)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    instances=st.lists(st.one_of(_nested(1), _nested(2), _nested(3)), min_size=0, max_size=4),
    datatype=st.sampled_from(["FP32", "FP64", "INT64", "BOOL", "BYTES", "FP8"]),
    shape=st.lists(st.integers(0, 7), min_size=0, max_size=4),
)
def test_fuzzed_tensor_bodies_get_a_prediction_or_a_4xx(
    scorer: tuple[Scorer, Server], instances: list[object], datatype: str, shape: list[int]
) -> None:
    _, srv = scorer
    with httpx.Client(base_url=srv.url, timeout=30.0) as c:
        r = c.post("/predict", json={"instances": instances})
        assert r.status_code in (200, 400, 422), r.text
        if r.status_code != 200:
            assert r.json()["error"]
        flat = [v for v in instances if not isinstance(v, list)] or [0.0] * int(
            np.prod(shape or [0])
        )
        v2 = c.post(
            "/v2/models/scorer/infer",
            json={"inputs": [{"name": "seq", "shape": shape, "datatype": datatype, "data": flat}]},
        )
        assert v2.status_code in (200, 400, 422), v2.text
    if r.status_code == 200:
        assert len(r.json()["predictions"]) == len(instances)


def test_the_server_is_still_ready_after_the_fuzz(scorer: tuple[Scorer, Server]) -> None:
    _, srv = scorer
    with srv.client() as c:
        assert c.get("/readyz").status_code == 200
    assert '"status":500' not in srv.log_text()
    assert Path(srv.log_path).is_file()


def test_binary_tensors_both_ways_and_invocations_predict(scorer: tuple[Scorer, Server]) -> None:
    import tritonclient.http as triton
    from tritonclient.utils import InferenceServerException

    net, srv = scorer
    client = triton.InferenceServerClient(f"127.0.0.1:{srv.port}")
    name = client.get_model_metadata("scorer")["outputs"][0]["name"]
    x = np.random.default_rng(1).normal(size=(3, 2, 6)).astype(np.float32)
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
    inp = triton.InferInput("seq", list(x.shape), "FP32")
    inp.set_data_from_numpy(x, binary_data=True)
    # tritonclient's defaults: binary inputs, and every output as binary data
    default = client.infer("scorer", [inp])
    assert default.get_output(name)["parameters"]["binary_data_size"] == want.nbytes
    np.testing.assert_allclose(default.as_numpy(name), want, atol=1e-5)
    as_json = client.infer("scorer", [inp], outputs=[triton.InferRequestedOutput(name, False)])
    assert "data" in as_json.get_output(name)
    np.testing.assert_allclose(as_json.as_numpy(name), want, atol=1e-5)
    with pytest.raises(InferenceServerException, match="unknown output 'nope'"):
        client.infer("scorer", [inp], outputs=[triton.InferRequestedOutput("nope")])
    # 48 bytes where the shape needs 96, and bytes left over: 400s naming the sizes
    for size, extra, needle in ((48, b"", "needs 96"), (96, b"\0" * 8, "add up to 96")):
        tensor = {"name": "seq", "shape": [2, 2, 6], "datatype": "FP32"}
        head = json.dumps({"inputs": [{**tensor, "parameters": {"binary_data_size": size}}]})
        r = httpx.post(
            f"http://127.0.0.1:{srv.port}/v2/models/scorer/infer",
            content=head.encode() + np.zeros(size // 4, np.float32).tobytes() + extra,
            headers={
                "Content-Type": "application/octet-stream",
                "Inference-Header-Content-Length": str(len(head)),
            },
            timeout=30,
        )
        assert r.status_code == 400 and needle in r.json()["error"], r.text
    x = np.zeros((1, 2, 6), dtype=np.float32)
    body = {"instances": x.tolist()}
    sage = httpx.post(f"http://127.0.0.1:{srv.port}/invocations", json=body, timeout=30)
    assert sage.status_code == 200, sage.text
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(np.array(sage.json()["predictions"]), want, atol=1e-5)
    noop = httpx.post(f"http://127.0.0.1:{srv.port}/noop", json=body, timeout=30)
    assert noop.json() == {"predictions": []}
