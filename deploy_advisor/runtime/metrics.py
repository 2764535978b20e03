"""Prometheus metrics kept in plain Python objects and written in the text exposition format.

Each worker process counts its own requests in memory. With several workers they share a
directory (:class:`SharedMetrics`): every worker writes a snapshot of its numbers there once a
second, and a scrape of any worker adds the others' latest snapshots to its own live numbers,
so ``/metrics`` describes the whole server whichever worker answers. Counters of a worker that
has exited stay in the sums (they never go down); its gauges (requests in flight) drop out.
"""

from __future__ import annotations

import json
import os
import tempfile
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "BATCH_BUCKETS",
    "LATENCY_BUCKETS",
    "PUBLISH_INTERVAL_S",
    "Histogram",
    "Metrics",
    "SharedMetrics",
]

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
#: How often each worker writes its snapshot: how stale the other workers' numbers can be.
PUBLISH_INTERVAL_S = 1.0

PREFIX = "model_server"
_SNAPSHOT_KEYS = frozenset(
    {
        "pid",
        "requests",
        "latency",
        "batch_size",
        "in_flight",
        "model_errors",
        "rows_predicted",
        "info",
    }
)


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

    def add(self, counts: Sequence[int], total: float) -> None:
        """Add another process's histogram with the same buckets."""
        for i, n in enumerate(counts):
            self.counts[i] += n
        self.total += total
        self.count += sum(counts)

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
        self.shed = 0
        self.queue_limit = 0
        self.queue_depth: Callable[[], int] = lambda: 0

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

    def snapshot(self) -> dict[str, Any]:
        """This process's numbers as JSON data, for the other workers to add to theirs."""
        return {
            "pid": os.getpid(),
            "requests": [[*key, n] for key, n in self.requests.items()],
            "latency": [[*key, h.counts, h.total] for key, h in self.latency.items()],
            "batch_size": [self.batch_size.counts, self.batch_size.total],
            "in_flight": self.in_flight,
            "model_errors": self.model_errors,
            "rows_predicted": self.rows_predicted,
            "info": self.info,
            "shed": self.shed,
            "queue_depth": self.queue_depth(),
            "queue_limit": self.queue_limit,
        }

    def render(self, peers: Iterable[Mapping[str, Any]] = ()) -> bytes:
        """The text exposition: this process's numbers plus the ``peers``' snapshots (each
        with ``live``: whether that process still runs)."""
        total = _Totals(self)
        for peer in peers:
            total.add(peer)
        return total.render()


