"""Docker for launchers: the engine, image builds cached by the scaffold's lock, containers."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from deploy_advisor.benchmarks.scaffold import LOCK_NAME
from deploy_advisor.errors import EnvironmentMissing, InputError, LaunchError

__all__ = [
    "DEFAULT_BASE_IMAGE",
    "build_image",
    "container_gone",
    "docker_client",
    "name_prefix",
    "resolve_base_image",
    "running_container",
    "unique_suffix",
    "user_network",
]

DEFAULT_BASE_IMAGE = "python:3.11-slim"


def resolve_base_image(base_image: str | None) -> str:
    """The flag, else `DEPLOY_ADVISOR_BASE_IMAGE`, else python:3.11-slim."""
    return base_image or os.environ.get("DEPLOY_ADVISOR_BASE_IMAGE") or DEFAULT_BASE_IMAGE


def name_prefix() -> str:
    """Prefix of every image, container and network we create (`DEPLOY_ADVISOR_NAME_PREFIX`)."""
    return os.environ.get("DEPLOY_ADVISOR_NAME_PREFIX", "da")


def docker_client() -> Any:
    """A client for the local Docker engine; an unreachable engine is a one-line error."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:
        raise EnvironmentMissing(
            f"the Docker engine is unreachable ({type(exc).__name__}); start Docker or "
            "use --target local"
        ) from exc
    return client


def _image_tag(directory: Path, base_image: str) -> str:
    """`PREFIX-APP:HASH`, HASH from the lock file (it hashes every file) and the base image."""
    lock = directory / LOCK_NAME
    if not lock.is_file():
        raise InputError(f"{lock} is missing; re-run `deploy-advisor scaffold` to write it")
    digest = hashlib.sha256(lock.read_bytes() + base_image.encode()).hexdigest()[:12]
    return f"{name_prefix()}-{directory.name.lower() or 'model'}:{digest}"


def build_image(client: Any, directory: Path, *, base_image: str) -> str:
    """Build the scaffold's Dockerfile once per lock and base image; return the image tag."""
    import docker

    if not (directory / "Dockerfile").is_file():
        raise InputError(f"{directory / 'Dockerfile'} is missing; scaffold with --target docker")
    if not (directory / "wheels").is_dir():
        raise LaunchError(
            f"{directory} has no wheels/ and containers here cannot reach a package index; "
            "re-run `deploy-advisor scaffold --wheelhouse`"
        )
    tag = _image_tag(directory, base_image)
    with suppress(docker.errors.ImageNotFound):
        client.images.get(tag)
        return tag
    try:
        client.images.build(
            path=str(directory), tag=tag, buildargs={"BASE_IMAGE": base_image}, rm=True,
            forcerm=True, labels={"deploy-advisor": "launch"},
        )  # fmt: skip
    except docker.errors.BuildError as exc:
        last = next((str(x.get("stream", "")).strip() for x in reversed(list(exc.build_log))
                     if str(x.get("stream", "")).strip()), exc.msg)  # fmt: skip
        raise LaunchError(f"docker build of {directory} failed: {last}") from exc
    except docker.errors.APIError as exc:
        raise LaunchError(
            f"docker build of {directory} failed ({exc.explanation}); is base image "
            f"{base_image!r} present? pass --base-image or set DEPLOY_ADVISOR_BASE_IMAGE"
        ) from exc
    return tag


@contextmanager
def running_container(
    client: Any, image: str, *, name: str, port: int, host_port: int, vcpu: float | None,
    memory_mb: int | None, environment: dict[str, str] | None = None,
    command: list[str] | None = None, network: str | None = None, log: Path | None = None,
) -> Iterator[Any]:  # fmt: skip
    """Run `image` with limits, `port` published on 127.0.0.1:`host_port`; always remove it."""
    import docker

    limits: dict[str, Any] = {}
    if vcpu:
        limits["nano_cpus"] = int(vcpu * 1e9)
    if memory_mb:
        limits["mem_limit"] = f"{memory_mb}m"
        limits["memswap_limit"] = f"{memory_mb}m"
    try:
        container = client.containers.run(
            image, command=command, name=name, detach=True, environment=environment or {},
            ports={f"{port}/tcp": ("127.0.0.1", host_port)}, network=network,
            labels={"deploy-advisor": "launch"}, **limits,
        )  # fmt: skip
    except docker.errors.APIError as exc:
        raise LaunchError(f"cannot start container {name}: {exc.explanation}") from exc
    try:
        yield container
    finally:
        if log is not None:
            with suppress(Exception), log.open("ab") as out:
                out.write(f"--- {name} ---\n".encode() + container.logs())
        with suppress(docker.errors.NotFound):
            container.remove(force=True)


@contextmanager
def user_network(client: Any, name: str) -> Iterator[str]:
    """A user-defined bridge network, removed afterwards."""
    import docker

    network = client.networks.create(name, driver="bridge", labels={"deploy-advisor": "launch"})
    try:
        yield name
    finally:
        for _ in range(10):
            try:
                network.remove()
                break
            except docker.errors.NotFound:
                break
            except docker.errors.APIError:
                time.sleep(0.5)


def container_gone(container: Any) -> Callable[[], str | None]:
    """For `wait_ready`: says why the container stopped, or None while it runs."""

    def check() -> str | None:
        container.reload()
        if container.status in ("exited", "dead"):
            code = container.attrs.get("State", {}).get("ExitCode")
            oom = " (out of memory)" if container.attrs.get("State", {}).get("OOMKilled") else ""
            return f"container {container.name} exited with code {code}{oom}"
        return None

    return check


def unique_suffix() -> str:
    """Short suffix so that parallel runs never share a container name."""
    return f"{os.getpid()}-{int(time.time() * 1000) % 10**6}"
