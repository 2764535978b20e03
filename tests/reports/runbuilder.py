"""Build valid run directories (result.json + latencies.csv.gz) with realistic, consistent data."""

from __future__ import annotations

import gzip
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy_advisor.loadtest.result import cold_start_summary

__all__ = ["RunSpec", "edit_result", "write_run"]


@dataclass(frozen=True)
class RunSpec:
    """What a fake run measured: the load, the latency shape and the resources."""

    target: str
    plan: str | None
    rate: float = 50.0
    duration_s: int = 20
    median_ms: float = 20.0
    spread: float = 0.35
    error_every: int = 0
    emulated: bool = True
    slo_p95_ms: float | None = 200.0
    capacity_steps: tuple[tuple[float, float], ...] = ()
    cpu_cores: float = 0.6
    memory_mb: float = 180.0
    generator_bound: bool = False
    partial: bool = False
    seed: int = 7
    cold_starts_s: tuple[float, ...] | None = None
    """Scale to zero: each cold start's wait in seconds; None for a target that never scales."""


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return round(ordered[rank - 1], 3)


def _timeline(starts: list[float], ms: list[float], errors: set[int], seconds: int) -> list[Any]:
    rows = []
    for second in range(seconds):
        idx = [i for i, s in enumerate(starts) if int(s) == second]
        values = [ms[i] for i in idx]
        rows.append(
            {
                "t": second,
                "rps": len(values),
                "p50_ms": _pct(values, 50) if values else None,
                "p95_ms": _pct(values, 95) if values else None,
                "p99_ms": _pct(values, 99) if values else None,
                "errors": sum(1 for i in idx if i in errors),
            }
        )
    return rows


def _capacity(spec: RunSpec) -> dict[str, Any] | None:
    if not spec.capacity_steps:
        return None
    threshold = spec.slo_p95_ms or 200.0
    steps = [
        {
            "rate": rate,
            "achieved_rps": round(rate * 0.99, 2),
            "p95_ms": p95,
            "p99_ms": round(p95 * 1.6, 1),
            "error_pct": 0.0,
            "passed": p95 < threshold,
        }
        for rate, p95 in spec.capacity_steps
    ]
    best = max((s["achieved_rps"] for s in steps if s["passed"]), default=None)
    return {"rps": best, "slo": f"p95<{threshold:g}ms", "steps": steps}


def write_run(root: Path, spec: RunSpec, *, name: str | None = None) -> Path:
    """Write one run directory under `root` and return it."""
    rng = random.Random(spec.seed)
    run_dir = root / (name or f"{spec.target}-{spec.plan or 'default'}")
    run_dir.mkdir(parents=True)
    count = int(spec.rate * spec.duration_s)
    starts = [i / spec.rate for i in range(count)]
    ms = [round(rng.lognormvariate(math.log(spec.median_ms), spec.spread), 3) for _ in starts]
    errors = {i for i in range(count) if spec.error_every and i % spec.error_every == 0}
    slo = []
    if spec.slo_p95_ms is not None:
        p95 = _pct(ms, 95)
        slo.append(
            {
                "name": "p95",
                "op": "<",
                "threshold": spec.slo_p95_ms,
                "unit": "ms",
                "measured": p95,
                "passed": p95 < spec.slo_p95_ms,
            }
        )
    result = {
        "version": 1,
        "partial": spec.partial,
        "target": spec.target,
        "plan": spec.plan,
        "emulated": spec.emulated,
        "model": "model.joblib",
        "load": {
            "mode": "rate",
            "rate": spec.rate,
            "users": 64,
            "duration_s": spec.duration_s,
            "ramp_s": 0,
            "processes": 1,
        },
        "started_at": "2025-01-01T12:00:00+00:00",
        "duration_s": spec.duration_s + 0.1,
        "asked_rps": spec.rate,
        "achieved_rps": round(count / spec.duration_s, 2),
        "requests": count,
        "failures": {"total": len(errors), "by_kind": {"HTTP 503": len(errors)} if errors else {}},
        "latency_ms": {
            "p50": _pct(ms, 50),
            "p90": _pct(ms, 90),
            "p95": _pct(ms, 95),
            "p99": _pct(ms, 99),
            "p999": _pct(ms, 99.9),
            "max": max(ms),
            "mean": round(sum(ms) / len(ms), 3),
        },
        "timeline": _timeline(starts, ms, errors, spec.duration_s),
        "server": {
            "cpu_cores_mean": spec.cpu_cores,
            "cpu_cores_max": spec.cpu_cores * 1.3,
            "memory_mb_max": spec.memory_mb,
        },
        "generator": {"cpu_cores_mean": 0.2, "bound": spec.generator_bound},
        "slo": slo,
        "capacity": _capacity(spec),
    }
    if spec.cold_starts_s is not None:
        result["cold_start"] = cold_start_summary(list(spec.cold_starts_s))
    (run_dir / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    with gzip.open(run_dir / "latencies.csv.gz", "wt") as out:
        out.writelines(f"{v:.3f}\n" for v in ms)
    return run_dir


def edit_result(run_dir: Path, **changes: Any) -> Path:
    """Overwrite top-level fields of a written result.json, as another writer might have left it."""
    path = run_dir / "result.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}, indent=2) + "\n")
    return run_dir
