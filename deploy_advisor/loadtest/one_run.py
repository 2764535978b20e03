"""One load test from start to result: safety check, Locust, server stats, result directory."""

from __future__ import annotations

import ipaddress
import shutil
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from deploy_advisor import console
from deploy_advisor.emulate.procstats import StatsSampler
from deploy_advisor.errors import InputError
from deploy_advisor.loadtest.progress import LiveProgress
from deploy_advisor.loadtest.result import RunInfo, build_result, write_result
from deploy_advisor.loadtest.runner import LOCUSTFILE, LoadShape, run_locust
from deploy_advisor.loadtest.slo import Slo

__all__ = ["check_run_dir", "check_url", "is_loopback", "prepare_run_dir", "run_loadtest"]


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and names that resolve only to them (localhost)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def check_url(url: str) -> str:
    """Validate a --url; for a host off this machine, say on stderr where the load is going."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"--url {url!r} is not an http(s) URL; e.g. --url http://127.0.0.1:8000")
    if not is_loopback(parts.hostname):
        console.warn(f"Sending load to {url} (not a loopback address)")
    return url.rstrip("/")


def check_run_dir(run_dir: Path, *, force: bool, flag: str = "--out") -> None:
    """Refuse, before anything is written, a run directory that is a file or holds someone
    else's files; an earlier run (with result.json) is replaced only with `force`."""
    if run_dir.exists() and not run_dir.is_dir():
        raise InputError(f"{flag} {run_dir} is a file; pass {flag} with a directory path")
    if not run_dir.is_dir() or force or not any(run_dir.iterdir()):
        return
    if (run_dir / "result.json").exists():
        raise InputError(f"{run_dir} already holds a result; pass --force or another {flag}")
    raise InputError(
        f"{run_dir} is not empty and holds no earlier run; pass --force to write into it or "
        f"choose another {flag}"
    )


def prepare_run_dir(run_dir: Path, *, force: bool) -> Path:
    """An empty run directory; an earlier result is replaced only with `force`, and files that
    are not an earlier run are never deleted (with `force` the run writes beside them)."""
    check_run_dir(run_dir, force=force)
    if (run_dir / "result.json").exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir


def run_loadtest(
    *,
    info: RunInfo,
    shape: LoadShape,
    slos: list[Slo],
    run_dir: Path,
    payloads: Path | None = None,
    locustfile: Path = LOCUSTFILE,
    server_stats: StatsSampler | None = None,
    live: bool = True,
    title: str | None = None,
) -> dict[str, Any]:
    """Send the load, write RUNDIR (result.json, latencies.csv.gz, Locust CSV/HTML), return result.

    A Ctrl-C during the run stops Locust and still writes the result, marked `"partial": true`.
    """
    if server_stats is not None:
        server_stats.start()
    try:
        with LiveProgress(
            title=title or info.target, duration_s=shape.duration_s, enabled=live
        ) as progress:
            run = run_locust(
                host=info.url,
                shape=shape,
                out_dir=run_dir,
                payloads=payloads,
                locustfile=locustfile,
                on_tick=progress.tick,
            )
    finally:
        server = server_stats.stop() if server_stats is not None else None
    result = build_result(run=run, info=info, shape=shape, slos=slos, server=server)
    run.samples.write_latencies(run_dir / "latencies.csv.gz")
    write_result(run_dir, result)
    return result
