"""docker: build the scaffold's image for real (local base image, wheelhouse), run it, predict."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.targets.serving import assert_predicts, served_image, wait_for


@pytest.mark.docker
@pytest.mark.slow
def test_image_builds_offline_runs_as_non_root_and_turns_healthy(
    scaffolded: Callable[..., Path], docker_client: object
) -> None:
    import docker

    client: docker.DockerClient = docker_client  # type: ignore[assignment]
    out = scaffolded("docker", wheelhouse=True)
    assert any((out / "wheels").glob("scikit_learn-*.whl"))
    with served_image(client, out, "da-targets") as (container, base_url):
        wait_for(f"{base_url}/readyz", timeout=90)
        assert_predicts(base_url, out)
        uid = container.exec_run(["id", "-u"]).output.decode().strip()
        assert uid == "10001", f"the server must not run as root (uid {uid})"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            container.reload()
            health = container.attrs["State"]["Health"]["Status"]
            if health == "healthy":
                break
            assert health != "unhealthy", container.attrs["State"]["Health"]["Log"]
            time.sleep(1)
        assert health == "healthy"
