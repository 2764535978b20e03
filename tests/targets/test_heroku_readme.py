"""heroku: the README's Run, Deploy and Roll back steps, run as written.

Run starts the Procfile with honcho from the venv the Build step makes (here: this test's venv,
which has the pinned requirements and honcho). Deploy runs with real git against a local bare
repository; only the Heroku CLI is a stand-in, doing what `heroku create` does in a git
repository (add the `heroku` remote) and recording every call.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from deploy_advisor.targets.scaffold import scaffold
from tests.targets.conftest import free_port
from tests.targets.scripts import fake_tool, readme_block
from tests.targets.serving import assert_predicts, running, wait_for

_SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def test_readme_run_starts_the_procfile_with_the_venvs_python(
    example_model: Path, tmp_path: Path
) -> None:
    port = free_port()
    out = tmp_path / "heroku"
    scaffold(model=example_model, target="heroku", out_dir=out, app_port=port)
    assert "pip install -r requirements.txt honcho" in readme_block(out, "Build")
    (out / ".venv").symlink_to(Path(sys.executable).parent.parent)  # what Build makes
    run = readme_block(out, "Run").split("\ncurl ")[0]
    # PATH without any venv: only what the README itself does may find honcho and the python.
    env = {k: v for k, v in os.environ.items() if k not in {"PORT", "VIRTUAL_ENV"}}
    env["PATH"] = _SYSTEM_PATH
    command = ["bash", "-euo", "pipefail", "-c", run]
    with running(command, log=tmp_path / "run.log", cwd=out, env=env) as proc:
        wait_for(f"http://127.0.0.1:{port}/readyz", proc=proc, timeout=90)
        assert_predicts(f"http://127.0.0.1:{port}", out)
    assert f"0.0.0.0:{port}" in (tmp_path / "run.log").read_text()


def _fake_heroku(tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    """An environment with the stand-in `heroku`, its call log and the bare "Heroku" repository."""
    remote = tmp_path / "heroku-remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    calls = tmp_path / "heroku-calls.log"
    bin_dir = tmp_path / "bin"
    fake_tool(
        bin_dir, "heroku",
        f"""
echo "$*" >> {calls}
if [[ "${{1:-}}" == create ]]; then
  git remote add heroku {remote}
  echo "Creating app... done, sleepy-ocean-12345"
fi
""",
    )  # fmt: skip
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "ML Engineer",
        "GIT_AUTHOR_EMAIL": "ml@example.com",
        "GIT_COMMITTER_NAME": "ML Engineer",
        "GIT_COMMITTER_EMAIL": "ml@example.com",
    }
    return env, calls, remote


@pytest.mark.parametrize("mode", ["realtime", "batch"])
def test_deploy_lets_heroku_name_the_app_and_later_commands_follow_the_git_remote(
    mode: str, scaffolded: Callable[..., Path], tmp_path: Path
) -> None:
    out = tmp_path / "app"
    shutil.copytree(scaffolded("heroku", mode=mode), out)
    (out / ".venv" / "bin").mkdir(parents=True)  # left by the README's Build step
    (out / ".venv" / "bin" / "python").write_text("")
    env, calls, remote = _fake_heroku(tmp_path)
    steps = readme_block(out, "Deploy")
    if mode == "realtime":
        steps += "\n" + readme_block(out, "Roll back")

    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", steps], cwd=out, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    called = calls.read_text().splitlines()
    assert called[0] == "create", "Heroku must pick the (global) app name"
    assert not [c for c in called if " -a " in f" {c} " or "--app" in c], called
    if mode == "realtime":
        assert called[1:] == ["ps:type web=basic", "releases", "rollback"]
    else:
        assert called[1:] == ["addons:create scheduler:standard", "addons:open scheduler"]
    pushed = subprocess.run(
        ["git", "--git-dir", str(remote), "ls-tree", "-r", "--name-only", "main"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert "requirements.txt" in pushed and "model/model.joblib" in pushed
    assert ("Procfile" in pushed) == (mode == "realtime")
    assert not [p for p in pushed if p.startswith(".venv/") or "__pycache__" in p], pushed
