"""Edge fixtures: real scikit-learn models and a bundle written by `scaffold --target edge`."""

from __future__ import annotations

import subprocess
import sys
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
