"""Docker for launchers: the engine, image builds cached by the scaffold's lock, containers."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from deploy_advisor.emulate.readiness import ServerExit
from deploy_advisor.errors import EnvironmentMissing, InputError, LaunchError
from deploy_advisor.lockfile import DEFAULT_BASE_IMAGE, LOCK_NAME

__all__ = [
    "DEFAULT_BASE_IMAGE",
    "build_failure",
    "build_image",
    "container_gone",
    "docker_client",
    "name_prefix",
    "resolve_base_image",
    "running_container",
    "unique_suffix",
    "user_network",
]


def resolve_base_image(base_image: str | None) -> str:
    """The flag, else `DEPLOY_ADVISOR_BASE_IMAGE`, else the default base image."""
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
        raise build_failure(
            exc.msg, list(exc.build_log), directory=directory, base=base_image,
            base_present=_has_image(client, base_image),
        ) from exc  # fmt: skip
    except docker.errors.APIError as exc:
        raise LaunchError(
            f"docker build of {directory} failed ({exc.explanation}); is base image "
            f"{base_image!r} present? pass --base-image or set DEPLOY_ADVISOR_BASE_IMAGE"
        ) from exc
    return tag


def build_failure(
    error: str, build_log: list[dict[str, Any]], *, directory: Path, base: str, base_present: bool
) -> LaunchError:
    """One line naming the real cause of a failed build: the engine's error, or the last error
    line the failing step printed; a base image that cannot be pulled gets the fix."""
    lines = [
        line.strip()
        for entry in build_log
        for line in str(entry.get("stream", "")).splitlines()
        if line.strip()
    ]
    steps = [i for i, line in enumerate(lines) if line.startswith("Step ")]
    step = lines[steps[-1]] if steps else ""
    if step.split(" : ", 1)[-1].upper().startswith("FROM") and not base_present:
        return LaunchError(
            f"docker build of {directory} failed: the base image {base} is not on this machine "
            f"and cannot be pulled ({error}); pass --base-image IMAGE with a local Python 3.11 "
            "image (`docker images` lists them) or set DEPLOY_ADVISOR_BASE_IMAGE"
        )
    printed = lines[steps[-1] + 1 :] if steps else lines
    cause = next((line for line in reversed(printed) if "error" in line.lower()), None)
    where = f" at step {step.split(' : ', 1)[0].removeprefix('Step ')}" if step else ""
    detail = f"{cause} ({error})" if cause and cause not in error else error
    return LaunchError(f"docker build of {directory} failed{where}: {detail}")


def _has_image(client: Any, image: str) -> bool:
    """Whether the engine has `image` locally (True when it cannot tell)."""
    import docker

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        return False
    except docker.errors.APIError:
        return True
    return True


@contextmanager
def running_container(
    client: Any, image: str, *, name: str, port: int, host_port: int, vcpu: float | None,
    memory_mb: int | None, environment: dict[str, str] | None = None,
    command: list[str] | None = None, network: str | None = None, log: Path | None = None,
    volumes: dict[str, dict[str, str]] | None = None,
) -> Iterator[Any]:  # fmt: skip
    """Run `image` with limits, `port` published on 127.0.0.1:`host_port`, `volumes` bound
    (docker's {host path: {"bind": path, "mode": "ro"}}); always remove it."""
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
            labels={"deploy-advisor": "launch"}, volumes=volumes, **limits,
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


def container_gone(container: Any) -> Callable[[], ServerExit | None]:
    """For `wait_ready`: how the container stopped (exit code, its output), or None while it
    runs."""

    def check() -> ServerExit | None:
        container.reload()
        if container.status not in ("exited", "dead"):
            return None
        state = container.attrs.get("State", {})
        oom = " (out of memory)" if state.get("OOMKilled") else ""
        try:
            output = container.logs(tail=200).decode(errors="replace")
        except Exception:  # the engine may already have removed it
            output = ""
        return ServerExit(f"container {container.name}", state.get("ExitCode"), output, oom)

    return check


def unique_suffix() -> str:
    """Short suffix so that parallel runs never share a container name."""
    return f"{os.getpid()}-{int(time.time() * 1000) % 10**6}"
