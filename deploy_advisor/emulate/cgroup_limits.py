"""A plan's CPU and memory for host processes: a cgroup when we may make one, else CPU affinity."""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProcessLimits", "process_limits"]

_V1 = Path("/sys/fs/cgroup")
_V2 = Path("/sys/fs/cgroup")
_PERIOD_US = 100_000


@dataclass(frozen=True)
class ProcessLimits:
    """How a command is wrapped so that it runs limited, and what was limited, in words."""

    prefix: list[str]
    describe: str

    def wrap(self, command: list[str]) -> list[str]:
        return [*self.prefix, *command]


def _v1_dirs(name: str) -> tuple[Path, Path] | None:
    memory, cpu = _V1 / "memory", _V1 / "cpu"
    if (memory / "memory.limit_in_bytes").is_file() and (cpu / "cpu.cfs_quota_us").is_file():
        return memory / name, cpu / name
    return None


def _v2_dir(name: str) -> Path | None:
    controllers = _V2 / "cgroup.controllers"
    if controllers.is_file() and {"cpu", "memory"} <= set(controllers.read_text().split()):
        return _V2 / name
    return None


def _enter(groups: list[Path]) -> list[str]:
    """A shell prefix that moves itself into `groups`, then execs the command."""
    moves = " && ".join(f"echo $$ > {shlex.quote(str(g / 'cgroup.procs'))}" for g in groups)
    return ["/bin/sh", "-c", f'{moves} && exec "$@"', "limited"]


def _remove(groups: list[Path]) -> None:
    for group in groups:
        for _ in range(20):
            try:
                group.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:  # processes still leaving the group
                time.sleep(0.1)


@contextmanager
def process_limits(name: str, *, vcpu: float, memory_mb: int) -> Iterator[ProcessLimits]:
    """Limit a command's process tree to `vcpu` cores and `memory_mb`; remove the group after."""
    quota = f"{int(vcpu * _PERIOD_US)} {_PERIOD_US}"
    groups: list[Path] = []
    try:
        v1 = _v1_dirs(name)
        v2 = None if v1 else _v2_dir(name)
        if v1 is not None:
            memory, cpu = v1
            for group in (memory, cpu):
                group.mkdir()
                groups.append(group)
            (memory / "memory.limit_in_bytes").write_text(str(memory_mb * 2**20))
            with suppress(OSError):  # no swap accounting: the memory limit alone applies
                (memory / "memory.memsw.limit_in_bytes").write_text(str(memory_mb * 2**20))
            (cpu / "cpu.cfs_period_us").write_text(str(_PERIOD_US))
            (cpu / "cpu.cfs_quota_us").write_text(str(int(vcpu * _PERIOD_US)))
        elif v2 is not None:
            v2.mkdir()
            groups.append(v2)
            (v2 / "memory.max").write_text(str(memory_mb * 2**20))
            (v2 / "cpu.max").write_text(quota)
    except OSError:
        _remove(groups)
        groups = []
    if groups:
        try:
            yield ProcessLimits(
                _enter(groups),
                f"cgroup {name}: CPU quota {vcpu:g} core(s), memory {memory_mb} MiB",
            )
        finally:
            _remove(groups)
        return
    cores = max(1, min(round(vcpu), os.cpu_count() or 1))
    cpu_list = ",".join(str(c) for c in sorted(os.sched_getaffinity(0))[:cores])
    yield ProcessLimits(
        ["taskset", "-c", cpu_list],
        f"CPU pinned to {cores} core(s) ({cpu_list}); memory NOT limited (no writable cgroup)",
    )
