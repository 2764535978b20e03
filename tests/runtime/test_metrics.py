"""Metrics of several worker processes added up: counters summed, gauges of live workers only."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from deploy_advisor.runtime.metrics import Metrics, SharedMetrics

from .conftest import metric

OK = 'model_server_requests_total{route="/predict",method="POST",status="200"}'
LATENCY_COUNT = 'model_server_request_duration_seconds_count{route="/predict",status="200"}'
LATENCY_BUCKET_2_5_MS = (
    'model_server_request_duration_seconds_bucket{route="/predict",status="200",le="0.0025"}'
)


def _worker(requests: int, rows: int, in_flight: int, model: str) -> Metrics:
    m = Metrics()
    for _ in range(requests):
        m.observe_request("/predict", "POST", 200, 0.002)
    m.observe_batch(rows)
    m.in_flight = in_flight
    m.info = {"name": model}
    return m


def test_peers_add_their_counters_and_only_live_ones_their_gauges() -> None:
    own = _worker(requests=3, rows=3, in_flight=1, model="own")
    live = {**_worker(requests=5, rows=40, in_flight=2, model="live").snapshot(), "pid": 11}
    gone = {**_worker(requests=7, rows=1, in_flight=4, model="gone").snapshot(), "pid": 12}
    text = own.render([{**live, "live": True}, {**gone, "live": False}]).decode()

    assert metric(text, OK) == 15
    assert metric(text, LATENCY_COUNT) == 15
    assert metric(text, LATENCY_BUCKET_2_5_MS) == 15
    assert metric(text, "model_server_batch_size_count") == 3
    assert metric(text, "model_server_batch_size_sum") == 44
    assert metric(text, 'model_server_batch_size_bucket{le="4.0"}') == 2
    assert metric(text, "model_server_rows_predicted_total") == 44
    assert metric(text, "model_server_requests_in_flight") == 3  # the exited worker's 4 drop out
    assert metric(text, "model_server_workers") == 2
    assert f'model_server_model_info{{name="own",pid="{os.getpid()}"}} 1' in text
    assert 'model_server_model_info{name="live",pid="11"} 1' in text
    assert 'name="gone"' not in text


def test_a_single_process_reports_itself() -> None:
    text = _worker(requests=2, rows=2, in_flight=0, model="m").render().decode()
    assert metric(text, OK) == 2
    assert metric(text, "model_server_workers") == 1


def test_shared_directory_skips_itself_and_an_earlier_servers_snapshots(tmp_path: Path) -> None:
    own = SharedMetrics(tmp_path / "metrics", _worker(requests=1, rows=1, in_flight=0, model="a"))
    own.publish()
    assert own.peers() == []  # its own file is not a peer
    assert oct((tmp_path / "metrics").stat().st_mode & 0o777) == "0o700"

    sibling = subprocess.Popen(["sleep", "30"])
    try:
        snapshot = _worker(requests=4, rows=4, in_flight=1, model="b").snapshot()
        same = {**snapshot, "pid": sibling.pid, "group": own.group}
        (own.directory / f"{sibling.pid}.json").write_text(json.dumps(same))
        earlier = {**snapshot, "pid": 999_999, "group": "1:12345"}
        (own.directory / "999999.json").write_text(json.dumps(earlier))
        (own.directory / "notes.json").write_text("{}")  # not a worker's file
        partial = {"pid": 4, "group": own.group, "requests": []}  # another version's format
        (own.directory / "4.json").write_text(json.dumps(partial))

        peers = own.peers()
        assert [p["pid"] for p in peers] == [sibling.pid]
        assert peers[0]["live"] is True
        assert metric(own.metrics.render(peers).decode(), OK) == 5

        sibling.kill()
        sibling.wait()
        assert own.peers()[0]["live"] is False
    finally:
        sibling.kill()
        sibling.wait()
