"""Launch a heroku scaffold: the Procfile's web command with PORT, in a dyno-sized cgroup."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deploy_advisor.emulate.cgroup_limits import process_limits
from deploy_advisor.emulate.launched import Launched
from deploy_advisor.emulate.ports import free_port
from deploy_advisor.emulate.processes import running_process
from deploy_advisor.emulate.procstats import ProcessTreeSampler
from deploy_advisor.emulate.readiness import wait_ready
from deploy_advisor.errors import InputError
from deploy_advisor.targets.base import PlanSize

__all__ = ["launch_heroku", "web_command"]


def web_command(directory: Path) -> str:
    """The `web:` line of the scaffold's Procfile."""
    procfile = directory / "Procfile"
    if not procfile.is_file():
        raise InputError(f"{procfile} is missing; scaffold with --target heroku")
    match = re.search(r"^web:\s*(.+)$", procfile.read_text(), flags=re.MULTILINE)
    if match is None:
        raise InputError(f"{procfile} has no `web:` process; re-run scaffold")
    return match.group(1).strip()


@contextmanager
def launch_heroku(
    directory: Path, *, plan: PlanSize, log: Path | None = None, ready_timeout: float = 90.0
) -> Iterator[Launched]:
    """`bash -c WEB` from the app directory as a dyno runs it; memory capped at the dyno's."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "DYNO": "web.1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("MODEL_PATH", None)
    # Heroku's router is the only client of a dyno; here the server stays on loopback.
    command = ["/bin/bash", "-c", web_command(directory).replace("0.0.0.0:", "127.0.0.1:")]
    name = f"da-heroku-{os.getpid()}-{port}"
    started = time.monotonic()
    with (
        process_limits(name, vcpu=plan.vcpu, memory_mb=plan.memory_mb) as limits,
        running_process(limits.wrap(command), cwd=directory, env=env, log=log) as proc,
    ):
        base_url = f"http://127.0.0.1:{port}"
        wait_ready(f"{base_url}/readyz", timeout=ready_timeout, proc=proc, log=log)
        ready_s = time.monotonic() - started
        yield Launched(
            base_url=base_url,
            plan=plan.name,
            emulated=True,
            describe=(
                f"heroku emulation: Procfile web with PORT={port}, dyno "
                f"{plan.name or 'default'}; {limits.describe}"
            ),
            stats=ProcessTreeSampler(proc.pid),
            start_to_ready_s=ready_s,
        )
