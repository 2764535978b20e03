"""One load-test run as `RUNDIR/result.json` (the contract in docs/architecture.md)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deploy_advisor.emulate.procstats import ResourceSummary
from deploy_advisor.errors import (
    DeployAdvisorError,
    EnvironmentMissing,
    Interrupted,
    SloBreached,
)
from deploy_advisor.files import write_atomic
from deploy_advisor.loadtest.runner import LoadShape, LocustRun
from deploy_advisor.loadtest.samples import summarise_latency, timeline
from deploy_advisor.loadtest.slo import Slo, evaluate

__all__ = [
    "RESULT_VERSION", "RunInfo", "build_result", "measured_values", "no_success_reason",
    "outcome_error", "unreachable", "write_result",
]  # fmt: skip

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
    deployment: dict[str, Any] | None = None
    """Kubernetes: the replicas and per-replica limits the load was spread over."""


MIN_STEADY_S = 0.5  # a shorter steady window cannot tell a shortfall from the ramp
MIN_STEADY_REQUESTS = 10


@dataclass(frozen=True)
class SteadyWindow:
    """Where the rate is measured (epoch seconds); `steady` is false when the run was too short
    for a window after the ramp, and the rate then spans the whole run, ramp included."""

    start: float
    end: float
    steady: bool
    settle_s: float = 0.0


def _steady_window(run: LocustRun, shape: LoadShape) -> SteadyWindow:
    """From the moment every user sends at its pace to the last request start.

    Users start over the ramp, and open-loop users then wait up to one interval (their phase)
    before their first request, so the full rate holds from first + ramp + 1/user_rate."""
    if not run.samples.start:
        return SteadyWindow(run.started_at, run.ended_at, False)
    first, last = min(run.samples.start), max(run.samples.start)
    settle = shape.ramp_s + (1 / shape.user_rate if shape.user_rate > 0 else 0.0)
    start = first + settle
    inside = sum(1 for s in run.samples.start if start <= s <= last)
    if last - start >= MIN_STEADY_S and inside >= MIN_STEADY_REQUESTS:
        return SteadyWindow(start, last, True, settle)
    return SteadyWindow(first, last, False, settle)


def _achieved_rps(run: LocustRun, window: SteadyWindow) -> float:
    """Requests per second in the window: the least-squares slope of the arrival count.

    A slope rather than count/span, because users fire in phase-locked bursts and a window edge
    that cuts a burst would swing a plain count by several percent on a short run. Locust's
    start-up, before the first request, never counts.
    """
    times = sorted(s for s in run.samples.start if window.start <= s <= window.end)
    if len(times) < 3 or window.end - window.start <= 0:
        return len(run.samples) / max(run.ended_at - run.started_at, 1e-9)
    n = len(times)
    mean_t = sum(times) / n
    mean_i = (n - 1) / 2
    covariance = sum((t - mean_t) * (i - mean_i) for i, t in enumerate(times))
    variance = sum((t - mean_t) ** 2 for t in times)
    return covariance / variance if variance > 0 else 0.0


def _generator_verdict(
    generator: ResourceSummary, shape: LoadShape, achieved: float, mean_ms: float | None,
    *, steady: bool,
) -> tuple[bool, str | None]:  # fmt: skip
    """Was the generator, not the server, what limited the rate? Returns (bound, reason).

    A rate measured without a steady window (a run too short for its ramp) says nothing about
    the generator; only a saturated Locust process does."""
    per_process = _mean(generator.busiest_cores)
    if per_process is not None and per_process >= GENERATOR_SATURATED_CORES:
        return True, f"a Locust process used {per_process:.2f} cores (saturated)"
    if not steady:
        return False, None
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
    latency = summarise_latency(samples.ok_ms)
    window = _steady_window(run, shape)
    achieved = _achieved_rps(run, window)
    generator = run.generator.window(window.start, window.end)
    t0 = min(samples.start) if samples.start else run.started_at
    seconds = int(max(samples.start, default=t0) - t0) + 1 if samples.start else 0
    failures = samples.failures_by_kind()
    bound, reason = _generator_verdict(
        generator, shape, achieved, latency["mean"], steady=window.steady
    )
    warnings = []
    if not window.steady and len(samples) > 1 and not run.interrupted:
        warnings.append(
            f"the run was too short to measure a steady rate after the {window.settle_s:.1f} s "
            "the users take to start; achieved_rps includes that start, so use a longer --duration"
        )
    elif shape.mode == "rate" and shape.rate and achieved < SHORTFALL * shape.rate:
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
        **({"deployment": info.deployment} if info.deployment else {}),
        "load": shape.to_json(),
        "started_at": datetime.fromtimestamp(run.started_at, UTC).isoformat(timespec="seconds"),
        "duration_s": round(run.ended_at - run.started_at, 2),
        "asked_rps": shape.rate,
        "achieved_rps": round(achieved, 2),
        "requests": len(samples),
        "failures": {
            "total": sum(failures.values()),
            "by_kind": failures,
            "shed": failures.get("http_503", 0),  # turned away by a full server: load shedding
        },
        "latency_ms": latency,
        "latency_exact": True,
        "timeline": timeline(samples, t0=t0, seconds=seconds),
        "server": (server or ResourceSummary()).window(window.start, window.end).to_json(),
        "generator": {
            **{k: v for k, v in generator.to_json().items() if k != "memory_mb_max"},
            "processes": shape.processes,
            "bound": bound,
            "reason": reason,
        },
        "slo": [],
        "capacity": None,
        "warnings": warnings,
        "error": None,
    }
    if not samples.ms and shape.expect_workers:
        _use_locust_stats(result, run.out_dir / "locust_stats.csv")
    result["slo"] = [v.to_json() for v in evaluate(slos, measured_values(result))]
    if not run.interrupted:
        result["error"] = no_success_reason(result, locust_log=run.out_dir / "locust.log")
    return result


_HINTS = {
    "http_404": "does that server answer POST /predict?",
    "http_405": "does that server answer POST /predict?",
    "http_400": "the server rejected the payloads; check that they fit the model",
    "http_413": "the payloads are larger than the server accepts",
    "http_415": "the server wants another content type",
    "http_422": "the server rejected the payloads; check that they fit the model",
}


def no_success_reason(result: dict[str, Any], *, locust_log: Path | None = None) -> str | None:
    """One line saying why no request succeeded, naming the failure kinds; None if one did."""
    requests, failures = result["requests"], result["failures"]
    url = result["url"]
    if requests == 0:
        last = last_line(locust_log) if locust_log is not None else None
        detail = f" (Locust: {last})" if last else ""
        where = f"; see {locust_log}" if locust_log is not None else ""
        return f"no request to {url} completed{detail}{where}"
    if failures["total"] < requests:
        return None
    kinds = sorted(failures["by_kind"].items(), key=lambda kv: -kv[1])
    named = ", ".join(f"{kind} x{count}" for kind, count in kinds) or f"x{requests}"
    top = kinds[0][0] if kinds else ""
    if unreachable(result):
        hint = "is the server running?"
    elif top.startswith("http_5"):
        hint = "the server failed every request; see its log"
    else:
        hint = _HINTS.get(top, "see locust.log and the server's log")
    return f"every request to {url} failed: {named}; {hint}"


def unreachable(result: dict[str, Any]) -> bool:
    """True when no request got an HTTP answer at all (refused, reset, DNS, timeout)."""
    if result["requests"] == 0:
        return True
    kinds = result["failures"]["by_kind"]
    return result["failures"]["total"] == result["requests"] and all(
        not kind.startswith("http_") and kind != "unknown" for kind in kinds
    )


def outcome_error(results: list[dict[str, Any]]) -> DeployAdvisorError | None:
    """How finished runs end: interrupted (130), a run where no request succeeded (exit 4 when
    nothing answered, else 3), then a failed SLO (3); None when every run is fine. One line."""
    if any(r["partial"] for r in results):
        return Interrupted("interrupted; the partial result was written")
    failed = [r for r in results if r.get("error")]
    if failed:
        message = "; ".join(
            (f"{r['target']}: " if len(results) > 1 else "") + str(r["error"]) for r in failed
        )
        if all(unreachable(r) for r in failed):
            return EnvironmentMissing(message)
        return SloBreached(message)
    broken = [
        f"{result['target']} {verdict['name']}"
        for result in results
        if not (result.get("capacity") or {}).get("rps")
        for verdict in result["slo"]
        if not verdict["passed"]
    ]
    if broken:
        return SloBreached(f"SLO failed: {', '.join(broken)}; see the SLO table and result.json")
    return None


def last_line(path: Path) -> str | None:
    """The last non-empty line of a text file, or None."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return None
    return next((line.strip() for line in reversed(lines) if line.strip()), None)


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


def cold_start_summary(seconds: list[float]) -> dict[str, Any]:
    """result.json's `cold_start`: how many, and their median and worst wait in ms."""
    if not seconds:
        return {"count": 0, "p50_ms": None, "max_ms": None}
    ordered = sorted(seconds)
    median = ordered[(len(ordered) - 1) // 2]  # nearest rank, like the latency percentiles
    return {
        "count": len(ordered),
        "p50_ms": round(median * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def write_result(run_dir: Path, result: dict[str, Any]) -> Path:
    """Write result.json atomically (temp file + rename)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    target = run_dir / "result.json"
    write_atomic(target, json.dumps(result, indent=2) + "\n")
    return target
