"""One `loadtest --chaos` run through the real CLI, checked the same way for every target."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

CLI = [sys.executable, "-m", "deploy_advisor"]


def run_chaos(
    scaffold: Path, *, target: str, action: str, duration: str, out: Path, expected: list[str],
    env: dict[str, str], extra: tuple[str, ...] = (),
) -> tuple[dict[str, Any], str]:  # fmt: skip
    """Load at 60 req/s with `action` during the run: it finished with every `expected` step and
    no request failed. The result and its events, joined by ` | `."""
    done = subprocess.run(
        [*CLI, "loadtest", str(scaffold), "--target", target, "--rate", "60", "--duration",
         duration, "--ramp", "1s", "--chaos", action, "--out", str(out), "--json", *extra],
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads((out / "result.json").read_text())
    chaos = result["chaos"]
    assert chaos["action"] == action
    assert chaos["finished"], chaos
    events = " | ".join(e["event"] for e in chaos["events"])
    for step in expected:
        assert step in events, events
    assert result["failures"] == {"total": 0, "by_kind": {}, "shed": 0}, chaos
    assert chaos["failed_requests"] == 0
    return result, events
