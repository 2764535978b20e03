"""edge: the bundle's README commands, its error for unreadable input, and `docker stop` on it."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from deploy_advisor.edge.bench import _build_context
from tests.conftest import BASE_IMAGE
from tests.targets.scripts import NAME_PREFIX, readme_block


@pytest.fixture(scope="module")
def bundle(scaffolded: Callable[..., Path]) -> Path:
    return scaffolded("edge")


def _predict(bundle: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge_runtime", "predict", *args],
        input=stdin, capture_output=True, text=True, cwd=bundle, timeout=120, check=False,
    )  # fmt: skip


def test_readme_predicts_from_the_sample_the_bundle_ships(bundle: Path, tmp_path: Path) -> None:
    block = readme_block(bundle, "On the device, without Docker")
    inputs = re.findall(r"< (\S+)", block)
    assert "sample.json" in inputs
    for name in inputs:
        assert (bundle / name).is_file() or name.startswith("YOUR_"), f"the bundle has no {name}"
    line = next(line for line in block.splitlines() if "< sample.json" in line)
    command = line.split("#")[0].replace(".venv/bin/python", sys.executable)

    done = subprocess.run(
        ["bash", "-c", command], cwd=bundle, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) >= 1 and '"label"' in done.stdout


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("hello world\n", "no rows of numbers in the input, only the line 'hello world'"),
        ('{"instances": [[1, 2', "the input is not valid JSON (Expecting ',' delimiter"),
        ("[]", "no rows in the JSON input"),
        ('{"instances": 5}', "the JSON input is 5, not rows"),
        ('{"instances": [[1, "x"]]}', "JSON row 1, column 2: 'x' is not a number"),
    ],
)
def test_unreadable_input_is_one_error_line_naming_the_problem(
    bundle: Path, stdin: str, message: str
) -> None:
    done = _predict(bundle, stdin)

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"Error: {message}"), done.stderr
    assert done.stderr.count("\n") == 1 and "reshape" not in done.stderr


@pytest.mark.docker
@pytest.mark.slow
def test_container_stops_on_sigterm_with_exit_code_0(bundle: Path, docker_client: object) -> None:
    import docker

    client: docker.DockerClient = docker_client  # type: ignore[assignment]
    tag = f"{NAME_PREFIX}-targets-edge:{uuid.uuid4().hex[:8]}"
    container = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            context = _build_context(bundle, Path(tmp) / "context")  # adds wheels/ for offline
            client.images.build(
                path=str(context), tag=tag, buildargs={"BASE_IMAGE": BASE_IMAGE}, rm=True,
                forcerm=True, network_mode="none",
            )  # fmt: skip
        container = client.containers.run(
            tag, detach=True, name=f"{NAME_PREFIX}-targets-edge-{uuid.uuid4().hex[:8]}"
        )
        deadline = time.monotonic() + 60
        while b"listening on" not in container.logs() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert b"listening on" in container.logs(), container.logs().decode()
        container.stop(timeout=30)  # SIGTERM, then SIGKILL (exit 137) after 30 s
        container.reload()
        assert container.attrs["State"]["ExitCode"] in (0, 143), container.logs().decode()
        assert container.attrs["State"]["OOMKilled"] is False
    finally:
        if container is not None:
            container.remove(force=True)
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(tag, force=True)
