"""Every target's launcher against the real runtime: up, serving through its URL, then all gone.

Scaffolds come from the real `scaffold --wheelhouse` command with the example model; images are
built from them on the local base image by the real Docker engine; vps and kubernetes sit behind
a real nginx; heroku and vps run real gunicorn.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from deploy_advisor.emulate.launched import Launched
from deploy_advisor.emulate.procstats import DockerStatsSampler, ProcessTreeSampler
from deploy_advisor.errors import LaunchError
from deploy_advisor.targets import get_target
from tests.conftest import BASE_IMAGE, require

PREFIX = "da-loadtest"
CLI = [sys.executable, "-m", "deploy_advisor"]
pytestmark = [pytest.mark.docker, pytest.mark.nginx, pytest.mark.slow]


@pytest.fixture(scope="session")
def _names() -> Iterator[None]:
    """Every image, container and network the launchers create starts with `da-loadtest`."""
    old = os.environ.get("DEPLOY_ADVISOR_NAME_PREFIX")
    os.environ["DEPLOY_ADVISOR_NAME_PREFIX"] = PREFIX
    yield
    if old is None:
        os.environ.pop("DEPLOY_ADVISOR_NAME_PREFIX")
    else:
        os.environ["DEPLOY_ADVISOR_NAME_PREFIX"] = old


@pytest.fixture(scope="session")
def example_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model")
    subprocess.run([*CLI, "example-model", "-o", str(out)], check=True, capture_output=True)
    return out / "model.joblib"


@pytest.fixture(scope="session")
def scaffolds(
    example_model: Path, tmp_path_factory: pytest.TempPathFactory, docker_client: Any, _names: None
) -> Iterator[dict[str, Path]]:
    """One real scaffold per target, the image-building ones with wheels on the local base image;
    the images built from them are removed after."""
    root = tmp_path_factory.mktemp("scaffolds")
    made = {}
    for target in ("docker", "vps", "heroku", "kubernetes"):
        out = root / target
        command = [
            *CLI, "scaffold", "--model", str(example_model), "-o", str(out), "--target", target,
        ]  # fmt: skip
        if target in ("docker", "kubernetes"):
            command += ["--wheelhouse", "--base-image", BASE_IMAGE]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        made[target] = out
    yield made
    for image in docker_client.images.list(filters={"label": "deploy-advisor=launch"}):
        if any(tag.startswith(f"{PREFIX}-") for tag in image.tags):
            docker_client.images.remove(image.id, force=True)


def _closed(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as sock:
        return sock.connect_ex((host, int(port))) != 0


def _predict(launched: Launched, directory: Path) -> dict[str, Any]:
    body = json.loads((directory / "samples" / "payloads.json").read_text())[0]
    answer = httpx.post(f"{launched.base_url}/predict", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _our_containers(client: Any) -> list[Any]:
    return list(client.containers.list(all=True, filters={"name": f"{PREFIX}-"}))


@pytest.mark.parametrize(
    ("target", "emulated"),
    [("docker", False), ("vps", True), ("heroku", True), ("kubernetes", True)],
)
def test_launcher_serves_the_model_and_cleans_up(
    target: str, emulated: bool, scaffolds: dict[str, Path], docker_client: Any, tmp_path: Path
) -> None:
    require("nginx")
    directory = scaffolds[target]
    log = tmp_path / "server.log"
    launch = get_target(target).launch(directory, plan=None, base_image=BASE_IMAGE, log=log)
    with launch as launched:
        assert launched.base_url.startswith("http://127.0.0.1:")
        assert launched.emulated is emulated
        lock = json.loads((directory / "deploy-advisor.lock.json").read_text())
        assert launched.plan == lock["plan"] and lock["plan"]  # the plan it was sized for
        assert httpx.get(f"{launched.base_url}/readyz", timeout=5).status_code == 200
        if target in ("docker", "heroku", "kubernetes"):  # started here: start to ready timed
            assert launched.start_to_ready_s is not None
            assert 0.2 < launched.start_to_ready_s < 120, launched.start_to_ready_s
        sampler = launched.stats.fresh() if launched.stats else None
        assert sampler is not None
        sampler.start()
        predictions = [_predict(launched, directory)["predictions"] for _ in range(6)]
        time.sleep(2.5)
        summary = sampler.stop().to_json()
        assert all(len(p) == 1 and len(p[0]) == 2 for p in predictions)
        # the model (a 100-tree forest) and Python are resident: well over 50 MB
        assert summary["memory_mb_max"] is not None and summary["memory_mb_max"] > 50
        pids = _pids(launched)
        containers = [c.name for c in _our_containers(docker_client)]
    assert _closed(launched.base_url)
    assert not any(psutil.pid_exists(pid) for pid in pids)
    left = {c.name for c in _our_containers(docker_client)} & set(containers)
    assert left == set()
    if target in ("docker", "kubernetes"):
        assert containers, "the launcher ran no container"
    assert not list(Path("/sys/fs/cgroup/memory").glob(f"da-{target}-{os.getpid()}-*"))


def _pids(launched: Launched) -> list[int]:
    if isinstance(launched.stats, ProcessTreeSampler):
        root = psutil.Process(launched.stats.pid)
        return [root.pid, *(p.pid for p in root.children(recursive=True))]
    return []


def test_docker_limits_come_from_the_plan(scaffolds: dict[str, Path], docker_client: Any) -> None:
    launch = get_target("docker").launch(
        scaffolds["docker"], plan="heroku-standard-2x", base_image=BASE_IMAGE
    )
    with launch as launched:
        assert isinstance(launched.stats, DockerStatsSampler)
        (container,) = launched.stats.containers
        container.reload()
        host = container.attrs["HostConfig"]
        assert host["NanoCpus"] == 1_000_000_000
        assert host["Memory"] == 1024 * 2**20
        assert container.attrs["NetworkSettings"]["Ports"]["8000/tcp"][0]["HostIp"] == "127.0.0.1"


def test_vps_and_heroku_run_in_the_plans_cgroup(scaffolds: dict[str, Path]) -> None:
    for target, plan, memory_mb in (("vps", "linode-2gb", 2048), ("heroku", "heroku-basic", 512)):
        with get_target(target).launch(scaffolds[target], plan=plan) as launched:
            assert isinstance(launched.stats, ProcessTreeSampler)
            lines = Path(f"/proc/{launched.stats.pid}/cgroup").read_text().splitlines()
            group = next(line.split(":", 2)[2] for line in lines if ":memory:" in line)
            assert group.startswith(f"/da-{target}-")
            limit = Path("/sys/fs/cgroup/memory", group.lstrip("/"), "memory.limit_in_bytes")
            assert int(limit.read_text()) == memory_mb * 2**20
            assert f"memory {memory_mb} MiB" in launched.describe


def test_kubernetes_round_robin_drops_a_replica_that_is_not_ready(
    scaffolds: dict[str, Path], docker_client: Any
) -> None:
    directory = scaffolds["kubernetes"]
    with get_target("kubernetes").launch(directory, plan=None, base_image=BASE_IMAGE) as launched:
        assert isinstance(launched.stats, DockerStatsSampler)
        replicas = launched.stats.containers
        assert len(replicas) == 2  # the HPA's minReplicas in the generated manifests
        for _ in range(8):
            _predict(launched, directory)
        served = [r.logs().decode().count('"path":"/predict"') for r in replicas]
        assert all(n >= 2 for n in served), served
        replicas[0].kill()
        time.sleep(3)  # the readiness poll runs every second
        statuses = [
            httpx.post(
                f"{launched.base_url}/predict",
                json=json.loads((directory / "samples" / "payloads.json").read_text())[0],
                timeout=10,
            ).status_code
            for _ in range(6)
        ]
        assert statuses == [200] * 6


def test_docker_without_wheels_names_the_fix(scaffolds: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "nowheels"
    shutil.copytree(scaffolds["docker"], copy, ignore=shutil.ignore_patterns("wheels"))
    with (
        pytest.raises(LaunchError, match=r"deploy-advisor scaffold --wheelhouse"),
        get_target("docker").launch(copy, plan=None, base_image=BASE_IMAGE),
    ):
        pass


def test_real_locust_against_the_real_runtime(scaffolds: dict[str, Path], tmp_path: Path) -> None:
    """A short open-loop run of real Locust against the example model served on loopback."""
    out = tmp_path / "run"
    command = [
        *CLI, "loadtest", str(scaffolds["docker"]), "--target", "local", "--rate", "15",
        "--duration", "4s", "--ramp", "1s", "--out", str(out), "--json",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads((out / "result.json").read_text())
    assert result["target"] == "local"
    assert result["emulated"] is False
    assert result["model"] == "model.joblib"
    assert result["partial"] is False
    assert result["failures"] == {"total": 0, "by_kind": {}, "shed": 0}
    assert result["requests"] >= 30  # 15 req/s for about 3 s after the ramp
    assert 10 <= result["achieved_rps"] <= 20
    assert 0 < result["latency_ms"]["p50"] <= result["latency_ms"]["p99"]
    assert result["server"]["memory_mb_max"] > 50
    assert (out / "server.log").read_text().count('"path":"/predict"') == result["requests"]


def test_a_kubernetes_run_records_its_replicas_for_the_report(
    scaffolds: dict[str, Path],
) -> None:
    from deploy_advisor.loadtest.session import _deployment

    recorded = _deployment("kubernetes", scaffolds["kubernetes"])
    assert recorded is not None
    assert recorded["replicas"] == 2  # what the emulation runs: the HPA's minReplicas
    assert recorded["cpu_limit"] and recorded["memory_limit_mb"]
    assert _deployment("docker", scaffolds["docker"]) is None
