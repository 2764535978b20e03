"""`deploy-advisor bench-edge` in a real container with CPU and memory limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import run_cli


@pytest.mark.docker
@pytest.mark.slow
def test_bench_edge_runs_the_bundle_under_limits(bundle: Path, docker_client: Any) -> None:
    tarball = bundle.with_name(bundle.name + ".tar.gz")

    done = run_cli(
        "bench-edge", tarball, "--cpus", "0.5", "--memory", "256m", "--predictions", "300", "--json"
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["cpus"], result["memory"], result["predictions"]) == (0.5, "256m", 300)
    assert result["emulated"] is True
    assert "not the device" in result["note"]
    assert 0 < result["p50_ms"] <= result["p99_ms"]
    assert result["load_ms"] > 0
    assert 10 < result["peak_rss_mb"] < 256
    leftovers = [
        c.name
        for c in docker_client.containers.list(all=True)
        if c.name.startswith("da-batch-edge-bench")
    ]
    assert leftovers == []
    assert not [
        i
        for i in docker_client.images.list()
        if any(t.startswith("da-batch-edge-bench") for t in i.tags)
    ]


@pytest.mark.docker
def test_bench_edge_table_says_it_is_an_emulation(bundle: Path, docker_client: Any) -> None:
    done = run_cli("bench-edge", bundle, "--cpus", "1", "--memory", "512m", "--predictions", "50")

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "bench-edge forest-edge  (--cpus 1, --memory 512m)"
    assert [line.split()[0:2] for line in lines[1:5]] == [
        ["load", "time"],
        ["latency", "p50"],
        ["latency", "p99"],
        ["peak", "memory"],
    ]
    assert lines[5] == (
        "This is an emulation: this machine's CPU with cgroup limits (docker --cpus/--memory), "
        "not the device."
    )


def test_bench_edge_refuses_a_bad_memory_size(bundle: Path) -> None:
    done = run_cli("bench-edge", bundle, "--memory", "lots")

    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "Error: --memory 'lots' is not a size; pass e.g. --memory 256m or 1g"
    )
