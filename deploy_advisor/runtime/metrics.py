"""Prometheus metrics kept in plain Python objects and written in the text exposition format.

Each worker process keeps its own numbers (a scrape sees the process that answered it).
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Sequence

__all__ = ["BATCH_BUCKETS", "LATENCY_BUCKETS", "Histogram", "Metrics"]

LATENCY_BUCKETS: tuple[float, ...] = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
BATCH_BUCKETS: tuple[float, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)

PREFIX = "model_server"


class Histogram:
    """Cumulative buckets as Prometheus wants them, stored per bucket and summed on output."""

    __slots__ = ("bounds", "count", "counts", "total")

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)
        self.total = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.total += value
        self.count += 1

    def lines(self, name: str, labels: str) -> list[str]:
        sep = "," if labels else ""
        out: list[str] = []
        running = 0
        for bound, n in zip(self.bounds, self.counts, strict=False):
            running += n
            out.append(f'{name}_bucket{{{labels}{sep}le="{_num(bound)}"}} {running}')
        out.append(f'{name}_bucket{{{labels}{sep}le="+Inf"}} {self.count}')
        lab = f"{{{labels}}}" if labels else ""
        out.append(f"{name}_sum{lab} {_num(self.total)}")
        out.append(f"{name}_count{lab} {self.count}")
        return out


def _num(v: float) -> str:
    return repr(float(v)) if not float(v).is_integer() else str(int(v)) + ".0"


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """Request counts and latency per route and status, batch sizes, requests in flight."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], int] = {}
        self.latency: dict[tuple[str, int], Histogram] = {}
        self.batch_size = Histogram(BATCH_BUCKETS)
        self.in_flight = 0
        self.model_errors = 0
        self.rows_predicted = 0
        self.ready = False
        self.info: dict[str, str] = {}

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        hist = self.latency.get((route, status))
        if hist is None:
            hist = self.latency[(route, status)] = Histogram(LATENCY_BUCKETS)
        hist.observe(seconds)

    def observe_batch(self, rows: int) -> None:
        self.batch_size.observe(rows)
        self.rows_predicted += rows

    def render(self) -> bytes:
        p = PREFIX
        out: list[str] = []
        out.append(
            f"# HELP {p}_requests_total HTTP requests answered, by route, method and status."
        )
        out.append(f"# TYPE {p}_requests_total counter")
        for (route, method, status), n in sorted(self.requests.items()):
            out.append(
                f'{p}_requests_total{{route="{_esc(route)}",method="{method}",'
                f'status="{status}"}} {n}'
            )
        out.append(
            f"# HELP {p}_request_duration_seconds Time from request start to response, "
            "by route and status."
        )
        out.append(f"# TYPE {p}_request_duration_seconds histogram")
        for (route, status), hist in sorted(self.latency.items()):
            out.extend(
                hist.lines(
                    f"{p}_request_duration_seconds", f'route="{_esc(route)}",status="{status}"'
                )
            )
        out.append(f"# HELP {p}_batch_size Rows per model predict call.")
        out.append(f"# TYPE {p}_batch_size histogram")
        out.extend(self.batch_size.lines(f"{p}_batch_size", ""))
        out.append(f"# HELP {p}_requests_in_flight Requests being handled now.")
        out.append(f"# TYPE {p}_requests_in_flight gauge")
        out.append(f"{p}_requests_in_flight {self.in_flight}")
        out.append(f"# HELP {p}_model_errors_total Predict calls on which the model raised.")
        out.append(f"# TYPE {p}_model_errors_total counter")
        out.append(f"{p}_model_errors_total {self.model_errors}")
        out.append(f"# HELP {p}_rows_predicted_total Input rows the model predicted.")
        out.append(f"# TYPE {p}_rows_predicted_total counter")
        out.append(f"{p}_rows_predicted_total {self.rows_predicted}")
        out.append(f"# HELP {p}_ready 1 once the model is loaded and warmed up.")
        out.append(f"# TYPE {p}_ready gauge")
        out.append(f"{p}_ready {1 if self.ready else 0}")
        if self.info:
            labels = ",".join(f'{k}="{_esc(v)}"' for k, v in sorted(self.info.items()))
            out.append(f"# HELP {p}_model_info The model being served (value is always 1).")
            out.append(f"# TYPE {p}_model_info gauge")
            out.append(f'{p}_model_info{{{labels},pid="{os.getpid()}"}} 1')
        return ("\n".join(out) + "\n").encode()
