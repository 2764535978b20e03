"""`bench-edge`: run a bundle in a Docker container with CPU and memory limits and measure it.

This is an emulation: this machine's CPU throttled by cgroups, not the device's CPU.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tarfile
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy_advisor.errors import EnvironmentMissing, InputError, LaunchError

__all__ = ["BASE_IMAGE", "EMULATION_NOTE", "EdgeBenchResult", "bench_edge", "parse_memory"]

BASE_IMAGE = "deploy-advisor-base:bookworm"
NAME_PREFIX = "da-batch-edge-bench"
EMULATION_NOTE = (
    "emulation: this machine's CPU with cgroup limits (docker --cpus/--memory), not the device"
)
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)([bkmg]?)$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


@dataclass(frozen=True)
class EdgeBenchResult:
    """Measured inside the limited container."""

    cpus: float
    memory: str
    predictions: int
    load_ms: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    peak_rss_mb: float
    image_build_s: float
    emulated: bool = True
    note: str = EMULATION_NOTE


def parse_memory(text: str) -> int:
    """Docker-style memory ('256m', '1g', '512000000') in bytes; refuses anything else."""
    match = _MEMORY.match(text.strip())
    if not match:
        raise InputError(f"--memory {text!r} is not a size; pass e.g. --memory 256m or 1g")
    size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if size < 6 * 1024**2:
        raise InputError(f"--memory {text} is below Docker's minimum of 6m; pass e.g. 256m")
    return size


def bench_edge(
    *,
    bundle: Path,
    cpus: float,
    memory: str,
    predictions: int = 1000,
    base_image: str = BASE_IMAGE,
    timeout_s: float = 600,
) -> EdgeBenchResult:
    """Build the bundle's image offline (wheelhouse), run its bench under limits, parse it."""
    if cpus <= 0:
        raise InputError(f"--cpus {cpus:g} must be above 0; pass e.g. --cpus 0.5")
    if predictions < 1:
        raise InputError(f"--predictions {predictions} must be at least 1")
    limit = parse_memory(memory)
    client = _docker(base_image)
    with tempfile.TemporaryDirectory(prefix="da-edge-bench-") as tmp:
        context = _build_context(bundle, Path(tmp) / "context")
        import time

        started = time.monotonic()
        tag = f"{NAME_PREFIX}:{uuid.uuid4().hex[:10]}"
        try:
            _build(client, context, tag, base_image)
            build_s = time.monotonic() - started
            report = _run(
                client,
                tag,
                cpus=cpus,
                limit=limit,
                memory=memory,
                predictions=predictions,
                timeout_s=timeout_s,
            )
        finally:
            _remove_image(client, tag)
    return EdgeBenchResult(
        cpus=cpus,
        memory=memory,
        predictions=int(report["predictions"]),
        load_ms=float(report["load_ms"]),
        p50_ms=float(report["p50_ms"]),
        p99_ms=float(report["p99_ms"]),
        mean_ms=float(report["mean_ms"]),
        peak_rss_mb=float(report["peak_rss_mb"]),
        image_build_s=round(build_s, 1),
    )


def _docker(base_image: str) -> Any:
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:
        raise EnvironmentMissing(
            f"the Docker engine is unreachable ({type(exc).__name__}); start it "
            "(scripts/start-dockerd.sh) and retry"
        ) from None
    try:
        client.images.get(base_image)
    except docker.errors.ImageNotFound:
        raise EnvironmentMissing(
            f"base image {base_image} is missing; build it with scripts/base-image.sh"
        ) from None
    return client


def _build_context(bundle: Path, context: Path) -> Path:
    """A copy of the bundle (directory or .tar.gz) plus wheels/ for an offline pip install."""
    if bundle.is_dir():
        shutil.copytree(bundle, context)
    elif bundle.is_file() and bundle.name.endswith((".tar.gz", ".tgz")):
        unpacked = context.parent / "unpacked"
        with tarfile.open(bundle) as tar:
            tar.extractall(unpacked, filter="data")
        tops = list(unpacked.iterdir())
        if len(tops) != 1 or not tops[0].is_dir():
            raise InputError(
                f"{bundle} does not hold one bundle directory; pass a bundle from scaffold"
            )
        tops[0].replace(context)
    else:
        raise InputError(f"bundle {bundle} is neither a directory nor a .tar.gz; pass a bundle")
    for needed in ("model.onnx", "edge_runtime", "requirements.txt", "Dockerfile", "sample.json"):
        if not (context / needed).exists():
            raise InputError(
                f"{bundle} has no {needed}; pass a bundle written by `scaffold --target edge`"
            )
    wheels = _wheels((context / "requirements.txt").read_text())
    (context / "wheels").mkdir()
    for wheel in wheels:
        shutil.copy2(wheel, context / "wheels" / wheel.name)
    return context


def _wheels(requirements: str) -> list[Path]:
    """Wheels for this machine's Python and platform (the base image's: bookworm, 3.11), cached."""
    import hashlib
    import subprocess
    import sys

    key = hashlib.sha256(requirements.encode()).hexdigest()[:16]
    folder = Path.home() / ".cache" / "deploy-advisor" / "edge-wheels" / key
    if not (folder / ".complete").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / "requirements.txt").write_text(requirements)
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--only-binary=:all:", "-d", str(folder), "-r", str(folder / "requirements.txt"),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise EnvironmentMissing(f"pip could not download the bundle's wheels ({last})")
        (folder / ".complete").write_text("ok\n")
    return sorted(folder.glob("*.whl"))


def _build(client: Any, context: Path, tag: str, base_image: str) -> None:
    import docker

    try:
        client.images.build(
            path=str(context), tag=tag, buildargs={"BASE_IMAGE": base_image},
            rm=True, forcerm=True, pull=False, network_mode="none",
        )  # fmt: skip
    except docker.errors.BuildError as exc:
        lines = [str(c.get("stream", "")).strip() for c in exc.build_log if c.get("stream")]
        tail = " | ".join(line for line in lines[-3:] if line)
        raise LaunchError(f"the bundle image did not build ({exc.msg}): {tail}") from None


def _run(
    client: Any,
    tag: str,
    *,
    cpus: float,
    limit: int,
    memory: str,
    predictions: int,
    timeout_s: float,
) -> dict[str, Any]:
    name = f"{NAME_PREFIX}-{uuid.uuid4().hex[:10]}"
    container = client.containers.run(
        tag, ["python", "-m", "edge_runtime", "bench", "--predictions", str(predictions)],
        name=name, detach=True, nano_cpus=int(cpus * 1e9), mem_limit=limit, memswap_limit=limit,
        network_disabled=True,
    )  # fmt: skip
    try:
        status = container.wait(timeout=timeout_s)
        container.reload()
        logs = container.logs(stdout=True, stderr=True).decode("utf-8", errors="replace")
        if container.attrs["State"].get("OOMKilled") or status.get("StatusCode") == 137:
            raise LaunchError(
                f"the bundle ran out of memory under --memory {memory}; raise --memory or "
                "use a smaller model"
            )
        if status.get("StatusCode") != 0:
            tail = " | ".join(logs.strip().splitlines()[-3:])
            raise LaunchError(f"the bench in the container failed: {tail}")
        report: dict[str, Any] = json.loads(logs.strip().splitlines()[-1])
        return report
    finally:
        container.remove(force=True)


def _remove_image(client: Any, tag: str) -> None:
    import docker

    with contextlib.suppress(docker.errors.APIError):
        client.images.remove(tag, force=True, noprune=False)
