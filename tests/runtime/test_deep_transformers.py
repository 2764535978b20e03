"""Hugging Face transformers directories served offline: tiny random-initialised BERT and ViT
models with a WordPiece tokenizer trained here, compared with the framework's own answers."""

from __future__ import annotations

import base64
import concurrent.futures
import contextlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import transformers

from tests.deep_models import HF, LABELS, TEXTS, build_hf

from .conftest import Server, runtime_argv, serve_refused, server_env, start_server

os.environ["HF_HUB_OFFLINE"] = "1"

TOL = 1e-5  # float32 forward passes: batched and padded vs alone


@pytest.fixture(scope="module")
def hf(tmp_path_factory: pytest.TempPathFactory) -> HF:
    return build_hf(tmp_path_factory.mktemp("hf"))


@contextlib.contextmanager
def _serve(tmp: Path, model: Path, *args: str, **env: str) -> Iterator[Server]:
    argv = runtime_argv("--model", str(model), "--port", "0", *args)
    with start_server(tmp, argv, server_env(**env)) as s:
        yield s


def _pipeline(model: Path, task: str) -> object:
    return transformers.pipeline(task, model=str(model), device="cpu", local_files_only=True)


def _triton_bytes(port: int, model: str, elements: list[bytes]) -> list[dict[str, Any]]:
    """tritonclient's defaults: a BYTES input as binary data, the output asked back as binary."""
    import tritonclient.http as triton

    client = triton.InferenceServerClient(f"127.0.0.1:{port}")
    inp = triton.InferInput("input", [len(elements)], "BYTES")
    inp.set_data_from_numpy(np.array(elements, dtype=np.object_))
    result = client.infer(model, [inp])
    assert "binary_data_size" in result.get_output("predictions")["parameters"]
    return [json.loads(e) for e in result.as_numpy("predictions")]


def test_text_classification_equals_the_pipeline(hf: HF, tmp_path: Path) -> None:
    pipe = _pipeline(hf.text, "text-classification")
    want = {t: {d["label"]: d["score"] for d in pipe(t, top_k=None)} for t in TEXTS}
    long_text = " ".join(["cat"] * 40)
    with _serve(tmp_path, hf.text) as s:

        def call(texts: list[str]) -> list[dict[str, object]]:
            with s.client() as c:
                r = c.post("/predict", json={"instances": texts})
                assert r.status_code == 200, r.text
                assert r.json()["classes"] == ["neg", "neu", "pos"]
                return list(r.json()["predictions"])

        jobs = [TEXTS[i % 6 : i % 6 + 1 + i % 3] for i in range(24)]
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            results = list(pool.map(call, jobs))
        with s.client() as c:
            too_long = c.post("/predict", json={"instances": ["good movie", long_text]})
            cut = c.post(
                "/predict", json={"instances": [long_text], "parameters": {"truncate": True}}
            )
            number = c.post("/predict", json={"instances": [42]})
            v2 = c.post(
                "/v2/models/text/infer",
                json={
                    "inputs": [
                        {"name": "text", "shape": [1], "datatype": "BYTES", "data": ["good movie"]}
                    ]
                },
            )
            meta = c.get("/v2/models/text").json()
            assert c.get("/readyz").status_code == 200
        binary = _triton_bytes(s.port, "text", [b"good movie", b"bad film"])
    for texts, preds in zip(jobs, results, strict=True):
        for t, p in zip(texts, preds, strict=True):
            scores = dict(zip(["neg", "neu", "pos"], p["scores"], strict=True))
            for label, score in want[t].items():
                assert abs(scores[label] - score) < TOL, (t, label)
            assert p["label"] == max(want[t], key=lambda k: want[t][k])
    assert too_long.status_code == 422
    assert (
        "instances[1]" in too_long.json()["error"] and "maximum of 24" in too_long.json()["error"]
    )
    assert cut.status_code == 200
    assert number.status_code == 422 and "instances[0]" in number.json()["error"]
    assert v2.status_code == 200, v2.text
    for text, answer in zip(["good movie", "bad film"], binary, strict=True):
        scores = dict(zip(["neg", "neu", "pos"], answer["scores"], strict=True))
        assert all(abs(scores[k] - v) < TOL for k, v in want[text].items())
    assert meta["parameters"]["task"] == "text-classification"
    assert meta["parameters"]["max_length"] == 24


