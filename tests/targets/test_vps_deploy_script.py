"""vps: deploy/deploy.sh run for real, with ssh, rsync, systemctl and curl standing in for the VM.

ssh runs the remote half here, rsync copies with the script's excludes, systemctl records what it
is asked, and curl reports the release `current` points at as unhealthy when it holds BROKEN.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.targets.scripts import fake_tool

_RSYNC = '''#!{python}
"""rsync -az --delete [--exclude PATTERN]... SRC/ HOST:DEST/, for a local DEST."""
import shutil, sys
from pathlib import Path

args, excludes = sys.argv[1:], []
while "--exclude" in args:
    i = args.index("--exclude")
    excludes.append(args[i + 1])
    del args[i : i + 2]
source, dest = [Path(a.split(":", 1)[-1]) for a in args if not a.startswith("-")]

def excluded(rel, is_dir):
    for pattern in excludes:
        if pattern.endswith("/") and not is_dir:
            continue
        bare = pattern.strip("/")
        if rel == bare if pattern.startswith("/") else rel.split("/")[-1] == bare:
            return True
    return False

def copy(folder, rel=""):
    for item in sorted(folder.iterdir()):
        path = f"{{rel}}/{{item.name}}" if rel else item.name
        if excluded(path, item.is_dir()):
            continue
        if item.is_dir():
            (dest / path).mkdir(parents=True, exist_ok=True)
            copy(item, path)
        else:
            shutil.copy2(item, dest / path)

dest.mkdir(parents=True, exist_ok=True)
copy(source)
'''


@pytest.fixture
def vm(tmp_path: Path, scaffolded: Callable[..., Path]) -> dict[str, Path]:
    """A copy of the vps scaffold whose deploy.sh ships to a directory here, and the fake tools."""
    out = tmp_path / "scaffold"
    shutil.copytree(scaffolded("vps"), out)
    root = tmp_path / "vm" / "opt" / "model"
    (root / "releases").mkdir(parents=True)  # what cloud-init's runcmd does
    script = out / "deploy" / "deploy.sh"
    text = script.read_text()
    assert "\nroot=/opt/model\n" in text
    script.write_text(text.replace("\nroot=/opt/model\n", f"\nroot={root}\n"))
    bin_dir = tmp_path / "bin"
    fake_tool(bin_dir, "ssh", 'shift; exec "$@"')  # drops the host: the "VM" is this machine
    (bin_dir / "rsync").write_text(_RSYNC.format(python=sys.executable))
    (bin_dir / "rsync").chmod(0o755)
    fake_tool(bin_dir, "systemctl", 'echo "systemctl $*" >> "$FAKE_LOG"')
    fake_tool(bin_dir, "sleep", "true")
    fake_tool(bin_dir, "curl", '[[ ! -e "$(readlink -f "$FAKE_ROOT/current")/BROKEN" ]]')
    fake_tool(
        bin_dir, "python3",
        '[[ "$1 $2" == "-m venv" ]]; mkdir -p "$3/bin"; '
        # pip fails for a release that ships PIP_FAILS beside its requirements.txt
        'printf "#!/bin/sh\\nfor a; do [ -e \\"\\${a%%requirements.txt}PIP_FAILS\\" ] '
        '&& exit 1; done; exit 0\\n" > "$3/bin/pip"; chmod +x "$3/bin/pip"',
    )  # fmt: skip
    fake_tool(  # release names: one UTC second after another
        bin_dir, "date",
        'n=$(( $(cat "$FAKE_CLOCK" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$FAKE_CLOCK"; '
        'printf "203001010000%02d\\n" "$n"',
    )  # fmt: skip
    return {"out": out, "root": root, "bin": bin_dir, "tmp": tmp_path}


def _deploy(vm: dict[str, Path], *action: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{vm['bin']}{os.pathsep}{os.environ['PATH']}",
        "FAKE_LOG": str(vm["tmp"] / "systemctl.log"),
        "FAKE_ROOT": str(vm["root"]),
        "FAKE_CLOCK": str(vm["tmp"] / "clock"),
    }
    return subprocess.run(
        ["bash", str(vm["out"] / "deploy" / "deploy.sh"), "vm.example.com", *action],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _current(vm: dict[str, Path]) -> str:
    return (vm["root"] / "current").readlink().name


def test_a_failed_release_is_deleted_and_rollback_goes_to_the_previous_healthy_one(
    vm: dict[str, Path],
) -> None:
    (vm["out"] / ".venv" / "bin").mkdir(parents=True)  # the README's build step makes it here
    (vm["out"] / ".venv" / "bin" / "python").write_text("")
    for n in (1, 2):
        done = _deploy(vm)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"deployed 2030010100000{n}"
    release = vm["root"] / "releases" / "20300101000001"
    assert (release / "model_server").is_dir() and (release / "venv" / "bin" / "pip").is_file()
    shipped = {p.name for p in release.iterdir()}
    assert not shipped & {".venv", "deploy", "samples", "locustfile.py"}, shipped

    (vm["out"] / "BROKEN").write_text("")
    failed = _deploy(vm)
    assert failed.returncode == 1
    assert "release 20300101000003 failed its health check; rolling back" in failed.stderr
    assert _current(vm) == "20300101000002"
    assert not (vm["root"] / "releases" / "20300101000003").exists()

    (vm["out"] / "BROKEN").unlink()
    back = _deploy(vm, "rollback")
    assert back.returncode == 0, back.stderr
    assert back.stdout.strip() == f"rolled back to {vm['root']}/releases/20300101000001"
    assert _current(vm) == "20300101000001"
    again = _deploy(vm, "rollback")
    assert again.returncode == 1
    assert "no healthy release older than" in again.stderr
    restarts = (vm["tmp"] / "systemctl.log").read_text().splitlines()
    assert restarts == ["systemctl restart model"] * 5


def test_a_failed_first_release_is_never_a_rollback_target(vm: dict[str, Path]) -> None:
    (vm["out"] / "BROKEN").write_text("")
    first = _deploy(vm)
    assert first.returncode == 1
    assert "no earlier release to go back to" in first.stderr
    assert (vm["root"] / "releases" / "20300101000001" / ".failed").is_file()

    (vm["out"] / "BROKEN").unlink()
    assert _deploy(vm).returncode == 0
    back = _deploy(vm, "rollback")
    assert back.returncode == 1
    assert "no healthy release older than" in back.stderr
    assert _current(vm) == "20300101000002"


def test_a_release_whose_install_fails_is_deleted_and_never_a_rollback_target(
    vm: dict[str, Path],
) -> None:
    assert _deploy(vm).returncode == 0
    (vm["out"] / "PIP_FAILS").write_text("")
    failed = _deploy(vm)
    assert failed.returncode == 1
    assert "release 20300101000002: installing its requirements failed" in failed.stderr
    assert not (vm["root"] / "releases" / "20300101000002").exists()
    assert _current(vm) == "20300101000001"
    (vm["out"] / "PIP_FAILS").unlink()
    assert _deploy(vm).returncode == 0
    back = _deploy(vm, "rollback")
    assert back.returncode == 0, back.stderr
    assert _current(vm) == "20300101000001"  # not the release whose install failed
