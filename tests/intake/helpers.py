"""What several intake tests share: the `inspect` command and the benchmark harness."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def inspect_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`deploy-advisor inspect ARGS` as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "deploy_advisor", "inspect", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def bench_serving() -> ModuleType:
    """benchmarks/serving.py, loaded as `bench_serving` (it puts benchmarks/ on sys.path)."""
    spec = importlib.util.spec_from_file_location("bench_serving", ROOT / "benchmarks/serving.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_serving"] = module
    spec.loader.exec_module(module)
    return module
