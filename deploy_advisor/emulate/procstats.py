"""CPU and memory of the server and of the load generator, sampled in a background thread."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "DockerStatsSampler",
    "ProcessTreeSampler",
    "ResourceSummary",
    "StatsSampler",
]


@dataclass
class ResourceSummary:
    """CPU in cores (1.0 = one core busy) and resident memory, over the sampled window."""

    times: list[float] = field(default_factory=list)
    cpu_cores: list[float] = field(default_factory=list)
    memory_mb: list[float] = field(default_factory=list)
    busiest_cores: list[float] = field(default_factory=list)

    def add(self, *, cpu: float, memory_mb: float, busiest: float) -> None:
        self.times.append(time.time())
        self.cpu_cores.append(cpu)
        self.memory_mb.append(memory_mb)
        self.busiest_cores.append(busiest)

    def window(self, start: float, end: float) -> ResourceSummary:
        """Only the samples taken between `start` and `end` (epoch s); all if none fall there."""
        keep = [i for i, t in enumerate(self.times) if start <= t <= end] or list(
            range(len(self.times))
        )
        return ResourceSummary(
            times=[self.times[i] for i in keep],
            cpu_cores=[self.cpu_cores[i] for i in keep],
            memory_mb=[self.memory_mb[i] for i in keep],
            busiest_cores=[self.busiest_cores[i] for i in keep],
        )

    @property
    def per_process_cores_max(self) -> float:
        """The most one process of the tree used in any sample (a full core means saturated)."""
        return max(self.busiest_cores, default=0.0)

    def to_json(self) -> dict[str, float | None]:
        cpu = self.cpu_cores
        return {
            "cpu_cores_mean": round(sum(cpu) / len(cpu), 3) if cpu else None,
            "cpu_cores_max": round(max(cpu), 3) if cpu else None,
            "memory_mb_max": round(max(self.memory_mb), 1) if self.memory_mb else None,
        }


class StatsSampler(Protocol):
    """Something that samples resource use between `start()` and `stop()`."""

    def start(self) -> None: ...

    def stop(self) -> ResourceSummary: ...

    def fresh(self) -> StatsSampler:
        """A new, unstarted sampler of the same processes or containers (one per run)."""
        ...


class _Periodic:
    """Calls `tick` every `interval` seconds in a daemon thread until stopped."""

    def __init__(self, tick: Callable[[], None], interval: float) -> None:
        self._tick, self._interval = tick, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._tick()
            except Exception:  # a process vanished between listing and reading; skip one tick
                continue

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


class ProcessTreeSampler:
    """psutil CPU time and RSS of a process and all its descendants; `pid` may be a function
    that names the current root (a server restarted under the same launcher)."""

    def __init__(self, pid: int | Callable[[], int], *, interval: float = 0.5) -> None:
        import psutil

        self._pid, self._interval = pid, interval
        self._root = psutil.Process(self.pid)
        self._summary = ResourceSummary()
        self._last: dict[int, float] = {}
        self._last_at = time.monotonic()
        self._periodic = _Periodic(self._sample, interval)
        self.latest_cores = 0.0

    def _tree(self) -> list[Any]:
        import psutil

        try:
            if self._root.pid != self.pid:
                self._root = psutil.Process(self.pid)
            return [self._root, *self._root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def _sample(self) -> None:
        import psutil

        now = time.monotonic()
        wall = now - self._last_at
        current: dict[int, float] = {}
        rss = 0
        busiest = 0.0
        for proc in self._tree():
            try:
                times = proc.cpu_times()
                current[proc.pid] = times.user + times.system
                rss += proc.memory_info().rss
            except psutil.NoSuchProcess:
                continue
            if proc.pid in self._last and wall > 0:
                busiest = max(busiest, (current[proc.pid] - self._last[proc.pid]) / wall)
        if self._last and wall > 0:
            used = sum(cpu - self._last.get(pid, cpu) for pid, cpu in current.items())
            self.latest_cores = max(used / wall, 0.0)
            self._summary.add(cpu=self.latest_cores, memory_mb=rss / 2**20, busiest=busiest)
        self._last, self._last_at = current, now

    @property
    def pid(self) -> int:
        """The root process sampled (with its descendants)."""
        return self._pid() if callable(self._pid) else self._pid

    def fresh(self) -> ProcessTreeSampler:
        return ProcessTreeSampler(self._pid, interval=self._interval)

    def start(self) -> None:
        self._sample()
        self._periodic.start()

    def stop(self) -> ResourceSummary:
        self._periodic.stop()
        with contextlib.suppress(Exception):  # one last sample; the tree may be gone already
            self._sample()
        return self._summary


class DockerStatsSampler:
    """CPU and memory of containers from the Docker stats API (one streaming reader each)."""

    def __init__(self, containers: list[Any]) -> None:
        self._containers = containers
        self._latest: dict[str, tuple[float, float]] = {}
        self._summary = ResourceSummary()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._read, args=(c,), daemon=True) for c in containers
        ]
        self._periodic = _Periodic(self._aggregate, 1.0)

    def _read(self, container: Any) -> None:
        try:
            for stats in container.stats(stream=True, decode=True):
                if self._stop.is_set():
                    return
                cores = _docker_cpu_cores(stats)
                memory = stats.get("memory_stats", {}).get("usage", 0) / 2**20
                if cores is not None:
                    self._latest[container.id] = (cores, memory)
        except Exception:  # the container was removed while streaming; the summary has what it had
            return

    def _aggregate(self) -> None:
        if self._latest:
            values = list(self._latest.values())
            self._summary.add(
                cpu=sum(c for c, _ in values),
                memory_mb=sum(m for _, m in values),
                busiest=max(c for c, _ in values),
            )

    @property
    def containers(self) -> list[Any]:
        """The containers sampled."""
        return list(self._containers)

    def fresh(self) -> DockerStatsSampler:
        return DockerStatsSampler(self._containers)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()
        self._periodic.start()

    def stop(self) -> ResourceSummary:
        self._stop.set()
        self._periodic.stop()
        return self._summary


def _docker_cpu_cores(stats: dict[str, Any]) -> float | None:
    cpu, pre = stats.get("cpu_stats", {}), stats.get("precpu_stats", {})
    used = cpu.get("cpu_usage", {}).get("total_usage", 0) - pre.get("cpu_usage", {}).get(
        "total_usage", 0
    )
    system = cpu.get("system_cpu_usage", 0) - pre.get("system_cpu_usage", 0)
    online = cpu.get("online_cpus") or len(cpu.get("cpu_usage", {}).get("percpu_usage") or []) or 1
    if system <= 0 or not pre.get("system_cpu_usage"):
        return None
    cores: float = used / system * online
    return max(cores, 0.0)
