"""PyTorch models served end to end: torch.export programs and TorchScript, built here."""

from __future__ import annotations

import concurrent.futures
import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from .conftest import Server, runtime_argv, serve_refused, server_env, start_server

TOL = 1e-5  # float32 forward passes, batched vs alone


class MLP(torch.nn.Module):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.a = torch.nn.Linear(4, 8)
        self.b = torch.nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.relu(self.a(x))).softmax(-1)


class CNN(torch.nn.Module):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3)
        self.head = torch.nn.Linear(4, 2)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        return self.head(self.conv(img).mean(dim=(2, 3)))


class Ids(torch.nn.Module):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.emb = torch.nn.Embedding(10, 4)

    def forward(self, ids: torch.Tensor, scale: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        e = self.emb(ids).mean(1)
        return e * scale, e.sum(-1)


@dataclass
class TorchModels:
    mlp: MLP
    cnn: CNN
    ids: Ids
    mlp_pt2: Path
    cnn_pt2: Path
    ids_pt2: Path
    script: Path
    state_dict: Path


@pytest.fixture(scope="module")
def tm(tmp_path_factory: pytest.TempPathFactory) -> TorchModels:
    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("torch")
    batch = torch.export.Dim("batch", min=1, max=1024)
    mlp, cnn, ids = MLP().eval(), CNN().eval(), Ids().eval()
    torch.export.save(
        torch.export.export(mlp, (torch.randn(2, 4),), dynamic_shapes=({0: batch},)),
        d / "mlp.pt2",
    )
    torch.export.save(
        torch.export.export(cnn, (torch.randn(2, 1, 8, 8),), dynamic_shapes=({0: batch},)),
        d / "cnn.pt2",
    )
    torch.export.save(
        torch.export.export(
            ids,
            (torch.randint(0, 10, (2, 5)), torch.ones(2, 1)),
            dynamic_shapes=({0: batch}, {0: batch}),
        ),
        d / "ids.pt2",
    )
    with warnings.catch_warnings():  # TorchScript is deprecated, and still what users have
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(mlp), d / "mlp_script.pt")
    torch.save(mlp.state_dict(), d / "weights.pt")
    return TorchModels(
        mlp,
        cnn,
        ids,
        d / "mlp.pt2",
        d / "cnn.pt2",
        d / "ids.pt2",
        d / "mlp_script.pt",
        d / "weights.pt",
    )


def _serve(tmp: Path, model: Path, *args: str) -> contextlib.AbstractContextManager[Server]:
    argv = runtime_argv("--model", str(model), "--port", "0", *args)
    return start_server(tmp, argv, server_env())


@pytest.fixture(scope="module")
def mlp_srv(tm: TorchModels, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with _serve(tmp_path_factory.mktemp("s"), tm.mlp_pt2) as s:
        yield s


def _forward(module: torch.nn.Module, *xs: np.ndarray) -> list[np.ndarray]:
    with torch.no_grad():
        out = module(*(torch.from_numpy(x) for x in xs))
    outs = out if isinstance(out, tuple) else (out,)
    return [o.numpy() for o in outs]


def test_exported_program_answers_equal_its_forward(tm: TorchModels, mlp_srv: Server) -> None:
    x = np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)
    with mlp_srv.client() as c:
        r = c.post("/predict", json={"instances": x.tolist()})
        assert r.status_code == 200, r.text
        got = np.array(r.json()["predictions"], dtype=np.float32)
        meta = c.get("/v2/models/mlp").json()
    np.testing.assert_allclose(got, _forward(tm.mlp, x)[0], atol=TOL)
    assert meta["inputs"] == [{"name": "x", "datatype": "FP32", "shape": [-1, 4]}]
    assert meta["outputs"][0]["shape"] == [-1, 3]
    assert meta["platform"] == "torch"


def test_v2_json_tensor_of_images(tm: TorchModels, tmp_path: Path) -> None:
    x = np.random.default_rng(2).normal(size=(3, 1, 8, 8)).astype(np.float32)
    body = {
        "id": "r1",
        "inputs": [
            {"name": "img", "shape": [3, 1, 8, 8], "datatype": "FP32", "data": x.ravel().tolist()}
        ],
    }
    with _serve(tmp_path, tm.cnn_pt2) as s, s.client() as c:
        r = c.post("/v2/models/cnn/infer", json=body)
        assert r.status_code == 200, r.text
        out = r.json()["outputs"][0]
        bad = c.post(
            "/v2/models/cnn/infer",
            json={
                "inputs": [
                    {"name": "img", "shape": [1, 1, 4, 4], "datatype": "FP32", "data": [0.0] * 16}
                ]
            },
        )
        nested = c.post("/predict", json={"instances": [[[[0.5] * 7] * 8]]})
        alive = c.get("/readyz").status_code
    assert r.json()["id"] == "r1"
    assert out["shape"] == [3, 2] and out["datatype"] == "FP32"
    np.testing.assert_allclose(
        np.array(out["data"], dtype=np.float32).reshape(3, 2), _forward(tm.cnn, x)[0], atol=TOL
    )
    assert bad.status_code == 422 and "[1, 4, 4]" in bad.json()["error"]
    assert "[1, 8, 8]" in bad.json()["error"]
    assert nested.status_code == 422 and "shape [1, 8, 7]" in nested.json()["error"]
    assert alive == 200


