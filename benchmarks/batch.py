"""The batch benchmark behind `make bench-batch`: score generated rows with the example model.

Generates ROWS rows shaped like breast_cancer's features (numpy), writes them as CSV or Parquet,
runs the batch scorer in a subprocess (as a scaffold runs it) and measures wall time, rows/s and
the scorer's peak memory. The reference is the model's own in-process batched predict rate on the
same chunk size; the target is at least 70% of it.
Results: benchmarks/results/batch.json and batch.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
TARGET_RATIO = 0.70


def main() -> int:
    args = _parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        return _bench(args, Path(tmp))


def _bench(args: argparse.Namespace, work: Path) -> int:
    from deploy_advisor.intake.example import make_example_model

    model = make_example_model(work / "model").joblib_path
    print(f"generating {args.rows:,} rows ({args.format}) in {work}", file=sys.stderr)
    features = _rows(args.rows)
    source = _write_input(work / f"input.{args.format}", features)
    in_process = _in_process_rate(model, features, chunk_rows=args.chunk_rows)
    print(f"in-process predict: {in_process:,.0f} rows/s", file=sys.stderr)
    run = _run_scorer(model, source, work / "output", chunk_rows=args.chunk_rows)
    ratio = run["scoring_rows_per_second"] / in_process
    result = {
        "version": 1,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": _cpus(), "python": platform.python_version()},
        "model": "example RandomForestClassifier(n_estimators=100), joblib",
        "rows": args.rows,
        "format": args.format,
        "chunk_rows": args.chunk_rows,
        "input_mb": round(source.stat().st_size / 1e6, 1),
        "in_process_rows_per_second": round(in_process, 1),
        **run,
        "ratio_to_in_process": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "passed": ratio >= TARGET_RATIO,
    }
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "batch.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "batch.md").write_text(_markdown(result))
    print(_markdown(result), end="")
    return 0 if result["passed"] else 1


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--out-dir", default=str(RESULTS))
    return parser.parse_args()


def _rows(n: int) -> np.ndarray:
    from sklearn.datasets import load_breast_cancer

    base = load_breast_cancer().data
    rng = np.random.default_rng(0)
    rows = base[rng.integers(0, len(base), n)] * rng.normal(1.0, 0.05, (n, base.shape[1]))
    return np.round(rows, 4)  # the precision of the data set itself, not 17 digits


def _write_input(path: Path, features: np.ndarray) -> Path:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    columns = {"id": pa.array(np.arange(len(features)))}
    columns |= {f"f{j}": pa.array(features[:, j]) for j in range(features.shape[1])}
    table = pa.table(columns)
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="none"))
    return path


def _in_process_rate(model_path: Path, features: np.ndarray, *, chunk_rows: int) -> float:
    """The model's own predict rate on chunk-sized batches (no I/O): the best a scorer can do."""
    from deploy_advisor.runtime.loader import load_model

    model = load_model(model_path)
    sample = features[: min(len(features), max(chunk_rows * 4, 200_000))]
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        for start in range(0, len(sample), chunk_rows):
            model.predict(sample[start : start + chunk_rows])
        best = max(best, len(sample) / (time.perf_counter() - started))
    return best


def _run_scorer(model: Path, source: Path, output: Path, *, chunk_rows: int) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "deploy_advisor.runtime.score", "--model", str(model),
        "--input", str(source), "--output", str(output), "--chunk-rows", str(chunk_rows),
        "--id-column", "id", "--no-progress",
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the scorer failed ({done.returncode}): {done.stderr[-500:]}")
    summary = json.loads(done.stdout)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "rows_scored": summary["rows_scored"],
        "rows_rejected": summary["rows_rejected"],
        "wall_seconds": round(wall, 2),
        "end_to_end_rows_per_second": round(summary["rows_scored"] / wall, 1),
        "scoring_seconds": summary["wall_seconds"],
        "scoring_rows_per_second": summary["rows_per_second"],
        "load_seconds": summary["load_seconds"],
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def _markdown(r: dict[str, Any]) -> str:
    verdict = "passed" if r["passed"] else "FAILED"
    return (
        f"# Batch scoring benchmark ({r['measured_at']})\n\n"
        f"{r['rows']:,} generated rows ({r['format']}, {r['input_mb']} MB), chunks of "
        f"{r['chunk_rows']:,}, {r['model']}, {r['machine']['cpus']} CPUs.\n\n"
        "| measure | value |\n|---|---|\n"
        f"| in-process batched predict | {r['in_process_rows_per_second']:,.0f} rows/s |\n"
        f"| scorer, scoring only | {r['scoring_rows_per_second']:,.0f} rows/s "
        f"({r['scoring_seconds']} s) |\n"
        f"| scorer, end to end (start, load, score, write) | "
        f"{r['end_to_end_rows_per_second']:,.0f} rows/s ({r['wall_seconds']} s) |\n"
        f"| ratio to in-process | {r['ratio_to_in_process']:.0%} (target "
        f"{r['target_ratio']:.0%}: {verdict}) |\n"
        f"| peak memory of the scorer | {r['peak_rss_mb']} MB |\n"
        f"| rows scored / rejected | {r['rows_scored']:,} / {r['rows_rejected']:,} |\n"
    )


if __name__ == "__main__":
    sys.exit(main())
