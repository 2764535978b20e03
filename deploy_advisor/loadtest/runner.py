"""Run Locust in its own process (it monkey-patches with gevent); collect every request."""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from deploy_advisor.emulate.procstats import ProcessTreeSampler, ResourceSummary
from deploy_advisor.errors import EnvironmentMissing, InputError
from deploy_advisor.loadtest.samples import SampleReader, Samples

__all__ = [
    "LOCUSTFILE", "LoadShape", "LocustRun", "check_duration", "load_shape", "parse_duration",
    "run_locust", "run_worker", "shape_from_flags",
]  # fmt: skip

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
MAX_USERS = 2000
MAX_DURATION_S = 3600
_GRACE_S = 30


@dataclass(frozen=True)
class LoadShape:
    """A fixed arrival `rate` (open loop), or `users` that never wait (closed loop)."""

    mode: str  # "rate" | "users"
    rate: float | None
    users: int
    duration_s: float
    ramp_s: float
    processes: int = 1
    expect_workers: int = 0  # > 0: run as a Locust master for workers on other machines

    @property
    def user_rate(self) -> float:
        """Requests per second each user sends; 0 means as fast as answers come (closed loop)."""
        return self.rate / self.users if self.mode == "rate" and self.rate else 0.0

    @property
    def spawn_rate(self) -> float:
        return self.users / self.ramp_s if self.ramp_s > 0 else float(self.users)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def check_duration(duration_s: float) -> None:
    """A run lasts from 1 s to an hour; anything else (0, 500ms, nan, 2h) names the range."""
    if not math.isfinite(duration_s) or not 1 <= duration_s <= MAX_DURATION_S:
        raise InputError(f"--duration {duration_s:g}s is out of range; use 1s to {MAX_DURATION_S}s")


def load_shape(
    *,
    rate: float | None,
    users: int | None,
    duration_s: float,
    ramp_s: float,
    processes: int = 1,
    expect_workers: int = 0,
) -> LoadShape:
    """Validate the flags and pick enough users to hold an open-loop rate up to ~0.5 s latency."""
    check_duration(duration_s)
    if not math.isfinite(ramp_s) or ramp_s < 0 or ramp_s >= duration_s:
        raise InputError(f"--ramp {ramp_s:g}s must be at least 0 and shorter than --duration")
    if processes < 1:
        raise InputError(f"--processes {processes} must be 1 or more")
    if users is not None and not 1 <= users <= MAX_USERS:
        raise InputError(f"--users {users} is out of range; use 1 to {MAX_USERS}")
    if rate is not None:
        if not math.isfinite(rate) or rate <= 0:
            raise InputError(
                f"--rate {rate:g} must be a positive, finite number of requests per second, "
                "e.g. --rate 50"
            )
        chosen = users or min(MAX_USERS, max(4, math.ceil(rate * 0.5)))
        return LoadShape("rate", rate, chosen, duration_s, ramp_s, processes, expect_workers)
    return LoadShape("users", None, users or 10, duration_s, ramp_s, processes, expect_workers)


def parse_duration(text: str, *, flag: str = "--duration") -> float:
    """Seconds in a duration like `30s`, `2m`, `500ms` or a plain number of seconds."""
    stripped = text.strip().lower()
    number, scale = stripped, 1.0
    for unit, factor in (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if stripped.endswith(unit):
            number, scale = stripped[: -len(unit)], factor
            break
    try:
        seconds = float(number) * scale
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds):
        raise InputError(f"{flag} {text!r} is not a duration; use e.g. 30s, 2m or 500ms")
    return seconds


def shape_from_flags(
    *, rate: float | None, users: int | None, duration: str, ramp: str | None, processes: int = 1,
    expect_workers: int = 0,
) -> LoadShape:  # fmt: skip
    """The load of `--rate`/`--users`, `--duration` and `--ramp` (default: a fifth of the
    duration, at most 5 s), checked as `load_shape` checks it."""
    seconds = parse_duration(duration, flag="--duration")
    ramp_s = parse_duration(ramp, flag="--ramp") if ramp is not None else min(5.0, seconds / 5)
    return load_shape(
        rate=rate, users=users, duration_s=seconds, ramp_s=ramp_s, processes=processes,
        expect_workers=expect_workers,
    )  # fmt: skip


