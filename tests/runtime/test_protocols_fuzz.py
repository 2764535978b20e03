"""schemathesis, driven by the server's own /openapi.json, against real servers: every
operation, a bounded number of examples each; no request may get a 5xx, and every status and
content type must be one the document lists."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import Server

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance"
MAX_EXAMPLES = 50


def _schemathesis() -> list[str]:
    found = Path(sys.executable).with_name("schemathesis")
    if found.exists():
        return [str(found)]
    on_path = shutil.which("schemathesis")
    assert on_path, "schemathesis is not installed (pip install -e '.[dev]')"
    return [on_path]


def _fuzz(server: Server, cwd: Path) -> None:
    argv = [
        *_schemathesis(),
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
    ]
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600)
    report = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    with server.client() as c:
        metrics = c.get("/metrics").text
        paths = c.get("/openapi.json").json()["paths"]
    # every operation but the document itself, which schemathesis leaves out
    operations = sum(len(ops) for path, ops in paths.items() if path != "/openapi.json")
    tested = re.search(r"Tested: (\d+)", report)
    assert tested and int(tested.group(1)) == operations, report
    assert 'status="500"' not in metrics, report


def test_fuzz_typed_model(frame_churn_server: Server, tmp_path: Path) -> None:
    _fuzz(frame_churn_server, tmp_path)


def test_fuzz_numeric_model(named_server: Server, tmp_path: Path) -> None:
    _fuzz(named_server, tmp_path)
