"""Managed targets launched locally: the real image behind nginx enforcing the platform's limits."""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest

from deploy_advisor.loadtest.result import cold_start_summary
from deploy_advisor.targets import get_target
from deploy_advisor.targets.managed_launch import platform_limits
from tests.conftest import BASE_IMAGE, require
from tests.targets.conftest import run_cli


def test_limits_come_from_the_scaffold_files(scaffolded: Callable[..., Path]) -> None:
    realtime = platform_limits("sagemaker", scaffolded("sagemaker"))
    serverless = platform_limits(
        "sagemaker", scaffolded("sagemaker", plan="sagemaker-serverless-2048mb")
    )
    assert (realtime.payload_bytes, serverless.payload_bytes) == (6_000_000, 4_000_000)
    assert realtime.timeout_s == 60
    cloud_run = platform_limits("cloud-run", scaffolded("cloud-run"))
    assert cloud_run.payload_bytes == 32 * 2**20
    assert cloud_run.concurrency is not None and cloud_run.concurrency >= 1
    azure = platform_limits("azure-ml", scaffolded("azure-ml"))
    assert azure.timeout_s == 60 and azure.payload_bytes is None


def _post(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _stalled_request(port: int) -> socket.socket:
    """A request whose headers arrived and whose body never finishes: it holds one slot."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n{"
    )
    return sock


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.nginx
def test_serverless_payload_limit_and_cloud_run_concurrency_are_enforced(
    scaffolded: Callable[..., Path], docker_client: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    require("nginx")
    monkeypatch.setenv("DEPLOY_ADVISOR_NAME_PREFIX", "wave2-cloud16")
    sagemaker = scaffolded(
        "sagemaker", plan="sagemaker-serverless-2048mb", wheelhouse=True, base_image=BASE_IMAGE
    )
    body = (sagemaker / "samples" / "first.json").read_bytes()
    with get_target("sagemaker").launch(sagemaker, plan=None, base_image=BASE_IMAGE) as launched:
        assert launched.emulated and "SageMaker serverless" in launched.describe
        status, answer = _post(f"{launched.base_url}/invocations", body)
        assert status == 200 and json.loads(answer)["predictions"]
        status, answer = _post(f"{launched.base_url}/invocations", b" " * 4_000_001)
        assert status == 413 and b"nginx" in answer, "the platform's proxy refuses the body"

    cloud_run = scaffolded("cloud-run", wheelhouse=True, base_image=BASE_IMAGE)
    slots = platform_limits("cloud-run", cloud_run).concurrency
    assert slots is not None
    with get_target("cloud-run").launch(cloud_run, plan=None, base_image=BASE_IMAGE) as launched:
        port = int(launched.base_url.rsplit(":", 1)[1])
        assert _post(f"{launched.base_url}/predict", body)[0] == 200
        with ExitStack() as held:
            for _ in range(slots):
                held.enter_context(_stalled_request(port))
            status, _ = _post(f"{launched.base_url}/predict", body)
            assert status == 429, "a request beyond containerConcurrency is turned away"
        assert _post(f"{launched.base_url}/predict", body)[0] == 200


def _state(client: object, name_prefix: str) -> str:
    import docker

    docker_client: docker.DockerClient = client  # type: ignore[assignment]
    found = docker_client.containers.list(all=True, filters={"name": name_prefix})
    assert len(found) == 1, [c.name for c in found]
    return str(found[0].status)


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.nginx
def test_serverless_scales_to_zero_and_measures_each_cold_start(
    scaffolded: Callable[..., Path], docker_client: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    require("nginx")
    prefix = f"wave2-cloud16-{os.getpid()}"
    monkeypatch.setenv("DEPLOY_ADVISOR_NAME_PREFIX", prefix)
    monkeypatch.setenv("DEPLOY_ADVISOR_IDLE_S", "1.5")
    out = scaffolded(
        "sagemaker", plan="sagemaker-serverless-2048mb", wheelhouse=True, base_image=BASE_IMAGE
    )
    body = (out / "samples" / "first.json").read_bytes()
    with get_target("sagemaker").launch(out, plan=None, base_image=BASE_IMAGE) as launched:
        assert launched.cold_starts is not None and "scaled to zero" in launched.describe
        assert _post(f"{launched.base_url}/invocations", body)[0] == 200
        assert launched.cold_starts() == [], "the first request finds the instance warm"
        for expected in (1, 2):
            deadline = time.monotonic() + 60
            while _state(docker_client, prefix) == "running":
                assert time.monotonic() < deadline, "the idle instance was never stopped"
                time.sleep(0.5)
            assert _state(docker_client, prefix) == "exited"
            status, answer = _post(f"{launched.base_url}/invocations", body)
            assert status == 200 and json.loads(answer)["predictions"]
            assert _state(docker_client, prefix) == "running"
            cold = launched.cold_starts()
            assert len(cold) == expected and cold[-1] > 0.1


def test_cold_start_summary_is_nearest_rank() -> None:
    assert cold_start_summary([]) == {"count": 0, "p50_ms": None, "max_ms": None}
    summary = cold_start_summary([3.0, 1.0, 2.0, 10.0])
    assert summary == {"count": 4, "p50_ms": 2000.0, "max_ms": 10000.0}


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.nginx
def test_sparse_load_test_reports_its_cold_starts(
    scaffolded: Callable[..., Path], docker_client: object, tmp_path: Path
) -> None:
    """Requests further apart than the idle period each wake the instance: result.json says so."""
    require("nginx")
    out = scaffolded(
        "sagemaker", plan="sagemaker-serverless-2048mb", wheelhouse=True, base_image=BASE_IMAGE
    )
    done = run_cli(
        "loadtest", str(out), "--rate", "0.4", "--ramp", "1s", "--duration", "20s",
        "--out", str(tmp_path / "run"), "--base-image", BASE_IMAGE, "--json",
        env={"DEPLOY_ADVISOR_IDLE_S": "0.5", "DEPLOY_ADVISOR_NAME_PREFIX": "wave2-cloud16"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    cold = result["cold_start"]
    assert cold["count"] >= 1 and cold["max_ms"] >= cold["p50_ms"] > 100
    assert result["failures"]["total"] == 0
    report = run_cli("report", str(tmp_path / "run"), "--md", str(tmp_path / "report.md"))
    assert report.returncode == 0, report.stderr
    assert f"{cold['count']} cold start(s) after scaling to zero" in report.stdout
    markdown = (tmp_path / "report.md").read_text()
    assert "cold start(s) after scaling to zero" in markdown
    # The cold-start column: the run's own p50/max, in ms (cold starts are ≥100 ms: no decimals).
    assert "| p99 ms | cold start p50/max ms | start → ready s | errors |" in markdown
    assert f" | {cold['p50_ms']:.0f}/{cold['max_ms']:.0f} | " in markdown.replace("**", "")
