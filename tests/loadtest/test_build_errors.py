"""A failed `docker build` names its real cause, with the real engine (no image is left behind)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from deploy_advisor.emulate.containers import build_image
from deploy_advisor.errors import LaunchError
from tests.conftest import BASE_IMAGE

PREFIX = "da-loadtest-build"
pytestmark = pytest.mark.docker


@pytest.fixture
def context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A build context shaped like a scaffold: a lock file and wheels/ beside the Dockerfile."""
    monkeypatch.setenv("DEPLOY_ADVISOR_NAME_PREFIX", PREFIX)
    directory = tmp_path / "app"
    (directory / "wheels").mkdir(parents=True)
    (directory / "deploy-advisor.lock.json").write_text('{"version": 1}\n')
    return directory


def test_a_base_image_that_cannot_be_pulled_suggests_base_image(
    context: Path, docker_client: Any
) -> None:
    (context / "Dockerfile").write_text("ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS build\nRUN true\n")
    absent = f"{PREFIX}-absent-base:0"
    with pytest.raises(LaunchError) as info:
        build_image(docker_client, context, base_image=absent)
    message = str(info.value)
    assert message.startswith(
        f"docker build of {context} failed: the base image {absent} is not on this machine and "
        "cannot be pulled ("
    )
    assert message.endswith(
        "); pass --base-image IMAGE with a local Python 3.11 image (`docker images` lists them) or "
        "set DEPLOY_ADVISOR_BASE_IMAGE"
    )
    assert "Step 2/" not in message  # the step line was all the old message said


def test_a_failing_step_names_its_last_error_line(context: Path, docker_client: Any) -> None:
    # The shell joins ERR""OR, so the line it prints is not part of the command's own text.
    (context / "Dockerfile").write_text(
        "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"
        'RUN echo "ERR""OR: No matching distribution found for numpy==0.0" && exit 1\n'
    )
    with pytest.raises(LaunchError) as info:
        build_image(docker_client, context, base_image=BASE_IMAGE)
    assert re.fullmatch(
        rf"docker build of {re.escape(str(context))} failed at step 3/\d: ERROR: No matching "
        r"distribution found for numpy==0\.0 \(The command .* returned a non-zero code: 1\)",
        str(info.value),
    )
    assert not docker_client.images.list(name=f"{PREFIX}-app")
