"""Batch scoring with text and image models: a text column, a folder of .txt files, a folder
of images and a file list, scored by tiny offline transformers models and compared with the
framework's own forward pass on each item alone."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import transformers

from tests.deep_models import HF, LABELS, TEXTS, build_hf

from .conftest import score_file

TOL = 1e-5  # float32 forward passes: sorted, batched and padded vs each item alone
LONG = " ".join(["the cat sat on the mat"] * 8)  # over the tokenizer's maximum of 24
PROBA = [f"proba_{label}" for label in LABELS.values()]


@pytest.fixture(scope="module")
def hf(tmp_path_factory: pytest.TempPathFactory) -> HF:
    return build_hf(tmp_path_factory.mktemp("hf"))


def _classify(model_dir: Path, texts: list[str], *, truncate: bool = False) -> np.ndarray:
    """Class probabilities of each text, run alone (no padding)."""
    tok = transformers.AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(str(model_dir)).eval()
    rows = []
    with torch.inference_mode():
        for text in texts:
            enc = tok(text, return_tensors="pt", truncation=truncate, max_length=24)
            rows.append(model(**enc).logits.softmax(-1)[0].numpy())
    return np.asarray(rows)


def _embed(model_dir: Path, texts: list[str]) -> np.ndarray:
    tok = transformers.AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = transformers.AutoModel.from_pretrained(str(model_dir)).eval()
    with torch.inference_mode():
        return np.asarray(
            [
                model(**tok(t, return_tensors="pt")).last_hidden_state[0].mean(0).numpy()
                for t in texts
            ]
        )


def _table(out: Path) -> list[dict[str, Any]]:
    """Every row of every part file, in order."""
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    for part in sorted(out.glob("part-*")):
        if part.suffix == ".parquet":
            rows += pq.read_table(part).to_pylist()
        else:
            with part.open(newline="", encoding="utf-8") as f:
                rows += list(csv.DictReader(f))
    return rows


def _rejects(out: Path) -> list[dict[str, str]]:
    with (out / "rejects.csv").open(newline="", encoding="utf-8", errors="surrogateescape") as f:
        return list(csv.DictReader(f))


def _files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "_summary.json"
    }


def _texts_csv(path: Path) -> Path:
    """TEXTS twice with ids, plus an empty text, an over-long one and one that is not UTF-8."""
    lines = [b"id,text,extra"]
    for i, text in enumerate(TEXTS * 2):
        lines.append(f't{i},"{text}",x'.encode())
    lines += [b'empty,"",x', f'long,"{LONG}",x'.encode(), b'latin,"caf\xe9 au lait",x']
    lines.append(b'multi,"good movie\nbad film",x')
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_text_column_equals_the_model_alone_and_rejects_bad_texts(hf: HF, tmp_path: Path) -> None:
    source = _texts_csv(tmp_path / "texts.csv")
    out = tmp_path / "out"
    done = score_file(
        hf.text, source, out, "--id-column", "id", "--chunk-rows", "4", "--batch-rows", "3",
        "--no-progress",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["rows_scored"], summary["rows_rejected"]) == (13, 3)

    rows = _table(out)
    texts = [*(TEXTS * 2), "good movie\nbad film"]
    assert [r["id"] for r in rows] == [*(f"t{i}" for i in range(12)), "multi"]
    assert list(rows[0]) == ["id", "label", *PROBA]
    got = np.array([[float(r[c]) for c in PROBA] for r in rows])
    want = _classify(hf.text, texts)
    np.testing.assert_allclose(got, want, atol=TOL)
    assert [r["label"] for r in rows] == [LABELS[int(k)] for k in want.argmax(1)]

    rejects = {r["id"]: (r["row"], r["reason"]) for r in _rejects(out)}
    assert rejects == {
        "empty": ("13", "empty text"),
        "long": (
            "14",
            "the text is 50 tokens, over the model's maximum of 24; pass --truncate to cut it",
        ),
        "latin": ("15", "not UTF-8 text (byte 0xe9 at offset 3)"),
    }


def test_truncate_scores_long_texts_and_parquet_keeps_row_numbers(hf: HF, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = tmp_path / "texts.parquet"
    pq.write_table(pa.table({"body": [LONG, "good movie", None]}), source)
    out = tmp_path / "out"
    done = score_file(hf.text, source, out, "--text-column", "body", "--truncate", "--no-progress")
    assert done.returncode == 0, done.stderr
    rows = _table(out)
    assert [r["row"] for r in rows] == [1, 2]
    got = np.array([[r[c] for c in PROBA] for r in rows])
    np.testing.assert_allclose(
        got, _classify(hf.text, [LONG, "good movie"], truncate=True), atol=TOL
    )
    assert _rejects(out) == [
        {"source": "texts.parquet", "row": "3", "id": "", "reason": "empty text"}
    ]


def test_folder_of_text_files_gives_embeddings(hf: HF, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "b").mkdir(parents=True)
    for i, text in enumerate(TEXTS):
        (folder / ("b" if i % 2 else "") / f"{i}.txt").write_text(text, encoding="utf-8")
    (folder / "blank.txt").write_text("  \n", encoding="utf-8")
    (folder / "b" / "bytes.txt").write_bytes(b"\xff\xfe")
    (folder / "notes.md").write_text("not a text item", encoding="utf-8")

    for fmt in ("parquet", "csv"):
        out = tmp_path / fmt
        done = score_file(
            hf.embed, folder, out, "--format", fmt, "--chunk-rows", "3", "--no-progress"
        )
        assert done.returncode == 0, done.stderr
        rows = _table(out)
        ids = sorted(f"{'b/' if i % 2 else ''}{i}.txt" for i in range(len(TEXTS)))
        assert [r["id"] for r in rows] == ids
        vectors = [r["embedding"] if fmt == "parquet" else json.loads(r["embedding"]) for r in rows]
        want = _embed(hf.embed, [TEXTS[int(Path(i).stem)] for i in ids])
        np.testing.assert_allclose(np.array(vectors), want, atol=TOL)
        assert [(r["id"], r["reason"]) for r in _rejects(out)] == [
            ("b/bytes.txt", "not UTF-8 text (byte 0xff at offset 0)"),
            ("blank.txt", "empty text"),
        ]


def test_token_classification_writes_tokens_as_json(hf: HF, tmp_path: Path) -> None:
    source = tmp_path / "t.csv"
    source.write_text("text\n" + "\n".join(TEXTS[:3]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    done = score_file(hf.tokens, source, out, "--no-progress")
    assert done.returncode == 0, done.stderr
    rows = _table(out)
    tok = transformers.AutoTokenizer.from_pretrained(str(hf.tokens), local_files_only=True)
    model = transformers.AutoModelForTokenClassification.from_pretrained(str(hf.tokens)).eval()
    for row, text in zip(rows, TEXTS[:3], strict=True):
        tokens = json.loads(row["tokens"])
        with torch.inference_mode():
            probs = model(**tok(text, return_tensors="pt")).logits.softmax(-1)[0, 1:-1].numpy()
        assert [t["token"] for t in tokens] == tok.tokenize(text)
        assert [t["label"] for t in tokens] == [LABELS[int(k)] for k in probs.argmax(1)]
        np.testing.assert_allclose([t["score"] for t in tokens], probs.max(1), atol=TOL)


def _image(color: tuple[int, int, int], size: tuple[int, int], fmt: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def _classify_images(model_dir: Path, images: list[bytes]) -> np.ndarray:
    from PIL import Image

    processor = transformers.AutoImageProcessor.from_pretrained(str(model_dir))
    model = transformers.AutoModelForImageClassification.from_pretrained(str(model_dir)).eval()
    rows = []
    with torch.inference_mode():
        for raw in images:
            pixels = processor(
                images=Image.open(io.BytesIO(raw)).convert("RGB"), return_tensors="pt"
            )
            rows.append(model(**pixels).logits.softmax(-1)[0].numpy())
    return np.asarray(rows)


def test_image_folder_and_file_list(hf: HF, tmp_path: Path) -> None:
    folder = tmp_path / "images"
    (folder / "more").mkdir(parents=True)
    images = {
        "a.png": _image((200, 30, 30), (20, 12), "PNG"),
        "b.jpg": _image((10, 200, 90), (16, 16), "JPEG"),
        "more/c.png": _image((0, 0, 255), (40, 33), "PNG"),
        "more/d.webp": _image((90, 90, 90), (8, 30), "WEBP"),
    }
    for name, raw in images.items():
        (folder / name).write_bytes(raw)
    (folder / "broken.png").write_bytes(b"not an image at all")
    labels = ["cat", "dog"]

    out = tmp_path / "out"
    done = score_file(
        hf.image, folder, out, "--chunk-rows", "2", "--batch-rows", "2", "--no-progress"
    )
    assert done.returncode == 0, done.stderr
    rows = _table(out)
    assert [r["id"] for r in rows] == sorted(images)
    got = np.array([[float(r[f"proba_{label}"]) for label in labels] for r in rows])
    want = _classify_images(hf.image, [images[k] for k in sorted(images)])
    np.testing.assert_allclose(got, want, atol=TOL)
    [reject] = _rejects(out)
    assert (reject["id"], reject["row"]) == ("broken.png", "3")
    assert reject["reason"] == (
        "the image cannot be decoded (not a format Pillow reads: send PNG, JPEG, WebP, GIF, BMP "
        "or TIFF bytes)"
    )

    listing = tmp_path / "list.txt"
    listing.write_text("images/more/c.png\n\nimages/a.png\nimages/missing.png\n", encoding="utf-8")
    out = tmp_path / "listed"
    done = score_file(hf.image, listing, out, "--format", "parquet", "--no-progress")
    assert done.returncode == 0, done.stderr
    rows = _table(out)
    assert [r["id"] for r in rows] == ["images/more/c.png", "images/a.png"]
    got = np.array([[r[f"proba_{label}"] for label in labels] for r in rows])
    want = _classify_images(hf.image, [images["more/c.png"], images["a.png"]])
    np.testing.assert_allclose(got, want, atol=TOL)
    assert [(r["row"], r["id"], r["reason"]) for r in _rejects(out)] == [
        ("3", "images/missing.png", "cannot read the file: No such file or directory")
    ]


def test_crash_after_chunk_k_then_rerun_gives_the_same_files(hf: HF, tmp_path: Path) -> None:
    """What a crash can leave (atomic writes: whole files only): the done markers of chunks
    0..k-1, perhaps the part file of chunk k without its marker, temporary files, and no
    rejects.csv. A rerun scores chunks k.. only and ends with the uninterrupted run's files."""
    source = _texts_csv(tmp_path / "texts.csv")
    args = ("--id-column", "id", "--chunk-rows", "3", "--no-progress")
    reference = tmp_path / "reference"
    done = score_file(hf.text, source, reference, *args)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["chunks"] == 6

    k = 2
    crashed = tmp_path / "crashed"
    shutil.copytree(reference, crashed)
    for marker in crashed.glob("_chunks/*.json"):
        if int(marker.stem) >= k:
            marker.unlink()
    for part in crashed.glob("part-*"):
        if int(part.stem.split("-")[1]) > k:
            part.unlink()
    (crashed / "rejects.csv").unlink()
    (crashed / "_summary.json").unlink()
    (crashed / ".part-00003.csv.abc.tmp").write_bytes(b"t9,half a li")
    kept = {
        p.name: p.stat().st_mtime_ns for p in crashed.glob("part-*") if p.stem < f"part-{k:05d}"
    }

    again = score_file(hf.text, source, crashed, *args)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert (summary["chunks_skipped"], summary["rows_scored_this_run"]) == (k, 13 - 3 * k)
    assert "2 of 6 chunks done by an earlier run" in again.stderr
    assert _files(crashed) == _files(reference)
    assert {p: (crashed / p).stat().st_mtime_ns for p in kept} == kept


