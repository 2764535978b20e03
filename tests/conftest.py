"""Shared test settings: a pinned terminal, and real components that must be present in CI."""

from __future__ import annotations

import contextlib
import importlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BASE_IMAGE = "deploy-advisor-base:bookworm"


@pytest.fixture(autouse=True)
def _pinned_terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Same output on every machine: no colour, fixed width, no debug tracebacks."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.delenv("DEPLOY_ADVISOR_DEBUG", raising=False)
    yield


@contextlib.contextmanager
def imported_from(folder: Path, name: str) -> Iterator[ModuleType]:
    """The module `name` imported from `folder`, forgotten again on exit, so that a model pickled
    meanwhile refers to it by name only (as a user's own module would)."""
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop(name, None)


#: Fixtures that bring up a real component, and the marker a test using them (directly or through
#: another fixture) gets: `make test-fast` deselects those markers.
_COMPONENT_FIXTURES = {"docker_client": "docker", "chromium": "chromium", "nginx": "nginx"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by the real components its fixtures need."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for fixture, marker in _COMPONENT_FIXTURES.items():
            if fixture in used:
                item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture(scope="session")
def nginx() -> str:
    """The real nginx binary."""
    return require("nginx")


def require(tool: str) -> str:
    """Path of a real tool the test needs; a missing tool is a failure, never a skip."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed; `bash .ci/run` installs everything the tests use")
    return path


@pytest.fixture(scope="session")
def docker_client():  # type: ignore[no-untyped-def]
    """A client for the real Docker engine with the local base image present."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:  # the engine is not running
        pytest.fail(f"Docker engine unreachable ({exc}); run scripts/start-dockerd.sh")
    try:
        client.images.get(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        subprocess.run(["scripts/base-image.sh", BASE_IMAGE], check=True)
    return client


# --- targets: `pytest --update-golden` rewrites tests/golden/ from the templates --------------
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite the golden files under tests/golden/ instead of comparing with them.",
    )
