"""Load-test run directories read into typed models (`RUNDIR/result.json`, version 1)."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from deploy_advisor.errors import InputError
from deploy_advisor.targets.registry import target_class

if TYPE_CHECKING:
    from deploy_advisor.emulate.kubernetes_manifest import DeploymentShape

__all__ = [
    "SUPPORTED_VERSION",
    "CapacityResult",
    "CapacityStep",
    "Deployment",
    "LoadInfo",
    "RunResult",
    "SloVerdict",
    "TimelinePoint",
    "load_run",
    "load_runs",
]

SUPPORTED_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TimelinePoint(_Model):
    """One second of a run: requests started, latency percentiles and errors."""

    t: float
    rps: float
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0


class SloVerdict(_Model):
    """One service-level objective as judged by the load test."""

    name: str
    threshold: float
    unit: str
    op: str = "<"
    measured: float | None = None
    passed: bool

    @property
    def label(self) -> str:
        return f"{self.name}{self.op}{self.threshold:g}{self.unit}"


class CapacityStep(_Model):
    """One rung of a capacity search: offered rate and what the server did at it."""

    rate: float
    achieved_rps: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    error_pct: float | None = None
    passed: bool


class CapacityResult(_Model):
    """The highest rate that held the SLO, and the steps that found it."""

    rps: float | None = None
    slo: str = ""
    generator_bound: bool = False
    steps: list[CapacityStep] = Field(default_factory=list)


class LoadInfo(_Model):
    """The load that was offered: a fixed `rate` (open loop) or `users` (closed loop)."""

    mode: str | None = None
    rate: float | None = None


class Deployment(_Model):
    """How many replicas served a Kubernetes run, and each replica's limits."""

    replicas: int = Field(ge=1)
    cpu_limit: float | None = None
    memory_limit_mb: float | None = None


class Latency(_Model):
    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    p999: float | None = None
    max: float | None = None
    mean: float | None = None


class Failures(_Model):
    total: int = 0
    by_kind: dict[str, int] = Field(default_factory=dict)
    shed: int = 0
    """Of ``total``, the 503s: requests a full server turned away (load shedding)."""


class ServerUse(_Model):
    cpu_cores_mean: float | None = None
    cpu_cores_max: float | None = None
    memory_mb_max: float | None = None


class GeneratorUse(_Model):
    cpu_cores_mean: float | None = None
    bound: bool = False


class ColdStart(_Model):
    """Requests that found a scaled-to-zero instance stopped, and their wait."""

    count: int = 0
    p50_ms: float | None = None
    max_ms: float | None = None


class RunResult(_Model):
    """One run directory: its result.json plus where it lives and its raw latencies."""

    version: int
    partial: bool = False
    target: str
    plan: str | None = None
    emulated: bool = False
    model: str | None = None
    url: str | None = None
    load: LoadInfo = Field(default_factory=LoadInfo)
    deployment: Deployment | None = None
    started_at: str | None = None
    duration_s: float = 0.0
    asked_rps: float | None = None
    achieved_rps: float
    requests: int
    failures: Failures = Field(default_factory=Failures)
    latency_ms: Latency
    timeline: list[TimelinePoint] = Field(default_factory=list)
    server: ServerUse = Field(default_factory=ServerUse)
    generator: GeneratorUse = Field(default_factory=GeneratorUse)
    slo: list[SloVerdict] = Field(default_factory=list)
    capacity: CapacityResult | None = None
    cold_start: ColdStart | None = None
    start_to_ready_s: float | None = None
    """Seconds from starting the server (every replica) until /readyz first answered 200;
    None for --url runs, the local target and runs recorded before loadtest timed it."""
    startup_probe_s: float | None = None
    """What the scaffold's Kubernetes startupProbe allows a pod to become ready, when the run
    directory holds that scaffold (`RUNDIR/scaffold/k8s`)."""
    path: Path = Path()
    latencies_ms: tuple[float, ...] = ()

    @property
    def label(self) -> str:
        """`target` or `target/plan`: how a run is named in tables and charts."""
        return f"{self.target}/{self.plan}" if self.plan else self.target

    @property
    def error_pct(self) -> float | None:
        return 100.0 * self.failures.total / self.requests if self.requests else None

    @property
    def succeeded(self) -> int:
        """Requests that got an answer counted as a success."""
        return max(self.requests - self.failures.total, 0)

    @property
    def offered_rps(self) -> float | None:
        """The fixed rate the run asked for; None for a closed-loop (users) run."""
        if self.asked_rps is not None:
            return self.asked_rps
        return self.load.rate if self.load.mode == "rate" else None

    @property
    def slo_passed(self) -> bool | None:
        """True when every recorded SLO passed; None when the run recorded none."""
        return all(v.passed for v in self.slo) if self.slo else None