def test_token_classification_and_embeddings_equal_the_forward_pass(hf: HF, tmp_path: Path) -> None:
    tok = transformers.AutoTokenizer.from_pretrained(str(hf.tokens), local_files_only=True)
    tagger = transformers.AutoModelForTokenClassification.from_pretrained(
        str(hf.tokens), local_files_only=True
    ).eval()
    encoder = transformers.AutoModel.from_pretrained(str(hf.embed), local_files_only=True).eval()
    text = TEXTS[5]
    enc = tok(text, return_tensors="pt")
    with torch.no_grad():
        probs = tagger(**enc).logits.softmax(-1)[0, 1:-1].numpy()
        hidden = encoder(**enc).last_hidden_state[0].numpy()
    with _serve(tmp_path, hf.tokens) as s, s.client() as c:
        tags = c.post("/predict", json={"instances": [text, "bad film"]})
    with _serve(tmp_path, hf.embed) as s, s.client() as c:
        vec = c.post("/predict", json={"instances": [text, "good movie"]})
    assert tags.status_code == 200, tags.text
    got = tags.json()["predictions"][0]
    assert len(got) == len(probs)
    for g, p in zip(got, probs, strict=True):
        assert g["label"] == LABELS[int(p.argmax())]
        assert abs(g["score"] - float(p.max())) < TOL
        assert text[g["start"] : g["end"]] == g["token"].removeprefix("##")
    assert vec.status_code == 200, vec.text
    np.testing.assert_allclose(np.array(vec.json()["predictions"][0]), hidden.mean(0), atol=TOL)


def test_task_override_from_the_environment(hf: HF, tmp_path: Path) -> None:
    with _serve(tmp_path, hf.text, MODEL_TASK="feature-extraction") as s, s.client() as c:
        r = c.post("/predict", json={"instances": ["good movie"]})
    assert r.status_code == 200, r.text
    assert len(r.json()["predictions"][0]) == 32


def _png(color: tuple[int, int, int], size: tuple[int, int] = (20, 12)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def test_image_classification_from_base64_and_upload(hf: HF, tmp_path: Path) -> None:
    from PIL import Image

    processor = transformers.AutoImageProcessor.from_pretrained(
        str(hf.image), local_files_only=True
    )
    model = transformers.AutoModelForImageClassification.from_pretrained(
        str(hf.image), local_files_only=True
    ).eval()
    images = [_png((200, 10, 10)), _png((10, 200, 90), (16, 30))]
    pil = [Image.open(io.BytesIO(b)).convert("RGB") for b in images]
    with torch.no_grad():
        want = model(**processor(images=pil, return_tensors="pt")).logits.softmax(-1).numpy()
    with _serve(tmp_path, hf.image) as s, s.client() as c:
        b64 = c.post(
            "/predict", json={"instances": [{"b64": base64.b64encode(b).decode()} for b in images]}
        )
        upload = c.post(
            "/predict",
            files=[
                ("file", ("a.png", images[0], "image/png")),
                ("file", ("b.png", images[1], "image/png")),
            ],
        )
        garbage = c.post(
            "/predict", json={"instances": [{"b64": base64.b64encode(b"not an image").decode()}]}
        )
        bad_b64 = c.post("/predict", json={"instances": [{"b64": "%%%"}]})
        assert c.get("/readyz").status_code == 200
        binary = _triton_bytes(s.port, "image", images)
    for r in (b64, upload):
        assert r.status_code == 200, r.text
        got = np.array([p["scores"] for p in r.json()["predictions"]])
        np.testing.assert_allclose(got, want, atol=TOL)
        assert r.json()["classes"] == ["cat", "dog"]
    got = np.array([answer["scores"] for answer in binary])  # raw image bytes, as Triton takes
    np.testing.assert_allclose(got, want, atol=TOL)
    assert garbage.status_code == 422 and "cannot be decoded" in garbage.json()["error"]
    assert bad_b64.status_code == 400 and "base64" in bad_b64.json()["error"]


def test_incomplete_directory_names_the_missing_file(hf: HF, tmp_path: Path) -> None:
    proc = serve_refused(hf.no_tokenizer, cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert "tokenizer.json" in proc.stderr and "save_pretrained" in proc.stderr


def test_cli_serve_task_and_truncate_flags(hf: HF, tmp_path: Path) -> None:
    import sys

    from .conftest import free_port

    port = free_port()
    argv = [sys.executable, "-m", "deploy_advisor", "serve", str(hf.text), "--port", str(port),
            "--task", "feature-extraction", "--truncate"]  # fmt: skip
    with start_server(tmp_path, argv, server_env(), port=port) as s, s.client() as c:
        r = c.post("/predict", json={"instances": [" ".join(["cat"] * 40)]})
    assert r.status_code == 200, r.text
    assert len(r.json()["predictions"][0]) == 32  # an embedding, truncated to 24 tokens
