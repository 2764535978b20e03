"""docker: build the scaffold's image for real (local base image, wheelhouse), run it, predict."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import BASE_IMAGE
from tests.targets.serving import assert_predicts, wait_for


@pytest.mark.docker
@pytest.mark.slow
def test_image_builds_offline_runs_as_non_root_and_turns_healthy(
    scaffolded: Callable[..., Path], docker_client: object
) -> None:
    import docker

    client: docker.DockerClient = docker_client  # type: ignore[assignment]
    out = scaffolded("docker", wheelhouse=True)
    assert any((out / "wheels").glob("scikit_learn-*.whl"))
    tag = f"da-targets-test:{uuid.uuid4().hex[:8]}"
    container = None
    try:
        client.images.build(
            path=str(out), tag=tag, buildargs={"BASE_IMAGE": BASE_IMAGE}, rm=True, forcerm=True,
            network_mode="none",
        )  # fmt: skip
        container = client.containers.run(
            tag, detach=True, name=f"da-targets-{uuid.uuid4().hex[:8]}",
            ports={"8000/tcp": ("127.0.0.1", None)},
        )  # fmt: skip
        container.reload()
        port = container.ports["8000/tcp"][0]["HostPort"]
        base_url = f"http://127.0.0.1:{port}"
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
    finally:
        if container is not None:
            container.remove(force=True)
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(tag, force=True)
