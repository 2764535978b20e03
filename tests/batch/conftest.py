"""Batch-scorer fixtures: a small real model and real input files made with numpy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

N_FEATURES = 30
FEATURES = [f"f{i}" for i in range(N_FEATURES)]


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A RandomForest on breast_cancer, saved with joblib."""
    import joblib
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    data = load_breast_cancer()
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(data.data, data.target)
    path = tmp_path_factory.mktemp("model") / "model.joblib"
    joblib.dump(model, path)
    return path


def feature_rows(n: int, seed: int = 0) -> np.ndarray:
    """Rows shaped like breast_cancer's features."""
    from sklearn.datasets import load_breast_cancer

    base = load_breast_cancer().data
    rng = np.random.default_rng(seed)
    return base[rng.integers(0, len(base), n)] * rng.normal(1.0, 0.05, (n, N_FEATURES))


def write_csv(path: Path, rows: np.ndarray, *, bad: dict[int, str] | None = None) -> Path:
    """A CSV with an `id` column; `bad` replaces data line i (0-based) with the given text."""
    bad = bad or {}
    with path.open("w") as f:
        f.write("id," + ",".join(FEATURES) + "\n")
        for i, row in enumerate(rows):
            f.write(bad.get(i, f"k{i}," + ",".join(repr(float(v)) for v in row)) + "\n")
    return path


def write_parquet(path: Path, rows: np.ndarray, *, row_group_size: int = 700) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {"id": pa.array([f"k{i}" for i in range(len(rows))])}
    columns |= {name: pa.array(rows[:, j]) for j, name in enumerate(FEATURES)}
    pq.write_table(pa.table(columns), path, row_group_size=row_group_size)
    return path


def run_scorer(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deploy_advisor.runtime.score", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def score_file(
    model: Path, source: Path, out: Path, *more: str | Path
) -> subprocess.CompletedProcess[str]:
    """The scorer on `model`, reading `source` and writing into `out`, with `more` flags."""
    return run_scorer("--model", model, "--input", source, "--output", out, *more)


def read_predictions(out: Path) -> tuple[list[str], np.ndarray]:
    """Ids and probabilities of every part file, in order."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    def read_csv(path: Path) -> pa.Table:
        # A small part whose probabilities are all 0 or 1 would otherwise be read as integers.
        names = pacsv.read_csv(path).column_names
        types = {name: pa.float64() for name in names if name.startswith("proba_")}
        return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))

    tables = [
        pq.read_table(p) if p.suffix == ".parquet" else read_csv(p)
        for p in sorted(out.glob("part-*"))
    ]
    table = pa.concat_tables(tables)
    ids = [str(v) for v in table.column(table.column_names[-3]).to_pylist()]
    probabilities = np.column_stack([table.column(c).to_numpy() for c in table.column_names[-2:]])
    return ids, probabilities
