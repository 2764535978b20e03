"""The bundle's own runtime, run from the bundle directory: stdin CLI and the tiny HTTP mode."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import joblib
import numpy as np

from .conftest import breast_cancer, serving


def _runtime(bundle: Path, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge_runtime", *args],
        input=stdin, capture_output=True, text=True, cwd=bundle, timeout=120,
    )  # fmt: skip


def test_predict_reads_json_on_stdin(bundle: Path, forest_path: Path) -> None:
    features, _ = breast_cancer()
    rows = features[:5]

    done = _runtime(bundle, "predict", "--stats", stdin=json.dumps({"instances": rows.tolist()}))

    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    expected = joblib.load(forest_path).predict_proba(rows)
    np.testing.assert_allclose([r["probabilities"] for r in records], expected, atol=1e-5)
    assert [r["label"] for r in records] == list(expected.argmax(axis=1))
    stats = json.loads(done.stderr.strip().splitlines()[-1])
    assert stats["rows"] == 5 and stats["load_ms"] > 0 and stats["peak_rss_mb"] > 10


def test_predict_reads_csv_with_a_header(bundle: Path, forest_path: Path) -> None:
    features, _ = breast_cancer()
    rows = features[10:13]
    text = ",".join(f"f{i}" for i in range(30)) + "\n"
    text += "".join(",".join(repr(float(v)) for v in row) + "\n" for row in rows)

    done = _runtime(bundle, "predict", "--format", "csv", stdin=text)

    assert done.returncode == 0, done.stderr
    probabilities = [json.loads(line)["probabilities"] for line in done.stdout.splitlines()]
    np.testing.assert_allclose(
        probabilities, joblib.load(forest_path).predict_proba(rows), atol=1e-5
    )


def test_bad_input_is_one_error_line(bundle: Path) -> None:
    done = _runtime(bundle, "predict", stdin='{"instances": [[1, 2, 3]]}')

    assert done.returncode == 2
    assert done.stderr == "Error: expected rows of 30 numbers, got shape (1, 3)\n"


def test_http_mode_answers_predict_and_health(bundle: Path, forest_path: Path) -> None:
    features, _ = breast_cancer()
    with serving(bundle) as base:
        body = json.dumps({"instances": features[:3].tolist()}).encode()
        request = urllib.request.Request(
            f"{base}/predict", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            predictions = json.loads(response.read())["predictions"]
        expected = joblib.load(forest_path).predict_proba(features[:3])
        np.testing.assert_allclose([p["probabilities"] for p in predictions], expected, atol=1e-5)
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
            health = json.loads(response.read())
        assert health["status"] == "ok" and health["rss_mb"] > 10
