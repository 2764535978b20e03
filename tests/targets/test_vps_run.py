"""vps: the systemd unit's gunicorn command behind the generated nginx site, on loopback."""

from __future__ import annotations

import os
import re
import shlex
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from deploy_advisor.intake.example import make_example_model
from deploy_advisor.targets.scaffold import scaffold
from deploy_advisor.targets.tools import nginx_wrapper
from tests.conftest import require
from tests.targets.conftest import free_port
from tests.targets.serving import assert_predicts, running, wait_for


def _unit_command(unit: str, *, root: Path, run_dir: Path) -> tuple[list[str], dict[str, str]]:
    """ExecStart and Environment of the unit, with the VM's paths mapped onto this machine."""
    env = dict(re.findall(r"^Environment=(\w+)=(.*)$", unit, flags=re.MULTILINE))
    exec_start = re.search(r"^ExecStart=(.*)$", unit, flags=re.MULTILINE)
    assert exec_start is not None
    app_root = re.search(r"^WorkingDirectory=(.*)/current$", unit, flags=re.MULTILINE)
    assert app_root is not None
    line = exec_start.group(1)
    line = line.replace(f"{app_root.group(1)}/current/venv/bin/", f"{Path(sys.executable).parent}/")
    line = line.replace(f"{app_root.group(1)}/current", str(root))
    line = re.sub(r"/run/[\w-]+", str(run_dir), line)
    line = line.replace("${WORKERS}", env["WORKERS"])
    env = {k: v.replace(f"{app_root.group(1)}/current", str(root)) for k, v in env.items()}
    return shlex.split(line), env


@pytest.mark.nginx
def test_nginx_site_proxies_to_the_systemd_command(tmp_path: Path) -> None:
    nginx = require("nginx")
    app_port, listen_port = free_port(), free_port()
    model = make_example_model(tmp_path / "m").joblib_path
    out = tmp_path / "scaffold"
    scaffold(model=model, target="vps", out_dir=out, app_port=app_port, listen_port=listen_port)
    unit = (out / "deploy" / "systemd" / "model.service").read_text()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    command, unit_env = _unit_command(unit, root=out, run_dir=run_dir)
    assert command[1:3] == ["-m", "gunicorn"] and f"127.0.0.1:{app_port}" in command
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_wrapper(prefix=prefix, site=out / "deploy" / "nginx" / "model.conf"))
    env = {**os.environ, **unit_env}
    with (
        running(command, cwd=out, env=env, log=tmp_path / "gunicorn.log") as server,
        running([nginx, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                 log=tmp_path / "nginx.log") as proxy,
    ):  # fmt: skip
        wait_for(f"http://127.0.0.1:{app_port}/readyz", proc=server)
        wait_for(f"http://127.0.0.1:{listen_port}/readyz", proc=proxy)
        assert_predicts(f"http://127.0.0.1:{listen_port}", out)
        with httpx.Client(timeout=5) as client, ThreadPoolExecutor(16) as pool:
            url = f"http://127.0.0.1:{listen_port}/livez"
            statuses = list(pool.map(lambda _: client.get(url).status_code, range(200)))
        assert 429 in statuses, "the per-IP rate limit must answer 429 to a burst"
        assert httpx.get(f"http://127.0.0.1:{listen_port}/metrics").status_code == 200
