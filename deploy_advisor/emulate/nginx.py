"""A private nginx on the host for launchers: our own prefix, config and pid file, never port 80."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from deploy_advisor.emulate.processes import running_process
from deploy_advisor.errors import EnvironmentMissing, LaunchError

__all__ = ["RunningNginx", "running_nginx"]

_WRAPPER = """\
{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {site};
}}
"""


@dataclass(frozen=True)
class RunningNginx:
    """An nginx master we started; `reload()` re-reads the site file."""

    binary: str
    conf: Path
    prefix: Path
    pid: int

    def reload(self) -> None:
        command = [self.binary, "-p", str(self.prefix), "-c", str(self.conf), "-s", "reload"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise LaunchError(f"nginx reload failed: {done.stderr.strip().splitlines()[-1:]}")


@contextmanager
def running_nginx(prefix: Path, *, site: Path, log: Path | None = None) -> Iterator[RunningNginx]:
    """nginx in the foreground with `site` included in http{}; stopped and gone on exit."""
    binary = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else ""
    )
    if not binary:
        raise EnvironmentMissing("nginx is not installed; install it (apt-get install nginx)")
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(_WRAPPER.format(user=user, prefix=prefix, site=site))
    check = subprocess.run(
        [binary, "-t", "-p", str(prefix), "-c", str(conf)], capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if check.returncode != 0:
        raise LaunchError(f"nginx rejected {site}: {check.stderr.strip().splitlines()[-1]}")
    command = [binary, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"]
    with running_process(command, log=log) as proc:
        yield RunningNginx(binary=binary, conf=conf, prefix=prefix, pid=proc.pid)