@dataclass
class LocustRun:
    """What one Locust run left behind: every request, the generator's CPU, and how it ended."""

    samples: Samples
    started_at: float
    ended_at: float
    generator: ResourceSummary
    interrupted: bool
    exit_code: int | None
    out_dir: Path


def _command(*, host: str, shape: LoadShape, locustfile: Path, out_dir: Path) -> list[str]:
    run_time = f"{math.ceil(shape.duration_s)}s"
    command = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", host,
        "-u", str(shape.users), "-r", f"{shape.spawn_rate:g}", "-t", run_time,
        "--stop-timeout", "2", "--csv", str(out_dir / "locust"),
        "--html", str(out_dir / "locust.html"), "--only-summary", "--exit-code-on-error", "0",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    if shape.processes > 1:
        command += ["--processes", str(shape.processes)]
    if shape.expect_workers:
        command += ["--master", "--expect-workers", str(shape.expect_workers)]
    return command


def run_locust(
    *,
    host: str,
    shape: LoadShape,
    out_dir: Path,
    payloads: Path | None = None,
    locustfile: Path = LOCUSTFILE,
    on_tick: Callable[[float, Samples, float], None] | None = None,
) -> LocustRun:
    """Run Locust to completion (or Ctrl-C, or a hard timeout) and return every recorded request."""
    if not _locust_importable():
        raise EnvironmentMissing("Locust is not installed; pip install locust")
    out_dir.mkdir(parents=True, exist_ok=True)
    sample_dir = Path(tempfile.mkdtemp(prefix="da-samples-"))
    reader = SampleReader(sample_dir / "req")
    env = dict(os.environ, DEPLOY_ADVISOR_SAMPLES=str(reader.prefix))
    env["DEPLOY_ADVISOR_USER_RATE"] = repr(shape.user_rate)
    if payloads is not None:
        env["DEPLOY_ADVISOR_PAYLOADS"] = str(payloads)
    command = _command(host=host, shape=shape, locustfile=locustfile, out_dir=out_dir)
    interrupted = False
    with (out_dir / "locust.log").open("w") as log:
        proc = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        started = time.time()
        generator = ProcessTreeSampler(proc.pid)
        generator.start()
        # A master first waits for its workers; that wait is bounded too.
        waiting = _GRACE_S * 2 if shape.expect_workers else 0
        deadline = time.monotonic() + shape.duration_s + _GRACE_S + waiting
        try:
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    _stop(proc)
                    break
                time.sleep(0.5)
                reader.poll()
                if on_tick is not None:
                    on_tick(time.time() - started, reader.samples, generator.latest_cores)
        except KeyboardInterrupt:
            interrupted = True
            _stop(proc)
        finally:
            if proc.poll() is None:
                _stop(proc)
            summary = generator.stop()
    ended = time.time()
    reader.poll()
    shutil.rmtree(sample_dir, ignore_errors=True)
    return LocustRun(reader.samples, started, ended, summary, interrupted, proc.returncode, out_dir)


def run_worker(
    *, master_host: str, out_dir: Path, payloads: Path | None = None,
    locustfile: Path = LOCUSTFILE, user_rate: float = 0.0,
    timeout_s: float = MAX_DURATION_S + 4 * _GRACE_S,
) -> int:  # fmt: skip
    """Serve as a Locust worker for a master elsewhere; keep exact samples in `out_dir`.

    Returns the number of requests this worker recorded. Stops when the master stops the run,
    on Ctrl-C, or after `timeout_s`.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    reader = SampleReader(out_dir / "samples")
    env = dict(os.environ, DEPLOY_ADVISOR_SAMPLES=str(reader.prefix))
    env["DEPLOY_ADVISOR_USER_RATE"] = repr(user_rate)
    if payloads is not None:
        env["DEPLOY_ADVISOR_PAYLOADS"] = str(payloads)
    command = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--worker",
        "--master-host", master_host, "--loglevel", "WARNING",
    ]  # fmt: skip
    with (out_dir / "locust-worker.log").open("w") as log:
        proc = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            proc.wait(timeout=timeout_s)
        except (KeyboardInterrupt, subprocess.TimeoutExpired):
            _stop(proc)
    reader.poll()
    return len(reader.samples)


def _stop(proc: subprocess.Popen[Any]) -> None:
    """Ask Locust to stop (it still writes its CSV and HTML), then kill its process group."""
    for sig, wait in ((signal.SIGTERM, 8.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _locust_importable() -> bool:
    import importlib.util

    return importlib.util.find_spec("locust") is not None
