"""Helpers for tests that run a scaffold for real: start it, wait for a URL, predict, compare."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from deploy_advisor.runtime.loader import load_model
from tests.conftest import BASE_IMAGE


@contextlib.contextmanager
def running(
    command: list[str], *, log: Path, **kwargs: object
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` in its own process group with its output in `log`; on exit stop the whole
    group (SIGTERM, then SIGKILL after 30 s)."""
    with log.open("wb") as out:
        proc = subprocess.Popen(  # type: ignore[call-overload]
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
        )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for(url: str, *, timeout: float = 60.0, proc: object | None = None) -> None:
    """Poll until `url` answers 200; fail with the last answer after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:  # type: ignore[attr-defined]
            raise AssertionError(f"the server exited ({proc.returncode}) before {url} was ready")  # type: ignore[attr-defined]
        try:
            answer = httpx.get(url, timeout=2.0)
            if answer.status_code == 200:
                return
            last = f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.3)
    raise AssertionError(f"{url} not ready within {timeout:g} s (last: {last})")


def assert_predicts(base_url: str, scaffold_dir: Path) -> None:
    """POST the scaffold's first sample payload; the answer matches the model run here."""
    body = json.loads((scaffold_dir / "samples" / "first.json").read_text())
    answer = httpx.post(f"{base_url}/predict", json=body, timeout=10.0)
    assert answer.status_code == 200, answer.text
    predictions = answer.json()["predictions"]
    expected = load_model(scaffold_dir / "model" / "model.joblib").predict(
        np.asarray(body["instances"], dtype=float)
    )
    assert np.allclose(np.asarray(predictions, dtype=float), expected, atol=1e-6)


@contextlib.contextmanager
def built_image(client: Any, scaffold_dir: Path, name: str) -> Iterator[str]:
    """The scaffold's image, built without network on the local base image; its tag, removed
    on exit."""
    import docker

    tag = f"{name}:{uuid.uuid4().hex[:8]}"
    try:
        client.images.build(
            path=str(scaffold_dir), tag=tag, buildargs={"BASE_IMAGE": BASE_IMAGE}, rm=True,
            forcerm=True, network_mode="none",
        )  # fmt: skip
        yield tag
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(tag, force=True)


@contextlib.contextmanager
def served_image(
    client: Any,
    scaffold_dir: Path,
    name: str,
    *,
    port: int = 8000,
    command: list[str] | None = None,
) -> Iterator[tuple[Any, str]]:
    """A container of the scaffold's image serving on a free loopback port: the container and
    its base URL; the container and the image are removed on exit."""
    with built_image(client, scaffold_dir, name) as tag:
        container = None
        try:
            container = client.containers.run(
                tag, command=command, detach=True, name=f"{name}-{uuid.uuid4().hex[:8]}",
                ports={f"{port}/tcp": ("127.0.0.1", None)},
            )  # fmt: skip
            container.reload()
            host_port = container.ports[f"{port}/tcp"][0]["HostPort"]
            yield container, f"http://127.0.0.1:{host_port}"
        finally:
            if container is not None:
                container.remove(force=True)
