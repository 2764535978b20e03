"""`loadtest --chaos` against the Kubernetes emulation: real replicas in Docker behind a real
nginx, a bounded open-loop Locust run to 127.0.0.1, and one replica stopped, killed, or all of
them rolled to new containers during the run: no request may fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BASE_IMAGE

PREFIX = "da-chaos"
CLI = [sys.executable, "-m", "deploy_advisor"]
ENV = {**os.environ, "DEPLOY_ADVISOR_NAME_PREFIX": PREFIX, "NO_COLOR": "1"}
pytestmark = [pytest.mark.docker, pytest.mark.nginx, pytest.mark.slow]


@pytest.fixture(scope="module")
def kubernetes_scaffold(
    tmp_path_factory: pytest.TempPathFactory, docker_client: Any
) -> Iterator[Path]:
    """The example model scaffolded for Kubernetes with wheels; its image removed after."""
    root = tmp_path_factory.mktemp("chaos")
    subprocess.run([*CLI, "example-model", "-o", str(root)], check=True, capture_output=True)
    out = root / "k8s"
    done = subprocess.run(
        [*CLI, "scaffold", "--model", str(root / "model.joblib"), "-o", str(out), "--target",
         "kubernetes", "--wheelhouse", "--base-image", BASE_IMAGE],
        capture_output=True, text=True, check=False, env=ENV,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    yield out
    for image in docker_client.images.list(filters={"label": "deploy-advisor=launch"}):
        if any(tag.startswith(f"{PREFIX}-") for tag in image.tags):
            docker_client.images.remove(image.id, force=True)


@pytest.mark.parametrize(
    ("action", "duration", "expected"),
    [
        ("stop", "18s", ["removed from the balancer", "sent SIGTERM", "exited with code 0"]),
        ("kill", "18s", ["killed (SIGKILL)", "restarted", "ready again"]),
        ("rollout", "32s", ["started (surge)", "ready", "removed from the balancer",
                            "exited with code 0"]),
    ],
)  # fmt: skip
def test_a_replica_disrupted_under_load_fails_no_request(
    kubernetes_scaffold: Path, tmp_path: Path, docker_client: Any, action: str, duration: str,
    expected: list[str],
) -> None:  # fmt: skip
    out = tmp_path / "run"
    done = subprocess.run(
        [*CLI, "loadtest", str(kubernetes_scaffold), "--target", "kubernetes", "--rate", "60",
         "--duration", duration, "--ramp", "1s", "--chaos", action, "--out", str(out), "--json",
         "--base-image", BASE_IMAGE],
        capture_output=True, text=True, timeout=300, check=False, env=ENV,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads((out / "result.json").read_text())
    chaos = result["chaos"]
    assert chaos["action"] == action
    assert chaos["finished"], chaos
    events = " | ".join(e["event"] for e in chaos["events"])
    for step in expected:
        assert step in events, events
    if action == "rollout":
        assert events.count("exited with code 0") == 2  # both original replicas replaced
        assert events.count("started (surge)") == 2
    assert result["requests"] >= 60 * 12
    assert 0 < result["start_to_ready_s"] < 300  # both replicas started, to both ready
    assert result["failures"] == {"total": 0, "by_kind": {}, "shed": 0}, chaos
    assert chaos["failed_requests"] == 0
    assert not docker_client.containers.list(all=True, filters={"name": f"{PREFIX}-"})


def test_chaos_needs_the_kubernetes_target(kubernetes_scaffold: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [*CLI, "loadtest", str(kubernetes_scaffold), "--target", "local", "--rate", "5",
         "--duration", "2s", "--chaos", "kill", "--out", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=120, check=False, env=ENV,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "Error: --chaos needs --target kubernetes (replicas to disrupt), not 'local'"
    ]
    assert not (tmp_path / "run").exists()
