"""The scorer against a full disk and a read-only output (real tmpfs mounts; the tests run as
root), and rejects that keep their id exactly as the input wrote it."""

from __future__ import annotations

import csv
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.batch.conftest import FEATURES, feature_rows, read_predictions, run_scorer, write_csv

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs, unmounted after."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def _errors(stderr: str) -> list[str]:
    """The `Error:` lines; anything else but the joblib trust warning fails the test."""
    lines = stderr.strip().splitlines()
    assert all(line.startswith(("Error: ", "loading model.joblib unpickles")) for line in lines)
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    return errors


def _remount(mount: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(mount)], check=True)


def test_a_full_disk_is_one_error_line_and_the_rerun_resumes(
    model_path: Path, tmp_path: Path, small_disk: Path
) -> None:
    source = write_csv(tmp_path / "in.csv", feature_rows(30_000))
    out = small_disk / "out"
    done = run_scorer("--model", model_path, "--input", source, "--output", out,
                      "--chunk-rows", "2000", "--id-column", "id", "--no-progress")  # fmt: skip
    assert done.returncode == 2, done.stderr
    lines = _errors(done.stderr)
    assert lines[0].startswith("Error: cannot write ")
    assert "No space left on device" in lines[0] and "rerun the same command" in lines[0]
    written = sorted(p.name for p in out.glob("part-*"))
    assert 0 < len(written) < 15  # some chunks finished before the disk filled
    assert not list(out.rglob(".*.tmp"))  # no half-written file left
    _remount(small_disk, "size=16m")
    again = run_scorer("--model", model_path, "--input", source, "--output", out,
                       "--chunk-rows", "2000", "--id-column", "id", "--no-progress")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert f"({len(written)} of 15 chunks done by an earlier run)" in again.stderr
    whole = tmp_path / "whole"
    flags = ["--chunk-rows", "2000", "--id-column", "id", "--no-progress"]
    whole_run = run_scorer("--model", model_path, "--input", source, "--output", whole, *flags)
    assert whole_run.returncode == 0, whole_run.stderr
    ids, probabilities = read_predictions(out)
    expected_ids, expected = read_predictions(whole)
    assert ids == expected_ids and len(ids) == 30_000
    np.testing.assert_array_equal(probabilities, expected)


def test_a_read_only_output_is_one_error_line_and_resumes_once_writable(
    model_path: Path, tmp_path: Path, small_disk: Path
) -> None:
    source = write_csv(tmp_path / "in.csv", feature_rows(500))
    _remount(small_disk, "ro")
    out = small_disk / "out"
    done = run_scorer("--model", model_path, "--input", source, "--output", out,
                      "--id-column", "id", "--no-progress")  # fmt: skip
    assert done.returncode == 2
    assert _errors(done.stderr) == [
        f"Error: cannot write {out}: Read-only file system; free space or make --output {out} "
        "writable (or choose another), then rerun the same command: finished chunks are kept"
    ]
    _remount(small_disk, "rw,size=16m")
    again = run_scorer("--model", model_path, "--input", source, "--output", out,
                       "--id-column", "id", "--no-progress")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert len(read_predictions(out)[0]) == 500


def test_rejected_rows_keep_their_id_bytes(model_path: Path, tmp_path: Path) -> None:
    rows = feature_rows(40)
    good = ",".join(repr(float(v)) for v in rows[0])
    source = tmp_path / "in.csv"
    write_csv(source, rows)
    lines = source.read_bytes().split(b"\n")
    lines[3] = b"caf\xe9-7," + b",".join(good.encode().split(b",")[:5])  # latin-1 id, short row
    lines[5] = b"k4-\xff\xfe," + good.encode() + b",99"  # invalid UTF-8 id, one field too many
    lines[8] = b"k7-bad," + b",".join([b"x", *good.encode().split(b",")[1:]])  # not a number
    lines[10] = b'"k9-broken,' + good.encode()  # unclosed quote: id field is the whole line
    lines[12] = b""  # an empty line: no fields, no id
    source.write_bytes(b"\n".join(lines))
    out = tmp_path / "out"
    done = run_scorer("--model", model_path, "--input", source, "--output", out,
                      "--id-column", "id", "--no-progress")  # fmt: skip
    assert done.returncode == 0, done.stderr
    raw = (out / "rejects.csv").read_bytes()
    assert "\ufffd".encode() not in raw
    text = raw.decode("utf-8", errors="surrogateescape")
    rejects = {int(r["row"]): r for r in csv.DictReader(text.splitlines())}
    assert rejects[3]["id"].encode("utf-8", "surrogateescape") == b"caf\xe9-7"
    assert rejects[5]["id"].encode("utf-8", "surrogateescape") == b"k4-\xff\xfe"
    assert rejects[8]["id"] == "k7-bad"
    assert rejects[10]["id"].startswith("k9-broken,")
    assert rejects[12]["id"] == ""
    assert set(rejects) == {3, 5, 8, 10, 12}
    assert len(FEATURES) == 30
