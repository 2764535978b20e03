"""Keras 3 models served on the torch backend, built and saved here."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from .conftest import runtime_argv, serve_refused, server_env, start_server

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras

TOL = 1e-5
# keras 3.15 with numpy 2.4 warns about its own __array__; not something the server does
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def test_keras_model_answers_equal_its_own(tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    with warnings.catch_warnings():  # keras' own numpy-2 deprecation, not ours
        warnings.simplefilter("ignore", DeprecationWarning)
        model.save(tmp_path / "clf.keras")
    x = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    want = keras.ops.convert_to_numpy(model(x, training=False))
    argv = runtime_argv("--model", str(tmp_path / "clf.keras"), "--port", "0")
    with start_server(tmp_path, argv, server_env()) as s, s.client() as c:
        r = c.post("/predict", json={"instances": x.tolist()})
        v2 = c.post(
            "/v2/models/clf/infer",
            json={
                "inputs": [
                    {"name": "x", "shape": [4, 6], "datatype": "FP32", "data": x.ravel().tolist()}
                ]
            },
        )
        short = c.post("/predict", json={"instances": [[1.0, 2.0]]})
        meta = c.get("/v2/models/clf").json()
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(np.array(r.json()["predictions"]), want, atol=TOL)
    assert v2.status_code == 200, v2.text
    np.testing.assert_allclose(
        np.array(v2.json()["outputs"][0]["data"]).reshape(4, 3), want, atol=TOL
    )
    assert short.status_code == 422 and "[6]" in short.json()["error"]
    assert meta["inputs"][0]["shape"] == [-1, 6] and meta["platform"] == "keras"


def test_a_layer_the_server_cannot_rebuild_is_named(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "mylayers.py").write_text(
        textwrap.dedent(
            """
            import keras

            @keras.saving.register_keras_serializable(package="mine")
            class Doubler(keras.layers.Layer):
                def call(self, x):
                    return x * 2
            """
        )
    )
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(code)!r})
        import keras, mylayers
        m = keras.Sequential([keras.Input((3,)), mylayers.Doubler(), keras.layers.Dense(2)])
        m.save({str(tmp_path / "custom.keras")!r})
        """
    )
    env = server_env(KERAS_BACKEND="torch")
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    proc = serve_refused(tmp_path / "custom.keras", cwd=tmp_path, env=env)
    assert proc.returncode == 3, proc.stderr
    assert "Doubler" in proc.stderr and "register_keras_serializable" in proc.stderr
