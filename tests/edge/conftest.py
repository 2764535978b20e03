"""Edge fixtures: real scikit-learn models and a bundle written by `scaffold --target edge`."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import joblib
import numpy as np
import pytest


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deploy_advisor", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )


def scaffold_edge(model: Path, out: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """`deploy-advisor scaffold --target edge --model MODEL -o OUT FLAGS`."""
    return run_cli("scaffold", "--target", "edge", "--model", model, "-o", out, *flags)


@contextlib.contextmanager
def serving(bundle: Path) -> Iterator[str]:
    """The bundle's `edge_runtime serve` on a free port; yields its base URL, then stops it."""
    server = subprocess.Popen(
        [sys.executable, "-m", "edge_runtime", "serve", "--port", "0"],
        cwd=bundle, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        match = re.fullmatch(r"listening on http://127\.0\.0\.1:(\d+)\n", line)
        assert match, line
        yield f"http://127.0.0.1:{match.group(1)}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stderr is not None:
            server.stderr.close()


def breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    return data.data, data.target


@pytest.fixture(scope="session")
def forest_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sklearn.ensemble import RandomForestClassifier

    features, labels = breast_cancer()
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(features, labels)
    path = tmp_path_factory.mktemp("forest") / "forest.joblib"
    joblib.dump(model, path)
    return path


@pytest.fixture(scope="session")
def bundle(forest_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle directory (and its .tar.gz beside it) for the forest."""
    out = tmp_path_factory.mktemp("bundles") / "forest-edge"
    done = run_cli("scaffold", "--target", "edge", "--model", forest_path, "-o", out)
    assert done.returncode == 0, done.stderr
    return out