def test_unusable_text_input_is_a_one_line_error(hf: HF, tmp_path: Path) -> None:
    source = _texts_csv(tmp_path / "texts.csv")
    done = score_file(hf.text, source, tmp_path / "out", "--text-column", "body")
    assert done.returncode == 2
    assert done.stderr == (
        f"Error: text column 'body' is not in {source} (columns: id, text, extra); pass "
        "--text-column with one of them\n"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    done = score_file(hf.image, empty / "missing", tmp_path / "out2")
    assert (done.returncode, done.stderr) == (
        2,
        f"Error: input {empty / 'missing'} does not exist; pass --input FILE_OR_DIRECTORY\n",
    )


def test_killed_run_resumes_to_the_same_files(hf: HF, tmp_path: Path) -> None:
    n_texts, chunk = 4_000, 40
    source = tmp_path / "many.csv"
    lines = [f"k{i},{TEXTS[i % 6]} {TEXTS[i * 7 % 6][: i % 17]}" for i in range(n_texts)]
    source.write_text("id,text\n" + "\n".join(lines) + "\n", encoding="utf-8")
    args = ["--model", hf.text, "--input", source, "--id-column", "id"]
    args += ["--chunk-rows", str(chunk), "--no-progress"]
    reference = tmp_path / "reference"
    done = score_file(hf.text, source, reference, *args[4:])
    assert done.returncode == 0, done.stderr

    out = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy_advisor.runtime.score", *map(str, args), "--output", out],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(list(out.glob("_chunks/*.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done_at_kill = len(list(out.glob("_chunks/*.json")))
    assert 3 <= done_at_kill < n_texts // chunk, "the scorer must be killed mid-run"

    again = score_file(hf.text, source, out, *args[4:])
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["chunks_skipped"] >= done_at_kill
    assert _files(out) == _files(reference)


def test_tensor_model_is_refused_in_one_line(tmp_path: Path) -> None:
    net = torch.nn.Sequential(torch.nn.Linear(4, 2))
    model = tmp_path / "net.pt2"
    torch.export.save(torch.export.export(net.eval(), (torch.randn(2, 4),)), model)
    source = _texts_csv(tmp_path / "texts.csv")
    done = score_file(model, source, tmp_path / "out")
    assert (done.returncode, done.stderr) == (
        2,
        "Error: the batch scorer takes tabular, text and image models; a tensor model is served "
        "(serve --model PATH) and sent its tensors over /predict or /v2\n",
    )
