"""Drive one endpoint with wrk (one thread, a Lua POST script) and parse its JSON summary."""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["LoadResult", "parse_wrk_output", "run_wrk", "write_post_script"]

_MARKER = "WRK_JSON "

# wrk calls done() once at the end; percentiles are in microseconds.
_LUA = r"""wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [==[BODY]==]

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'MARKER{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"mean_us": %.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
"""


@dataclass(frozen=True)
class LoadResult:
    """One wrk run: throughput, latency percentiles in ms, and every kind of error added up."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    errors_by_kind: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_post_script(path: Path, body: str) -> Path:
    """The Lua script that POSTs `body` as JSON and prints one JSON summary line."""
    if "]==]" in body:
        raise ValueError("the request body cannot contain the Lua delimiter ]==]")
    path.write_text(_LUA.replace("BODY", body).replace("MARKER", _MARKER), encoding="utf-8")
    return path


def run_wrk(
    url: str, *, script: Path, connections: int, seconds: float, timeout_s: float = 10.0
) -> LoadResult:
    """Closed-loop load at `connections` concurrent keep-alive connections for `seconds`."""
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={max(1, round(timeout_s))}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    return parse_wrk_output(done.stdout)


def parse_wrk_output(stdout: str) -> LoadResult:
    """Read the summary line that the Lua done() hook printed."""
    lines = [line for line in stdout.splitlines() if line.startswith(_MARKER)]
    if not lines:
        raise ValueError(f"no {_MARKER.strip()} line in wrk output: {stdout.strip()[-300:]}")
    raw = json.loads(lines[-1][len(_MARKER) :])
    seconds = raw["duration_us"] / 1e6
    kinds = {k: int(raw[k]) for k in ("connect", "read", "write", "status", "timeout")}
    return LoadResult(
        requests=int(raw["requests"]),
        seconds=seconds,
        rps=raw["requests"] / seconds if seconds else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        errors=sum(kinds.values()),
        errors_by_kind={k: v for k, v in kinds.items() if v},
    )
