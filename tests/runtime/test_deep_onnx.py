"""ONNX models with image and sequence inputs (not a float table), built here with onnx.helper;
answers equal onnxruntime's own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from .conftest import runtime_argv, server_env, start_server

TOL = 1e-5


@pytest.fixture(scope="module")
def image_and_sequence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Inputs img [N, 1, 4, 4] float and ids [N, L] int64; outputs mean pixel per image and the
    sum of the ids, as float."""
    img = helper.make_tensor_value_info("img", TensorProto.FLOAT, ["N", 1, 4, 4])
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, ["N", "L"])
    brightness = helper.make_tensor_value_info("brightness", TensorProto.FLOAT, ["N", 1])
    total = helper.make_tensor_value_info("total", TensorProto.FLOAT, ["N", 1])
    axes_img = helper.make_tensor("axes_img", TensorProto.INT64, [3], [1, 2, 3])
    axes_seq = helper.make_tensor("axes_seq", TensorProto.INT64, [1], [1])
    nodes = [
        helper.make_node("ReduceMean", ["img", "axes_img"], ["m"], keepdims=1),
        helper.make_node("Reshape", ["m", "shape"], ["brightness"]),
        helper.make_node("Cast", ["ids"], ["idsf"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["idsf", "axes_seq"], ["total"], keepdims=1),
    ]
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [-1, 1])
    graph = helper.make_graph(
        nodes, "tensors", [img, ids], [brightness, total], [axes_img, axes_seq, shape]
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    path = tmp_path_factory.mktemp("onnx") / "vision_seq.onnx"
    onnx.save(model, path)
    return path


def test_image_and_sequence_inputs(image_and_sequence: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    imgs = rng.random((3, 1, 4, 4), dtype=np.float32)
    ids = rng.integers(0, 50, size=(3, 6))
    sess = ort.InferenceSession(str(image_and_sequence), providers=["CPUExecutionProvider"])
    want_b, want_t = sess.run(None, {"img": imgs, "ids": ids})
    argv = runtime_argv("--model", str(image_and_sequence), "--port", "0")
    with start_server(tmp_path, argv, server_env()) as s, s.client() as c:
        r = c.post(
            "/predict",
            json={
                "instances": [{"img": imgs[i].tolist(), "ids": ids[i].tolist()} for i in range(3)]
            },
        )
        v2 = c.post(
            "/v2/models/vision_seq/infer",
            json={
                "inputs": [
                    {
                        "name": "img",
                        "shape": [3, 1, 4, 4],
                        "datatype": "FP32",
                        "data": imgs.ravel().tolist(),
                    },
                    {
                        "name": "ids",
                        "shape": [3, 6],
                        "datatype": "INT64",
                        "data": ids.ravel().tolist(),
                    },
                ]
            },
        )
        longer = c.post(  # sequences of another length go in their own batch
            "/predict",
            json={"instances": [{"img": imgs[0].tolist(), "ids": list(range(9))}]},
        )
        bad_shape = c.post("/predict", json={"instances": [{"img": [[1.0, 2.0]], "ids": [1, 2]}]})
        bad_type = c.post(
            "/predict", json={"instances": [{"img": imgs[0].tolist(), "ids": [0.5, 1.5]}]}
        )
        meta = c.get("/v2/models/vision_seq").json()
        assert c.get("/readyz").status_code == 200
    assert r.status_code == 200, r.text
    preds = r.json()["predictions"]
    np.testing.assert_allclose([p["brightness"] for p in preds], want_b, atol=TOL)
    np.testing.assert_allclose([p["total"] for p in preds], want_t, atol=TOL)
    assert v2.status_code == 200, v2.text
    outs = {o["name"]: np.array(o["data"]).reshape(o["shape"]) for o in v2.json()["outputs"]}
    np.testing.assert_allclose(outs["brightness"], want_b, atol=TOL)
    np.testing.assert_allclose(outs["total"], want_t, atol=TOL)
    assert longer.status_code == 200 and longer.json()["predictions"][0]["total"] == [36.0]
    assert bad_shape.status_code == 422 and "[1, 4, 4]" in bad_shape.json()["error"]
    assert bad_type.status_code == 422 and "int64" in bad_type.json()["error"]
    assert meta["inputs"] == [
        {"name": "img", "datatype": "FP32", "shape": [-1, 1, 4, 4]},
        {"name": "ids", "datatype": "INT64", "shape": [-1, -1]},
    ]
