"""Exact percentiles and the incremental reader of the locustfile's sample files."""

from __future__ import annotations

import random
from pathlib import Path

from deploy_advisor.loadtest.samples import SampleReader, nearest_rank, summarise_latency


def test_nearest_rank_is_an_actual_sample() -> None:
    values = sorted(random.Random(1).uniform(1, 500) for _ in range(1001))
    assert nearest_rank(values, 50) == values[500]
    assert nearest_rank(values, 99) == values[990]
    assert nearest_rank(values, 99.9) == values[1000]
    assert nearest_rank([7.0], 99.9) == 7.0
    summary = summarise_latency([3.0, 1.0, 2.0, 4.0])
    assert summary == {
        "p50": 2.0, "p90": 4.0, "p95": 4.0, "p99": 4.0, "p999": 4.0, "max": 4.0, "mean": 2.5,
    }  # fmt: skip


def test_reader_takes_complete_lines_from_every_process_file(tmp_path: Path) -> None:
    reader = SampleReader(tmp_path / "req")
    (tmp_path / "req.11.csv").write_text("100.0,12.5,1,\n100.1,30.0,0,http_503\n100.2,4")
    (tmp_path / "req.12.csv").write_text("100.3,1.0,0,ConnectionRefusedError\n")
    assert reader.poll() == 3
    with (tmp_path / "req.11.csv").open("a") as out:
        out.write(".0,1,\n")
    assert reader.poll() == 1
    assert reader.poll() == 0
    samples = reader.samples
    assert sorted(samples.ms) == [1.0, 4.0, 12.5, 30.0]
    assert samples.failures_by_kind() == {"http_503": 1, "ConnectionRefusedError": 1}
