"""Start-up stays light: `recommend` imports none of the heavy serving/load-test libraries."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import EXAMPLE, REPO

HEAVY = ("locust", "docker", "jinja2", "onnx", "onnxruntime", "numpy", "sklearn", "pyarrow",
         "gevent", "uvicorn", "gunicorn", "httpx", "psutil")  # fmt: skip


def imported_modules(*args: str) -> set[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "deploy_advisor", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") >= 2
    }


def test_recommend_imports_nothing_heavy() -> None:
    for args in (("recommend", str(EXAMPLE)), ("recommend", str(EXAMPLE), "--json")):
        modules = imported_modules(*args)
        assert "deploy_advisor.advisor.recommend" in modules
        heavy = sorted({m for m in modules if m.split(".")[0] in HEAVY})
        assert heavy == [], heavy


def test_json_mode_does_not_load_the_tables() -> None:
    modules = imported_modules("recommend", str(EXAMPLE), "--json")
    assert "rich.table" not in modules
    assert "deploy_advisor.advisor.render" not in modules


def test_whatif_and_decision_do_not_import_recommend() -> None:
    code = (
        "import sys, deploy_advisor.advisor.whatif, deploy_advisor.advisor.decision; "
        "print('deploy_advisor.advisor.recommend' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
