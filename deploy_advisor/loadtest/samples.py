"""Every request the locustfile recorded, read back as it grows, and exact statistics on it."""

from __future__ import annotations

import gzip
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Samples", "SampleReader", "nearest_rank", "summarise_latency", "timeline"]

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p999": 99.9}


@dataclass
class Samples:
    """Columns of recorded requests: start time (epoch s), response time (ms), ok, failure kind."""

    start: list[float] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    ok: list[bool] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ms)

    def add_line(self, line: str) -> None:
        start, ms, ok, kind = line.rstrip("\n").split(",", 3)
        self.start.append(float(start))
        self.ms.append(float(ms))
        self.ok.append(ok == "1")
        self.kind.append(kind)

    def failures_by_kind(self) -> dict[str, int]:
        return dict(Counter(k for k, good in zip(self.kind, self.ok, strict=True) if not good))

    @property
    def ok_ms(self) -> list[float]:
        """Response times of the successful requests: a refused connection is no latency."""
        return [ms for ms, good in zip(self.ms, self.ok, strict=True) if good]

    def write_latencies(self, path: Path) -> None:
        """One response time in ms per successful request, gzip-compressed, in recorded order."""
        with gzip.open(path, "wt") as out:
            out.writelines(f"{ms:.3f}\n" for ms in self.ok_ms)


class SampleReader:
    """Reads the per-process sample files of one run as they grow; only complete lines count."""

    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self.samples = Samples()
        self._offsets: dict[Path, int] = {}

    def poll(self) -> int:
        """Read what was appended since the last call; returns the number of new requests."""
        added = 0
        for path in sorted(self.prefix.parent.glob(self.prefix.name + ".*.csv")):
            offset = self._offsets.get(path, 0)
            with path.open("rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
            end = chunk.rfind(b"\n") + 1
            for line in chunk[:end].decode().splitlines():
                if line:
                    self.samples.add_line(line)
                    added += 1
            self._offsets[path] = offset + end
        return added

    def files(self) -> list[Path]:
        return sorted(self._offsets)


def nearest_rank(sorted_ms: list[float], percent: float) -> float:
    """Exact nearest-rank percentile: the smallest sample with `percent`% of samples at or below."""
    if not sorted_ms:
        raise ValueError("no samples")
    rank = max(1, math.ceil(percent / 100 * len(sorted_ms)))
    return sorted_ms[rank - 1]


def summarise_latency(ms: list[float]) -> dict[str, float | None]:
    """p50/p90/p95/p99/p99.9/max/mean of all response times, exact; None when there are none."""
    if not ms:
        return dict.fromkeys([*PERCENTILES, "max", "mean"])
    ordered = sorted(ms)
    summary: dict[str, float | None] = {
        name: round(nearest_rank(ordered, pct), 3) for name, pct in PERCENTILES.items()
    }
    summary["max"] = round(ordered[-1], 3)
    summary["mean"] = round(sum(ordered) / len(ordered), 3)
    return summary


def timeline(samples: Samples, *, t0: float, seconds: int) -> list[dict[str, Any]]:
    """Per-second rows by request start: requests, exact p50/p95/p99 of the successful ones,
    and errors."""
    buckets: list[list[float]] = [[] for _ in range(max(seconds, 0))]
    errors = [0] * len(buckets)
    for start, ms, good in zip(samples.start, samples.ms, samples.ok, strict=True):
        second = int(start - t0)
        if 0 <= second < len(buckets):
            if good:
                buckets[second].append(ms)
            else:
                errors[second] += 1
    rows = []
    for second, values in enumerate(buckets):
        values.sort()
        row: dict[str, Any] = {"t": second, "rps": len(values) + errors[second]}
        for name, pct in (("p50_ms", 50.0), ("p95_ms", 95.0), ("p99_ms", 99.0)):
            row[name] = round(nearest_rank(values, pct), 3) if values else None
        row["errors"] = errors[second]
        rows.append(row)
    return rows
