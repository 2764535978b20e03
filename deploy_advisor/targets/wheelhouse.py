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


def _cpu_torch(requirements: str) -> tuple[str, list[str]]:
    """Requirements and pip options that make the wheelhouse hold torch's CPU wheel (PyPI's
    Linux wheel is the CUDA build, gigabytes a CPU image never uses): this machine's CPU
    wheel where pip's find-links hold it, else PyTorch's CPU index."""
    from importlib import metadata

    from deploy_advisor.targets.requirements_deep import TORCH_CPU_INDEX, torch_build

    pinned = any(line.split("==")[0].strip() == "torch" for line in requirements.splitlines())
    if not pinned:
        return requirements, []
    public, build = torch_build()
    installed = metadata.version("torch")
    if build == "cpu" and "+" in installed:
        folders = [d for d in _find_links() if any(d.glob(f"torch-{installed}-*.whl"))]
        if folders:
            pinned_cpu = requirements.replace(f"torch=={public} ", f"torch=={installed} ")
            return pinned_cpu, [f"--find-links={d}" for d in dict.fromkeys(folders)]
    return requirements, ["--extra-index-url", TORCH_CPU_INDEX]


def _find_links() -> list[Path]:
    """The local folders pip's configuration lists under find-links."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    )
    folders = []
    for line in done.stdout.splitlines():
        key, _, value = line.partition("=")
        if key.endswith("find-links"):
            for item in value.strip().strip("'\"").split():
                path = Path(item.removeprefix("file://"))
                if path.is_dir():
                    folders.append(path)
    return folders


def download_wheels(
    requirements: str, *, python_version: str, cpu_torch: bool = True
) -> list[Path]:
    """Wheels for Linux CPython `python_version` resolving `requirements`, cached by their hash;
    torch's CPU build unless `cpu_torch` is False (a GPU image takes PyPI's CUDA build)."""
    machine = platform.machine().lower() or "x86_64"
    build = "" if cpu_torch else "|cuda"
    key = hashlib.sha256(f"{requirements}|{python_version}|{machine}{build}".encode()).hexdigest()[
        :16
    ]
    folder = wheel_cache_dir() / key
    done = folder / ".complete"
    if not done.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        wanted, torch_options = _cpu_torch(requirements) if cpu_torch else (requirements, [])
        (folder / "requirements.txt").write_text(wanted)
        abi = "cp" + python_version.replace(".", "")
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--only-binary=:all:", "--implementation", "cp", "--python-version", python_version,
            "--abi", abi, "--abi", "abi3", "--abi", "none",
            *(f"--platform=manylinux_2_{minor}_{machine}" for minor in _GLIBC_MINORS),
            f"--platform=manylinux2014_{machine}", "--platform=any",
            "-d", str(folder), "-r", str(folder / "requirements.txt"),
            *torch_options,
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
