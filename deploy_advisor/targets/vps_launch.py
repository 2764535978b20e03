"""Launch a vps scaffold: its systemd units' gunicorn command and its nginx site, on loopback."""

from __future__ import annotations

import re
import shlex
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from deploy_advisor.emulate.cgroup_limits import process_limits
from deploy_advisor.emulate.launched import Launched
from deploy_advisor.emulate.nginx import running_nginx
from deploy_advisor.emulate.ports import free_port
from deploy_advisor.emulate.procstats import ProcessTreeSampler
from deploy_advisor.emulate.readiness import wait_ready
from deploy_advisor.emulate.socket_activation import held_socket
from deploy_advisor.errors import InputError
from deploy_advisor.targets.base import PlanSize
from deploy_advisor.targets.vps_releases import VpsReleases

__all__ = ["launch_vps", "unit_command"]


def _one(directory: Path, folder: str, pattern: str) -> Path:
    found = sorted((directory / folder).glob(pattern))
    if len(found) != 1:
        raise InputError(f"expected one {folder}/{pattern} in {directory}; re-run scaffold")
    return found[0]


def unit_command(
    unit: Path, *, directory: Path, port: int, tmp_dir: Path
) -> tuple[list[str], dict[str, str]]:
    """The unit's ExecStart and Environment rewritten for this machine: paths, port, python."""
    text = unit.read_text()
    values = dict(re.findall(r"^(\w+)=(.*)$", text, flags=re.MULTILINE))
    workdir = values.get("WorkingDirectory", "")
    if "ExecStart" not in values or not workdir:
        raise InputError(f"{unit} has no ExecStart or WorkingDirectory; re-run scaffold")
    env: dict[str, str] = {}
    for line in re.findall(r"^Environment=(.*)$", text, flags=re.MULTILINE):
        name, _, value = line.partition("=")
        env[name] = value.replace(workdir, str(directory))
    start = values["ExecStart"].replace(workdir, str(directory))
    start = re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), m.group(0)), start)
    start = re.sub(r"--bind \S+", f"--bind 127.0.0.1:{port}", start)
    start = re.sub(r"--worker-tmp-dir \S+", f"--worker-tmp-dir {tmp_dir}", start)
    argv = shlex.split(start)
    if Path(argv[0]).name == "gunicorn":  # the venv's gunicorn script
        flags = argv[1:]
    elif argv[1:3] == ["-m", "gunicorn"]:  # the venv's python -m gunicorn
        flags = argv[3:]
    else:
        raise InputError(f"{unit}: ExecStart does not run gunicorn; re-run scaffold")
    return [sys.executable, "-m", "gunicorn", *flags], env


def site_config(site: Path, *, listen_port: int, app_port: int) -> str:
    """The generated nginx site with its listen and upstream ports moved to free loopback ports."""
    text = site.read_text()
    text = re.sub(r"listen\s+\d+;", f"listen 127.0.0.1:{listen_port};", text)
    return re.sub(r"server 127\.0\.0\.1:\d+", f"server 127.0.0.1:{app_port}", text)


def stop_timeout_s(unit: Path) -> float:
    """The unit's TimeoutStopSec (seconds), else systemd's default of 90."""
    found = re.search(r"^TimeoutStopSec=(\d+)s?$", unit.read_text(), flags=re.MULTILINE)
    return float(found.group(1)) if found else 90.0


@contextmanager
def launch_vps(
    directory: Path, *, plan: PlanSize, log: Path | None = None, ready_timeout: float = 90.0
) -> Iterator[Launched]:
    """gunicorn as the systemd units run it (a release under `current`, on a socket held for it
    across restarts), limited to the plan, behind the generated nginx."""
    import os

    unit = _one(directory, "deploy/systemd", "*.service")
    site = _one(directory, "deploy/nginx", "*.conf")
    app_port, listen_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="da-vps-") as scratch, ExitStack() as stack:
        root = Path(scratch)
        (root / "run").mkdir()
        current = root / "app" / "current"
        command, env = unit_command(unit, directory=current, port=app_port, tmp_dir=root / "run")
        (root / "site.conf").write_text(
            site_config(site, listen_port=listen_port, app_port=app_port)
        )
        name = f"da-vps-{os.getpid()}-{listen_port}"
        limits = stack.enter_context(process_limits(name, vcpu=plan.vcpu, memory_mb=plan.memory_mb))
        service = VpsReleases(
            scaffold=directory, root=root / "app", command=command, env={**os.environ, **env},
            limits=limits, sock=stack.enter_context(held_socket(app_port)), log=log,
            ready_url=f"http://127.0.0.1:{app_port}/readyz", stop_timeout_s=stop_timeout_s(unit),
        )  # fmt: skip
        stack.callback(service.close)
        service.switch(service.ship())
        started = time.monotonic()
        service.start(timeout=ready_timeout)
        ready_s = time.monotonic() - started
        stack.enter_context(running_nginx(root / "nginx", site=root / "site.conf"))
        base_url = f"http://127.0.0.1:{listen_port}"
        wait_ready(f"{base_url}/readyz", timeout=10, log=log)
        yield Launched(
            base_url=base_url,
            plan=plan.name,
            emulated=True,
            describe=(
                f"vps emulation: nginx ({site.name}) → gunicorn ({unit.name}) on a held "
                f"socket, plan {plan.name or 'default'}; {limits.describe}"
            ),
            stats=ProcessTreeSampler(lambda: service.pid),
            chaos=lambda action, note: service.chaos(action, note=note, timeout=ready_timeout),
            start_to_ready_s=ready_s,
        )
