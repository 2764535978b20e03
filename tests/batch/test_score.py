"""The batch scorer on real CSV and Parquet files, run as `python -m` like in a scaffold."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pytest

from .conftest import (
    FEATURES,
    feature_rows,
    read_predictions,
    run_scorer,
    score_file,
    write_csv,
    write_parquet,
)


def _expected(model_path: Path, rows: np.ndarray) -> np.ndarray:
    return np.asarray(joblib.load(model_path).predict_proba(rows))


def by_id(chunk_rows: int) -> tuple[str, ...]:
    """Scorer flags: rows keyed by their `id` column, `chunk_rows` a chunk, no progress line."""
    return ("--id-column", "id", "--chunk-rows", str(chunk_rows), "--no-progress")


def test_csv_file_is_scored_in_chunks_next_to_its_ids(model_path: Path, tmp_path: Path) -> None:
    rows = feature_rows(2_500)
    source = write_csv(tmp_path / "in.csv", rows)

    done = score_file(
        model_path, source, tmp_path / "out", "--id-column", "id", "--chunk-rows", "1000"
    )

    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.glob("part-*")) == [
        "part-00000.csv",
        "part-00001.csv",
        "part-00002.csv",
    ]
    ids, probabilities = read_predictions(out)
    assert ids == [f"k{i}" for i in range(2_500)]
    np.testing.assert_allclose(probabilities, _expected(model_path, rows), rtol=0, atol=1e-12)
    assert (out / "rejects.csv").read_text() == "source,row,id,reason\n"
    summary = json.loads(done.stdout)
    assert summary["rows_scored"] == 2_500
    assert summary["rows_rejected"] == 0
    assert summary["chunks"] == 3
    assert summary["rows_per_second"] > 0
    assert "scored 2,500 rows, rejected 0" in done.stderr
    assert "rows/s" in done.stderr
    assert json.loads((out / "_summary.json").read_text())["rows_scored"] == 2_500


def test_parquet_file_is_scored_and_written_as_parquet(model_path: Path, tmp_path: Path) -> None:
    rows = feature_rows(1_800, seed=1)
    source = write_parquet(tmp_path / "in.parquet", rows)

    done = score_file(model_path, source, tmp_path / "out", *by_id(500))

    assert done.returncode == 0, done.stderr
    parts = sorted(p.name for p in (tmp_path / "out").glob("part-*"))
    assert parts == [f"part-0000{i}.parquet" for i in range(4)]
    ids, probabilities = read_predictions(tmp_path / "out")
    assert ids == [f"k{i}" for i in range(1_800)]
    np.testing.assert_allclose(probabilities, _expected(model_path, rows), rtol=0, atol=1e-12)


def test_directory_of_csv_and_parquet_files_names_the_source(
    model_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    first, second = feature_rows(300, seed=2), feature_rows(200, seed=3)
    write_csv(folder / "a.csv", first)
    write_parquet(folder / "b.parquet", second)
    (folder / "notes.txt").write_text("not an input\n")

    done = score_file(model_path, folder, tmp_path / "out", *by_id(250))

    assert done.returncode == 0, done.stderr
    import pyarrow.csv as pacsv

    sources = [
        pacsv.read_csv(p).column("source").to_pylist()
        for p in sorted((tmp_path / "out").glob("part-*.csv"))
    ]
    assert sources == [["a.csv"] * 250, ["a.csv"] * 50, ["b.parquet"] * 200]
    _, probabilities = read_predictions(tmp_path / "out")
    expected = _expected(model_path, np.vstack([first, second]))
    np.testing.assert_allclose(probabilities, expected, rtol=0, atol=1e-12)


def _bad_rows_csv(path: Path, rows: np.ndarray) -> Path:
    def good(i: int) -> list[str]:
        return [f"k{i}", *(repr(float(v)) for v in rows[i])]

    bad = {
        3: "k3,1.0,2.0",
        7: ",".join(good(7)) + ",99",
        11: ",".join([*good(11)[:5], "abc", *good(11)[6:]]),
        12: ",".join([*good(12)[:2], "", *good(12)[3:]]),
        20: ",".join([*good(20)[:30], "inf"]),
        25: "",
        31: ",".join([*good(31)[:4], " 1e3 ", *good(31)[5:]]),
    }
    return write_csv(path, rows, bad=bad)


def test_bad_rows_land_in_the_reject_file_with_their_reason(
    model_path: Path, tmp_path: Path
) -> None:
    rows = feature_rows(40, seed=4)
    source = _bad_rows_csv(tmp_path / "in.csv", rows)

    done = score_file(model_path, source, tmp_path / "out", *by_id(16))

    assert done.returncode == 0, done.stderr
    # the forest accepts missing values (NaN): an empty cell is scored, an empty line is not
    assert (tmp_path / "out" / "rejects.csv").read_text().splitlines() == [
        "source,row,id,reason",
        'in.csv,4,k3,"expected 31 fields, found 3"',
        'in.csv,8,k7,"expected 31 fields, found 32"',
        "in.csv,12,k11,column 'f4': 'abc' is not a number",
        "in.csv,21,k20,column 'f29': 'inf' is not a finite number",
        "in.csv,26,,every value is empty",
    ]
    ids, probabilities = read_predictions(tmp_path / "out")
    kept = [i for i in range(40) if i not in {3, 7, 11, 20, 25}]
    assert ids == [f"k{i}" for i in kept]
    expected_rows = rows[kept].copy()
    expected_rows[kept.index(31), 4] = 1e3
    expected_rows[kept.index(12), 1] = np.nan
    np.testing.assert_allclose(probabilities, _expected(model_path, expected_rows), atol=1e-12)
    summary = json.loads(done.stdout)
    assert (summary["rows_scored"], summary["rows_rejected"]) == (35, 5)


def test_empty_values_are_rejected_for_a_model_without_nan_support(tmp_path: Path) -> None:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    data = load_breast_cancer()
    model = LogisticRegression(max_iter=5_000).fit(data.data, data.target)
    joblib.dump(model, tmp_path / "lr.joblib")
    source = _bad_rows_csv(tmp_path / "in.csv", feature_rows(40, seed=4))

    done = score_file(
        tmp_path / "lr.joblib", source, tmp_path / "out", "--id-column", "id", "--no-progress"
    )

    assert done.returncode == 0, done.stderr
    reasons = (tmp_path / "out" / "rejects.csv").read_text().splitlines()[1:]
    assert "in.csv,13,k12,column 'f1': empty value" in reasons
    assert "in.csv,26,,column 'f0': empty value" in reasons
    assert len(reasons) == 6
    assert json.loads(done.stdout)["rows_scored"] == 34


def test_without_an_id_column_rows_are_numbered(model_path: Path, tmp_path: Path) -> None:
    rows = feature_rows(10, seed=5)
    source = tmp_path / "in.csv"
    np.savetxt(source, rows, delimiter=",", header=",".join(FEATURES), comments="")

    done = run_scorer("--model", model_path, "--input", source, "--output", tmp_path / "out")

    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "out" / "part-00000.csv").read_text().splitlines()
    assert lines[0] == '"row","proba_0","proba_1"'
    assert [line.split(",")[0] for line in lines[1:]] == [str(i) for i in range(1, 11)]


def test_input_the_model_cannot_take_is_refused_in_one_line(
    model_path: Path, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "in.csv", feature_rows(5))

    done = run_scorer("--model", model_path, "--input", source, "--output", tmp_path / "out")

    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        f"Error: {source} has 31 feature columns but the model expects 30; "
        "pass --id-column NAME if one column is a row id"
    )
    missing = run_scorer(
        "--model", model_path, "--input", tmp_path / "nope.csv", "--output", tmp_path / "out"
    )
    assert missing.returncode == 2
    assert missing.stderr == (
        f"Error: input {tmp_path / 'nope.csv'} does not exist; pass --input FILE_OR_DIRECTORY\n"
    )


def test_output_directory_of_someone_else_is_not_touched(model_path: Path, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", feature_rows(5))
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")

    done = run_scorer(
        "--model", model_path, "--input", source, "--output", out, "--id-column", "id"
    )

    assert done.returncode == 2
    assert "is not empty and was not written by the scorer" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]


def test_line_endings_and_a_last_line_without_newline_keep_every_row(
    model_path: Path, tmp_path: Path
) -> None:
    rows = feature_rows(23)
    lines = ["id," + ",".join(FEATURES)]
    lines += [f"k{i}," + ",".join(repr(float(v)) for v in row) for i, row in enumerate(rows)]
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    unterminated = tmp_path / "unterminated.csv"
    unterminated.write_bytes("\n".join(lines).encode())  # no newline after the last row

    for source in (crlf, unterminated):
        out = tmp_path / f"out-{source.stem}"
        done = run_scorer(
            "--model", model_path, "--input", source, "--output", out,
            "--id-column", "id", "--chunk-rows", "5",
        )  # fmt: skip

        assert done.returncode == 0, done.stderr
        ids, probabilities = read_predictions(out)
        assert ids == [f"k{i}" for i in range(23)], source.name
        np.testing.assert_allclose(probabilities, _expected(model_path, rows), atol=1e-12)
        assert json.loads(done.stdout)["chunks"] == 5


def test_header_only_csv_scores_nothing_and_says_so(model_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "empty.csv"
    source.write_text("id," + ",".join(FEATURES) + "\n")

    done = run_scorer(
        "--model", model_path, "--input", source, "--output", tmp_path / "out", "--id-column", "id"
    )

    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["rows_scored"], summary["rows_rejected"], summary["chunks"]) == (0, 0, 0)


def test_writer_runs_jobs_in_order_and_raises_the_first_failure() -> None:
    from deploy_advisor.runtime.score_stages import InOrder

    ran: list[int] = []
    with InOrder("test-writer") as writer:
        for i in range(5):
            writer.submit(lambda i=i: ran.append(i))
    assert ran == [0, 1, 2, 3, 4]

    def fail() -> None:
        raise OSError("disk full")

    ran.clear()
    with pytest.raises(OSError, match="disk full"), InOrder("test-writer") as writer:
        writer.submit(lambda: ran.append(1))
        writer.submit(fail)
        writer.submit(lambda: ran.append(3))  # not run: the writer stopped at the failure
    assert ran == [1]