def test_two_integer_and_float_inputs_and_two_outputs(tm: TorchModels, tmp_path: Path) -> None:
    ids = np.array([[1, 2, 3, 4, 5], [9, 8, 7, 6, 5]], dtype=np.int64)
    scale = np.array([[2.0], [0.5]], dtype=np.float32)
    want = _forward(tm.ids, ids, scale)
    with _serve(tmp_path, tm.ids_pt2) as s, s.client() as c:
        r = c.post(
            "/predict",
            json={
                "instances": [
                    {"ids": ids[i].tolist(), "scale": scale[i].tolist()} for i in range(2)
                ]
            },
        )
        v2 = c.post(
            "/v2/models/ids/infer",
            json={
                "inputs": [
                    {
                        "name": "ids",
                        "shape": [2, 5],
                        "datatype": "INT64",
                        "data": ids.ravel().tolist(),
                    },
                    {"name": "scale", "shape": [2, 1], "datatype": "FP32", "data": [2.0, 0.5]},
                ]
            },
        )
        fraction = c.post("/predict", json={"instances": [{"ids": [1.5] * 5, "scale": [1.0]}]})
        wrong_type = c.post(
            "/v2/models/ids/infer",
            json={
                "inputs": [
                    {"name": "ids", "shape": [1, 5], "datatype": "FP32", "data": [1.0] * 5},
                    {"name": "scale", "shape": [1, 1], "datatype": "FP32", "data": [1.0]},
                ]
            },
        )
        missing = c.post("/predict", json={"instances": [{"ids": [1] * 5}]})
        text = c.post("/predict", json={"instances": [{"ids": ["a"] * 5, "scale": [1.0]}]})
        meta = c.get("/v2/models/ids").json()
    assert r.status_code == 200, r.text
    preds = r.json()["predictions"]
    names = list(preds[0])
    np.testing.assert_allclose(np.array([p[names[0]] for p in preds]), want[0], atol=TOL)
    np.testing.assert_allclose(np.array([p[names[1]] for p in preds]), want[1], atol=TOL)
    assert v2.status_code == 200, v2.text
    np.testing.assert_allclose(
        np.array(v2.json()["outputs"][0]["data"]).reshape(2, 4), want[0], atol=TOL
    )
    assert fraction.status_code == 422 and "int64" in fraction.json()["error"]
    assert wrong_type.status_code == 422 and "INT64" in wrong_type.json()["error"]
    assert missing.status_code == 422 and "scale" in missing.json()["error"]
    assert text.status_code == 422 and "'ids'" in text.json()["error"]
    assert [i["datatype"] for i in meta["inputs"]] == ["INT64", "FP32"]


def test_concurrent_requests_share_batches_and_get_their_own_answers(
    tm: TorchModels, mlp_srv: Server
) -> None:
    rng = np.random.default_rng(3)
    xs = [rng.normal(size=(int(rng.integers(1, 4)), 4)).astype(np.float32) for _ in range(40)]

    def call(x: np.ndarray) -> np.ndarray:
        with mlp_srv.client() as c:
            r = c.post("/predict", json={"instances": x.tolist()})
            assert r.status_code == 200, r.text
            return np.array(r.json()["predictions"], dtype=np.float32)

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        got = list(pool.map(call, xs))
    for x, g in zip(xs, got, strict=True):
        np.testing.assert_allclose(g, _forward(tm.mlp, x)[0], atol=TOL)
    with mlp_srv.client() as c:
        ragged = c.post("/predict", json={"instances": [[1.0, 2.0, 3.0, 4.0], [1.0]]})
        empty = c.post("/predict", json={"instances": []})
        nan = c.post(
            "/predict",
            content=b'{"instances": [[1, 2, 3, NaN]]}',
            headers={"content-type": "application/json"},
        )
        assert c.get("/readyz").status_code == 200
    assert ragged.status_code == 422 and "shape [1]" in ragged.json()["error"]
    assert empty.status_code == 400
    assert nan.status_code == 422 and "NaN" in nan.json()["error"]


def test_torchscript_file_serves(tm: TorchModels, tmp_path: Path) -> None:
    x = np.random.default_rng(4).normal(size=(2, 4)).astype(np.float32)
    with _serve(tmp_path, tm.script) as s, s.client() as c:
        r = c.post("/predict", json={"instances": x.tolist()})
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(np.array(r.json()["predictions"]), _forward(tm.mlp, x)[0], atol=TOL)


def test_state_dict_is_refused_naming_the_export_call(tm: TorchModels, tmp_path: Path) -> None:
    proc = serve_refused(tm.state_dict, cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert "state_dict" in proc.stderr and "torch.export.save(torch.export.export(" in proc.stderr
