"""azure-ml --mode batch: the rendered driver's init()/run(), as Azure's batch runner calls them."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path


def test_driver_scores_each_file_of_a_mini_batch_into_its_own_folder(
    scaffolded: Callable[..., Path], tmp_path: Path
) -> None:
    out = scaffolded("azure-ml", mode="batch")
    n_features = json.loads((out / "deploy-advisor.lock.json").read_text())["model"]["n_features"]
    files = []
    for name, n_rows in (("monday.csv", 12), ("tuesday.csv", 30)):
        path = tmp_path / name
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([f"f{i}" for i in range(n_features)])
            for row in range(n_rows):
                writer.writerow([(row + i) % 5 / 5 for i in range(n_features)])
        files.append(str(path))
    results = tmp_path / "results"
    results.mkdir()
    registered = tmp_path / "registered" / "model" / "1"  # where Azure mounts a model
    registered.mkdir(parents=True)
    model_file = next((out / "model").iterdir())
    (registered / model_file.name).write_bytes(model_file.read_bytes())
    call = (
        "import sys, json; sys.path.insert(0, 'azure-ml'); import batch_driver as d; "
        f"d.init(); print(json.dumps(d.run({files!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", call], cwd=out, capture_output=True, text=True, check=False,
        env={**os.environ, "AZUREML_BI_OUTPUT_PATH": str(results),
             "AZUREML_MODEL_DIR": str(tmp_path / "registered")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == ["monday.csv,12,0", "tuesday.csv,30,0"]
    for stem, n_rows in (("monday", 12), ("tuesday", 30)):
        summary = json.loads((results / stem / "_summary.json").read_text())
        assert summary["rows_scored"] == n_rows
