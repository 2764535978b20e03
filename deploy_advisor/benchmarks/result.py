"""One load-test run as `RUNDIR/result.json` (the contract in docs/architecture.md)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deploy_advisor.benchmarks.procstats import ResourceSummary
from deploy_advisor.benchmarks.runner import LoadShape, LocustRun
from deploy_advisor.benchmarks.samples import summarise_latency, timeline
from deploy_advisor.benchmarks.slo import Slo, evaluate
from deploy_advisor.files import write_atomic

__all__ = ["RESULT_VERSION", "RunInfo", "build_result", "measured_values", "write_result"]

RESULT_VERSION = 1
SHORTFALL = 0.95  # achieved below 95% of the asked rate is a shortfall
GENERATOR_SATURATED_CORES = 0.85  # one Locust process near a full core cannot send faster


@dataclass(frozen=True)
class RunInfo:
    """What was tested: the target, its plan, whether the target was emulated, and the model."""

    target: str
    plan: str | None
    emulated: bool
    model: str | None
    url: str


def _steady_window(run: LocustRun, shape: LoadShape) -> tuple[float, float]:
    """From the end of the ramp to the last request start (epoch seconds)."""
    if not run.samples.start:
        return run.started_at, run.ended_at
    t0, last = min(run.samples.start), max(run.samples.start)
    return min(t0 + shape.ramp_s, last), last


def _achieved_rps(run: LocustRun, window: tuple[float, float]) -> float:
    """Requests per second in the steady window: the least-squares slope of the arrival count.

    A slope rather than count/span, because users fire in phase-locked bursts and a window edge
    that cuts a burst would swing a plain count by several percent on a short run.
    """
    start, end = window
    times = sorted(s for s in run.samples.start if start <= s <= end)
    if len(times) < 10 or end - start < 1.0:
        span = max(run.ended_at - run.started_at, 1e-9)
        return len(run.samples) / span
    n = len(times)
    mean_t = sum(times) / n
    mean_i = (n - 1) / 2
    covariance = sum((t - mean_t) * (i - mean_i) for i, t in enumerate(times))
    variance = sum((t - mean_t) ** 2 for t in times)
    return covariance / variance if variance > 0 else 0.0


def _generator_verdict(
    generator: ResourceSummary, shape: LoadShape, achieved: float, mean_ms: float | None
) -> tuple[bool, str | None]:
    """Was the generator, not the server, what limited the rate? Returns (bound, reason)."""
    per_process = _mean(generator.busiest_cores)
    if per_process is not None and per_process >= GENERATOR_SATURATED_CORES:
        return True, f"a Locust process used {per_process:.2f} cores (saturated)"
    if shape.mode == "rate" and shape.rate and achieved < SHORTFALL * shape.rate and mean_ms:
        # Users could have kept the rate at the measured latency, yet requests were not sent.
        users_could = shape.users * 1000 / mean_ms
        if users_could >= shape.rate * 1.05:
            return True, (
                f"achieved {achieved:.1f} of {shape.rate:g} req/s although {shape.users} users at "
                f"{mean_ms:.1f} ms could send {users_could:.0f} req/s"
            )
    return False, None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def measured_values(result: dict[str, Any]) -> dict[str, float | None]:
    """The values SLOs are judged on: latency in ms, errors in %, achieved rps."""
    values: dict[str, float | None] = dict(result["latency_ms"])
    requests = result["requests"]
    values["errors"] = 100 * result["failures"]["total"] / requests if requests else None
    values["rps"] = result["achieved_rps"]
    return values


def build_result(
    *,
    run: LocustRun,
    info: RunInfo,
    shape: LoadShape,
    slos: list[Slo],
    server: ResourceSummary | None,
) -> dict[str, Any]:
    """Everything result.json holds, computed exactly from the recorded requests."""
    samples = run.samples
    latency = summarise_latency(samples.ms)
    window = _steady_window(run, shape)
    achieved = _achieved_rps(run, window)
    generator = run.generator.window(*window)
    t0 = min(samples.start) if samples.start else run.started_at
    seconds = int(max(samples.start, default=t0) - t0) + 1 if samples.start else 0
    failures = samples.failures_by_kind()
    bound, reason = _generator_verdict(generator, shape, achieved, latency["mean"])
    warnings = []
    if shape.mode == "rate" and shape.rate and achieved < SHORTFALL * shape.rate:
        warnings.append(f"achieved {achieved:.1f} req/s, short of the asked {shape.rate:g} req/s")
    if bound:
        warnings.append(
            f"the load generator was the bottleneck ({reason}); "
            "this rate is not the server's capacity"
        )
    if run.interrupted:
        warnings.append("interrupted: the result covers only the part of the run before Ctrl-C")
    result: dict[str, Any] = {
        "version": RESULT_VERSION,
        "partial": run.interrupted,
        "target": info.target,
        "plan": info.plan,
        "emulated": info.emulated,
        "model": info.model,
        "url": info.url,
        "load": shape.to_json(),
        "started_at": datetime.fromtimestamp(run.started_at, UTC).isoformat(timespec="seconds"),
        "duration_s": round(run.ended_at - run.started_at, 2),
        "asked_rps": shape.rate,
        "achieved_rps": round(achieved, 2),
        "requests": len(samples),
        "failures": {"total": sum(failures.values()), "by_kind": failures},
        "latency_ms": latency,
        "latency_exact": True,
        "timeline": timeline(samples, t0=t0, seconds=seconds),
        "server": (server.window(*window) if server else ResourceSummary()).to_json(),
        "generator": {
            **{k: v for k, v in generator.to_json().items() if k != "memory_mb_max"},
            "processes": shape.processes,
            "bound": bound,
            "reason": reason,
        },
        "slo": [],
        "capacity": None,
        "warnings": warnings,
    }
    if not samples.ms and shape.expect_workers:
        _use_locust_stats(result, run.out_dir / "locust_stats.csv")
    result["slo"] = [v.to_json() for v in evaluate(slos, measured_values(result))]
    return result


def _use_locust_stats(result: dict[str, Any], stats_csv: Path) -> None:
    """Distributed runs: the samples stay on the workers, so take Locust's (bucketed) aggregate."""
    if not stats_csv.is_file():
        return
    with stats_csv.open() as handle:
        rows = [row for row in csv.DictReader(handle) if row["Name"] == "Aggregated"]
    if not rows:
        return
    row = rows[0]
    columns = {"p50": "50%", "p90": "90%", "p95": "95%", "p99": "99%", "p999": "99.9%"}
    result["latency_ms"] = {name: float(row[col]) for name, col in columns.items()}
    result["latency_ms"]["max"] = float(row["Max Response Time"])
    result["latency_ms"]["mean"] = round(float(row["Average Response Time"]), 3)
    result["latency_exact"] = False
    result["requests"] = int(row["Request Count"])
    failed = int(row["Failure Count"])
    result["failures"] = {"total": failed, "by_kind": {"unknown": failed} if failed else {}}
    result["achieved_rps"] = round(float(row["Requests/s"]), 2)
    result["warnings"].append(
        "distributed run: percentiles are Locust's rounded ones; each worker kept its exact samples"
    )


def write_result(run_dir: Path, result: dict[str, Any]) -> Path:
    """Write result.json atomically (temp file + rename)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    target = run_dir / "result.json"
    write_atomic(target, json.dumps(result, indent=2) + "\n")
    return target
