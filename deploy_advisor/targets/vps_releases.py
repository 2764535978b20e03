"""The emulated VM's /opt/<app>: releases, the `current` symlink deploy.sh switches, and the
service as systemd runs it, on the socket unit's socket and restarted stop-then-start."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from deploy_advisor.emulate.cgroup_limits import ProcessLimits
from deploy_advisor.emulate.processes import running_process, stop_process_group
from deploy_advisor.emulate.readiness import wait_ready
from deploy_advisor.emulate.socket_activation import activated
from deploy_advisor.errors import InputError

__all__ = ["RELEASE_ACTIONS", "VpsReleases"]

RELEASE_ACTIONS = ("release", "rollback")
# What deploy.sh's rsync leaves out of a release, and wheels/, which only its pip install reads.
_NOT_SHIPPED_AT_TOP = frozenset({".venv", "venv", "deploy", "samples", "locustfile.py", "wheels"})
_NOT_SHIPPED = frozenset({".git", "__pycache__"})


def _link_or_copy(source: str, dest: str) -> object:
    try:
        os.link(source, dest)
    except OSError:  # another file system
        shutil.copy2(source, dest)
    return dest


class VpsReleases:
    """`root` as deploy.sh leaves /opt/<app> (releases/NNNN and `current`), and the unit's
    command run from `current` with `sock` passed as systemd passes its socket (LISTEN_FDS)."""

    def __init__(
        self, *, scaffold: Path, root: Path, command: list[str], env: dict[str, str],
        limits: ProcessLimits, sock: socket.socket, ready_url: str, stop_timeout_s: float,
        log: Path | None,
    ) -> None:  # fmt: skip
        self._scaffold, self._command, self._env = scaffold, command, env
        self._limits, self._sock, self._ready_url = limits, sock, ready_url
        self._stop_timeout_s, self._log = stop_timeout_s, log
        self._releases = root / "releases"
        self._releases.mkdir(parents=True, exist_ok=True)
        self.current = root / "current"
        self._processes = ExitStack()
        self._proc: subprocess.Popen[bytes] | None = None
        self._running: Path | None = None  # the release the server runs from
        self._shipped = 0

    @property
    def pid(self) -> int:
        """The running release's server process (its gunicorn master)."""
        assert self._proc is not None
        return self._proc.pid

    def ship(self) -> Path:
        """A new release directory: the scaffold as deploy.sh's rsync copies it."""
        self._shipped += 1
        release = self._releases / f"{self._shipped:04d}"

        def not_shipped(folder: str, names: list[str]) -> set[str]:
            top = _NOT_SHIPPED_AT_TOP if Path(folder) == self._scaffold else frozenset()
            return set(names) & (top | _NOT_SHIPPED)

        shutil.copytree(self._scaffold, release, ignore=not_shipped, copy_function=_link_or_copy)
        return release

    def switch(self, release: Path) -> None:
        """`current` → `release` in one rename, as deploy.sh's `ln -sfn` and `mv -T` do."""
        staged = self.current.with_name("current.new")
        staged.unlink(missing_ok=True)
        staged.symlink_to(release)
        staged.replace(self.current)

    def start(self, *, timeout: float) -> None:
        """Start the service on the held socket and wait until it answers /readyz."""
        command, fds = activated(self._command, self._sock)
        self._running = self.current.resolve()
        self._proc = self._processes.enter_context(running_process(
            self._limits.wrap(command), cwd=self.current, env=self._env, log=self._log,
            append=self._proc is not None, pass_fds=fds,
        ))  # fmt: skip
        wait_ready(self._ready_url, timeout=timeout, proc=self._proc, log=self._log)

    def restart(self, *, note: Callable[[str], None], timeout: float) -> None:
        """`systemctl restart`: SIGTERM to every process of the service, wait until they are
        gone (SIGKILL after TimeoutStopSec), then start it again; the socket stays open."""
        assert self._proc is not None and self._running is not None
        old = self._running.name
        note(f"systemctl restart: SIGTERM to release {old}")
        stop_process_group(self._proc, grace=self._stop_timeout_s)
        note(f"release {old} exited with code {self._proc.returncode}")
        self.start(timeout=timeout)
        note(f"release {self._running.name} ready on the held socket")

    def chaos(self, action: str, *, note: Callable[[str], None], timeout: float) -> None:
        """`release`: deploy.sh ships a new release and switches to it; `rollback`: that, then
        deploy.sh's rollback to the release that ran before."""
        if action not in RELEASE_ACTIONS:
            raise InputError(f"--chaos {action!r}: use one of {', '.join(RELEASE_ACTIONS)}")
        first = self.current.resolve()
        release = self.ship()
        note(f"release {release.name} shipped")
        self.switch(release)
        note(f"current → release {release.name}")
        self.restart(note=note, timeout=timeout)
        if action == "rollback":
            self.switch(first)
            note(f"current → release {first.name} (rollback)")
            self.restart(note=note, timeout=timeout)

    def close(self) -> None:
        """Stop the running release."""
        self._processes.close()