def _result_path(run_dir: Path) -> Path:
    if run_dir.is_file() and run_dir.name == "result.json":
        return run_dir
    path = run_dir / "result.json"
    if path.is_file():
        return path
    if not run_dir.exists():
        raise InputError(f"Run directory {run_dir} not found; pass a directory written by loadtest")
    nested = sorted(p.parent.name for p in run_dir.glob("*/result.json"))
    hint = f" (its subdirectories {', '.join(nested[:4])} are runs)" if nested else ""
    raise InputError(f"{path} not found{hint}; pass run directories written by loadtest")


def _read_latencies(path: Path) -> tuple[float, ...]:
    if not path.is_file():
        return ()
    try:
        with gzip.open(path, "rt") as lines:
            values = [float(line) for line in lines if line.strip() and line[0] in "0123456789."]
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        raise InputError(f"{path} is corrupt ({exc}); re-run the load test") from exc
    return tuple(values)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "document"
    return f"{where}: {err['msg']}"


def load_run(run_dir: Path) -> RunResult:
    """Read and check one run directory; any problem is one `InputError` naming the file."""
    path = _result_path(run_dir)
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is not readable JSON ({exc}); re-run the load test") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path} is not a result object; re-run the load test")
    version = data.get("version")
    if version != SUPPORTED_VERSION:
        raise InputError(
            f"{path} has result version {version!r}; this deploy-advisor reads version "
            f"{SUPPORTED_VERSION}: upgrade deploy-advisor or re-run the load test"
        )
    try:
        run = RunResult.model_validate({**data, "path": path.parent})
    except ValidationError as exc:
        raise InputError(f"{path} is invalid ({_first_error(exc)}); re-run the load test") from exc
    update: dict[str, Any] = {"latencies_ms": _read_latencies(path.parent / "latencies.csv.gz")}
    shape = _scaffold_shape(path.parent / "scaffold")
    if shape is not None:
        update["startup_probe_s"] = shape.startup_probe_s
    traits = target_class(run.target)
    if traits is not None and traits.runs_on_nodes and run.deployment is None and shape:
        update["deployment"] = Deployment(
            replicas=max(shape.replicas, 1),
            cpu_limit=shape.cpu_limit,
            memory_limit_mb=shape.memory_limit_mb,
        )
    return run.model_copy(update=update)


def _scaffold_shape(scaffold: Path) -> DeploymentShape | None:
    """What the Kubernetes manifests `bench` scaffolded into the run directory say, if any."""
    if not (scaffold / "k8s").is_dir():
        return None
    import yaml

    from deploy_advisor.emulate.kubernetes_manifest import read_deployment

    try:
        return read_deployment(scaffold)
    except (InputError, OSError, ValueError, LookupError, TypeError, yaml.YAMLError):
        return None


def load_runs(run_dirs: list[Path]) -> list[RunResult]:
    """Load several run directories in order; the first bad one stops with its error."""
    if not run_dirs:
        raise InputError("No run directories given; pass one or more RUNDIR written by loadtest")
    return [load_run(d) for d in run_dirs]
