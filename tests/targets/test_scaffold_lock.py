"""Concurrent `scaffold` runs into one directory: the real CLI in separate processes."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy_advisor.lockfile import LOCK_NAME, read_lock
from deploy_advisor.targets.scaffold_lock import SCAFFOLD_LOCK

CLI = [sys.executable, "-m", "deploy_advisor"]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model")
    subprocess.run([*CLI, "example-model", "-o", str(out)], check=True, capture_output=True)
    return out / "model.joblib"


def _scaffold(model: Path, out: Path, target: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, "scaffold", "--model", str(model), "-o", str(out), "--target", target],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NO_COLOR": "1", **env},
    )  # fmt: skip


def _files(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


@pytest.mark.parametrize("targets", [("docker", "docker"), ("vps", "kubernetes")])
def test_two_scaffolds_at_once_leave_exactly_what_the_lock_lists(
    model: Path, tmp_path: Path, targets: tuple[str, str]
) -> None:
    out = tmp_path / "app"
    runs = [_scaffold(model, out, target) for target in targets]
    answers = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], answers
    lock = read_lock(out)
    assert lock is not None
    assert _files(out) == {*lock.files, LOCK_NAME}  # released: the lock file is gone too
    again = _scaffold(model, out, lock.target)
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    assert "changed" not in stderr
    assert _files(out) == {*lock.files, LOCK_NAME}


def test_a_held_lock_is_waited_for_then_names_the_holder(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "app"
    out.mkdir()
    with (out / SCAFFOLD_LOCK).open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write(f"{os.getpid()}\n")
        held.flush()
        run = _scaffold(model, out, "docker", DEPLOY_ADVISOR_SCAFFOLD_WAIT="1.5")
        _, stderr = run.communicate(timeout=120)
        assert run.returncode == 2
        assert stderr.strip().splitlines()[-1] == (
            f"Error: {out} is being scaffolded by another run (pid {os.getpid()}), still after "
            "1.5 s; wait for it to finish, or set DEPLOY_ADVISOR_SCAFFOLD_WAIT to wait longer"
        )
        assert _files(out) == {SCAFFOLD_LOCK}
    run = _scaffold(model, out, "docker")
    _, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr


def test_a_failed_scaffold_into_a_new_directory_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "new"
    run = _scaffold(tmp_path / "missing.joblib", out, "docker")
    run.communicate(timeout=120)
    assert run.returncode == 2
    assert not out.exists()
