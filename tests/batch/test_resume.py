"""Kill the scorer mid-run, rerun it, and get exactly the files of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import feature_rows, run_scorer, write_csv

CHUNK_ROWS = 1_000
N_ROWS = 200_000


def _files(out: Path) -> dict[str, bytes]:
    """Every file of an output directory except the timing summary."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "_summary.json"
    }


def test_killed_run_resumes_to_the_same_output(model_path: Path, tmp_path: Path) -> None:
    bad = {i: f"k{i},1,2,3" for i in range(5, N_ROWS, 9_973)}
    source = write_csv(tmp_path / "in.csv", feature_rows(N_ROWS, seed=7), bad=bad)
    args = [
        "--model",
        model_path,
        "--input",
        source,
        "--id-column",
        "id",
        "--chunk-rows",
        str(CHUNK_ROWS),
        "--no-progress",
    ]
    n_chunks = N_ROWS // CHUNK_ROWS

    reference = run_scorer(*args, "--output", tmp_path / "reference")
    assert reference.returncode == 0, reference.stderr

    out = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy_advisor.runtime.score", *map(str, args), "--output", out],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(list(out.glob("_chunks/*.json"))) < 10 and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done_at_kill = len(list(out.glob("_chunks/*.json")))
    assert 10 <= done_at_kill < n_chunks, "the scorer must be killed mid-run"
    assert not (out / "rejects.csv").exists()

    rerun = run_scorer(*args, "--output", out)

    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["chunks_skipped"] >= done_at_kill
    assert summary["rows_scored"] == N_ROWS - len(bad)
    assert summary["rows_rejected"] == len(bad)
    assert summary["rows_scored_this_run"] < N_ROWS - len(bad)
    assert "chunks done by an earlier run" in rerun.stderr
    assert _files(out) == _files(tmp_path / "reference")
    assert not list(out.rglob("*.tmp"))


def test_changed_input_is_refused_until_restart(model_path: Path, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", feature_rows(50))
    args = [
        "--model",
        model_path,
        "--input",
        source,
        "--output",
        tmp_path / "out",
        "--id-column",
        "id",
    ]
    assert run_scorer(*args).returncode == 0
    write_csv(source, feature_rows(60, seed=9))

    refused = run_scorer(*args)

    assert refused.returncode == 2
    assert refused.stderr.splitlines()[-1] == (
        f"Error: output {tmp_path / 'out'} holds a run with different inputs; pass --restart "
        "to score from scratch or choose another --output"
    )
    restarted = run_scorer(*args, "--restart")
    assert restarted.returncode == 0, restarted.stderr
    assert json.loads(restarted.stdout)["rows_scored"] == 60
