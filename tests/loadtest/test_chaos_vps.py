"""`loadtest --chaos release|rollback` against the VPS emulation: the unit's gunicorn on a socket
held across restarts as systemd's socket unit holds it, behind the generated nginx, a bounded
open-loop Locust run to 127.0.0.1, and deploy.sh's release switch (then its rollback) during the
run: no request may fail."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.loadtest.chaos_runs import CLI, run_chaos

ENV = {**os.environ, "NO_COLOR": "1"}
# A spec whose peak is 100 req/s: nginx's per-client limit (one client here) stays above the load.
SPEC = {"traffic": {"requests_per_day": 500_000, "peak_rps": 100}, "latency": {"p95_ms": 300}}
pytestmark = [pytest.mark.nginx, pytest.mark.slow]


@pytest.fixture(scope="module")
def vps_scaffold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example model scaffolded for a VPS from a spec."""
    root = tmp_path_factory.mktemp("chaos-vps")
    subprocess.run([*CLI, "example-model", "-o", str(root)], check=True, capture_output=True)
    (root / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    out = root / "vps"
    done = subprocess.run(
        [*CLI, "scaffold", "--model", str(root / "model.joblib"), "-o", str(out), "--target",
         "vps", "--spec", str(root / "spec.yaml")],
        capture_output=True, text=True, check=False, env=ENV,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize(
    ("action", "duration", "expected"),
    [
        ("release", "20s", ["release 0002 shipped", "current → release 0002",
                            "SIGTERM to release 0001", "release 0001 exited with code 0",
                            "release 0002 ready on the held socket"]),
        ("rollback", "32s", ["current → release 0001 (rollback)", "SIGTERM to release 0002",
                             "release 0002 exited with code 0",
                             "release 0001 ready on the held socket"]),
    ],
)  # fmt: skip
def test_a_release_switched_in_under_load_fails_no_request(
    vps_scaffold: Path, tmp_path: Path, action: str, duration: str, expected: list[str]
) -> None:
    result, events = run_chaos(
        vps_scaffold, target="vps", action=action, duration=duration, out=tmp_path / "run",
        expected=expected, env=ENV, extra=("--users", "120"),
    )  # fmt: skip
    assert events.count("exited with code 0") == (2 if action == "rollback" else 1)
    assert result["requests"] >= 60 * 10


def test_chaos_actions_belong_to_their_target(vps_scaffold: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [*CLI, "loadtest", str(vps_scaffold), "--target", "vps", "--rate", "5", "--duration",
         "2s", "--chaos", "rollout", "--out", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=120, check=False, env=ENV,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "Error: --chaos rollout is not for vps; use one of: release, rollback"
    ]
    assert not (tmp_path / "run").exists()
