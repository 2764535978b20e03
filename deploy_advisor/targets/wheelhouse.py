"""A wheelhouse: every pinned dependency as a wheel in the build context, for offline installs."""

from __future__ import annotations

import hashlib
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from deploy_advisor.errors import EnvironmentMissing

__all__ = ["download_wheels", "wheel_cache_dir"]

# glibc 2.36 is Debian bookworm's, the base of python:3.11-slim; pip does not widen --platform
# to older manylinux tags by itself, so every compatible one is named.
_GLIBC_MINORS = range(5, 37)


def wheel_cache_dir() -> Path:
    return Path.home() / ".cache" / "deploy-advisor" / "wheels"


def download_wheels(requirements: str, *, python_version: str) -> list[Path]:
    """Wheels for Linux CPython `python_version` resolving `requirements`, cached by their hash."""
    machine = platform.machine().lower() or "x86_64"
    key = hashlib.sha256(f"{requirements}|{python_version}|{machine}".encode()).hexdigest()[:16]
    folder = wheel_cache_dir() / key
    done = folder / ".complete"
    if not done.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / "requirements.txt").write_text(requirements)
        abi = "cp" + python_version.replace(".", "")
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--only-binary=:all:", "--implementation", "cp", "--python-version", python_version,
            "--abi", abi, "--abi", "abi3", "--abi", "none",
            *(f"--platform=manylinux_2_{minor}_{machine}" for minor in _GLIBC_MINORS),
            f"--platform=manylinux2014_{machine}", "--platform=any",
            "-d", str(folder), "-r", str(folder / "requirements.txt"),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise EnvironmentMissing(
                f"pip could not download the wheels ({last}); "
                "check the network or drop --wheelhouse"
            )
        done.write_text("ok\n")
    return sorted(folder.glob("*.whl"))