class _Totals:
    """Several processes' metrics added up, ready to be written out."""

    def __init__(self, own: Metrics) -> None:
        self.requests = dict(own.requests)
        self.latency: dict[tuple[str, int], Histogram] = {}
        for key, hist in own.latency.items():
            self._latency(key).add(hist.counts, hist.total)
        self.batch_size = Histogram(BATCH_BUCKETS)
        self.batch_size.add(own.batch_size.counts, own.batch_size.total)
        self.in_flight = own.in_flight
        self.model_errors = own.model_errors
        self.rows_predicted = own.rows_predicted
        self.ready = own.ready
        self.shed = own.shed
        self.queue_depth = own.queue_depth()
        self.queue_limit = own.queue_limit
        self.processes: list[tuple[int, dict[str, str]]] = [(os.getpid(), own.info)]

    def _latency(self, key: tuple[str, int]) -> Histogram:
        hist = self.latency.get(key)
        if hist is None:
            hist = self.latency[key] = Histogram(LATENCY_BUCKETS)
        return hist

    def add(self, peer: Mapping[str, Any]) -> None:
        for route, method, status, n in peer["requests"]:
            key = (route, method, int(status))
            self.requests[key] = self.requests.get(key, 0) + n
        for route, status, counts, total in peer["latency"]:
            self._latency((route, int(status))).add(counts, total)
        self.batch_size.add(*peer["batch_size"])
        self.model_errors += peer["model_errors"]
        self.rows_predicted += peer["rows_predicted"]
        self.shed += int(peer.get("shed", 0))
        if peer.get("live"):
            self.queue_depth += int(peer.get("queue_depth", 0))
            self.queue_limit += int(peer.get("queue_limit", 0))
            self.in_flight += peer["in_flight"]
            self.processes.append((int(peer["pid"]), peer["info"]))

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
        out.append(
            f"# HELP {p}_queue_depth Requests waiting for or in a predict call, all workers."
        )
        out.append(f"# TYPE {p}_queue_depth gauge")
        out.append(f"{p}_queue_depth {self.queue_depth}")
        out.append(f"# HELP {p}_queue_limit Requests the workers queue before answering 503.")
        out.append(f"# TYPE {p}_queue_limit gauge")
        out.append(f"{p}_queue_limit {self.queue_limit}")
        out.append(f"# HELP {p}_shed_total Requests answered 503 because the queue was full.")
        out.append(f"# TYPE {p}_shed_total counter")
        out.append(f"{p}_shed_total {self.shed}")
        out.append(f"# HELP {p}_model_errors_total Predict calls on which the model raised.")
        out.append(f"# TYPE {p}_model_errors_total counter")
        out.append(f"{p}_model_errors_total {self.model_errors}")
        out.append(f"# HELP {p}_rows_predicted_total Input rows the model predicted.")
        out.append(f"# TYPE {p}_rows_predicted_total counter")
        out.append(f"{p}_rows_predicted_total {self.rows_predicted}")
        out.append(
            f"# HELP {p}_ready 1 once the model is loaded and warmed up (in the worker that "
            "answered)."
        )
        out.append(f"# TYPE {p}_ready gauge")
        out.append(f"{p}_ready {1 if self.ready else 0}")
        out.append(f"# HELP {p}_workers Worker processes whose numbers these are.")
        out.append(f"# TYPE {p}_workers gauge")
        out.append(f"{p}_workers {len(self.processes)}")
        infos = [(pid, info) for pid, info in sorted(self.processes) if info]
        if infos:
            out.append(f"# HELP {p}_model_info The model being served (value is always 1).")
            out.append(f"# TYPE {p}_model_info gauge")
            for pid, info in infos:
                labels = ",".join(f'{k}="{_esc(v)}"' for k, v in sorted(info.items()))
                out.append(f'{p}_model_info{{{labels},pid="{pid}"}} 1')
        return ("\n".join(out) + "\n").encode()


class SharedMetrics:
    """A directory where each worker publishes its snapshot as ``<pid>.json``."""

    def __init__(self, directory: str | Path, metrics: Metrics) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.metrics = metrics
        self.pid = os.getpid()
        self.group = _parent_id()

    def publish(self) -> None:
        """Write this process's snapshot atomically: readers see the old file or the new one.
        (No fsync: the numbers only matter while the server runs.)"""
        snapshot = {**self.metrics.snapshot(), "group": self.group}
        data = json.dumps(snapshot, separators=(",", ":"))
        fd, name = tempfile.mkstemp(dir=self.directory, prefix=f".{self.pid}.", suffix=".tmp")
        tmp = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(data)
            tmp.replace(self.directory / f"{self.pid}.json")
        finally:
            tmp.unlink(missing_ok=True)

    def peers(self) -> list[dict[str, Any]]:
        """The other workers' latest snapshots, each marked ``live`` or not."""
        out = []
        for path in self.directory.glob("*.json"):
            if path.stem == str(self.pid) or not path.stem.isdigit():
                continue
            try:
                peer = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # gone or being replaced: its numbers come with the next scrape
            if not isinstance(peer, dict) or peer.get("group") != self.group:
                continue  # left by an earlier server that used the same directory
            if not peer.keys() >= _SNAPSHOT_KEYS:
                continue  # written by another version of this server
            peer["live"] = _alive(int(path.stem))
            out.append(peer)
        return out


def _parent_id() -> str:
    """The supervisor (or gunicorn arbiter) that started this worker: its pid and start time,
    so that two servers that shared a directory one after the other never mix numbers."""
    ppid = os.getppid()
    try:
        stat = Path(f"/proc/{ppid}/stat").read_text(encoding="utf-8")
        return f"{ppid}:{stat.rsplit(')', 1)[1].split()[19]}"  # field 22: starttime
    except (OSError, IndexError):
        return str(ppid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
