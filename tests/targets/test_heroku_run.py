"""heroku: the Procfile's web command, run by honcho with PORT set, serves predictions."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from tests.targets.conftest import free_port
from tests.targets.serving import assert_predicts, running, wait_for


def test_procfile_web_process_serves_predictions(
    scaffolded: Callable[..., Path], tmp_path: Path
) -> None:
    honcho = str(Path(sys.executable).parent / "honcho")
    assert Path(honcho).is_file(), "honcho is a dev dependency: pip install -e '.[dev]'"
    out = scaffolded("heroku")
    port = free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PORT", None)
    command = [honcho, "-f", str(out / "Procfile"), "-d", str(out), "start", "-p", str(port), "web"]
    with running(command, log=tmp_path / "honcho.log", cwd=out, env=env) as proc:
        wait_for(f"http://127.0.0.1:{port}/readyz", proc=proc)
        assert_predicts(f"http://127.0.0.1:{port}", out)
    log = (tmp_path / "honcho.log").read_text()
    assert "0.0.0.0:" + str(port) in log, log
