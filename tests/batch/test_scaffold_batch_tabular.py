"""Batch scaffolds carry the model's framework in requirements.txt and the user's --code."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import joblib
import numpy as np
import pytest

from deploy_advisor.targets.scaffold import scaffold
from tests.targets.test_pinning import train_with_own_module, write_own_module


@pytest.mark.parametrize("target", ["docker", "kubernetes", "vps", "heroku"])
def test_a_pickled_booster_pins_its_framework_in_every_batch_target(
    target: str, tmp_path: Path
) -> None:
    import lightgbm

    features = np.random.default_rng(0).normal(size=(80, 3))
    model = lightgbm.LGBMRegressor(n_estimators=4, verbose=-1).fit(features, features[:, 0])
    joblib.dump(model, tmp_path / "model.joblib")
    out = tmp_path / target
    scaffold(model=tmp_path / "model.joblib", target=target, out_dir=out, mode="batch")
    requirements = (out / "requirements.txt").read_text()
    assert f"lightgbm=={metadata.version('lightgbm')}  #" in requirements
    assert f"pyarrow=={metadata.version('pyarrow')}" in requirements
    if target in ("docker", "kubernetes"):
        dockerfile = (out / "Dockerfile").read_text()
        assert "ENV LD_LIBRARY_PATH=/opt/venv/lib" in dockerfile


def test_the_batch_scorer_runs_with_the_code_from_the_scaffold(tmp_path: Path) -> None:
    module = write_own_module(tmp_path)
    model = train_with_own_module(tmp_path)
    out = tmp_path / "vps"
    scaffold(model=model, target="vps", out_dir=out, mode="batch", code=module)
    service = next((out / "deploy" / "systemd").glob("*-score.service")).read_text()
    variables = dict(re.findall(r"^Environment=(\w+)=(.*)$", service, flags=re.MULTILINE))
    root = re.search(r"^WorkingDirectory=(.*)$", service, flags=re.MULTILINE)
    assert root is not None
    assert variables["PYTHONPATH"] == f"{root.group(1)}/code"
    heroku = tmp_path / "heroku"
    scaffold(model=model, target="heroku", out_dir=heroku, mode="batch", code=module)
    assert (
        'PYTHONPATH="$PWD/code" python -m model_server.score'
        in (heroku / "scheduler.txt").read_text()
    )
    rows = np.random.default_rng(2).normal(size=(50, 3))
    with (tmp_path / "in.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["a", "b", "c"])
        writer.writerows(rows.tolist())
    done = subprocess.run(
        [sys.executable, "-m", "model_server.score", "--input", str(tmp_path / "in.csv"),
         "--output", str(tmp_path / "out"), "--no-progress"],
        cwd=out, capture_output=True, text=True, timeout=300,
        env={"MODEL_PATH": "model/model.joblib", "PATH": "/usr/bin:/bin",
             "PYTHONPATH": str(out / "code")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "scored 50 rows, rejected 0" in done.stderr
