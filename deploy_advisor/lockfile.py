"""The scaffold contract: the lock file, the layout of a scaffold directory, the default image."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy_advisor.errors import InputError

__all__ = ["DEFAULT_BASE_IMAGE", "LOCK_NAME", "Scaffold", "read_scaffold"]

LOCK_NAME = "deploy-advisor.lock.json"
#: The image a scaffold's Dockerfile builds FROM unless --base-image names another.
DEFAULT_BASE_IMAGE = "python:3.11-slim"


@dataclass(frozen=True)
class Scaffold:
    """The parts of a scaffold directory that launchers and Locust use."""

    directory: Path
    model_path: Path
    payloads: Path
    locustfile: Path | None
    lock: dict[str, Any]

    @property
    def target(self) -> str | None:
        value = self.lock.get("target")
        return str(value) if value else None

    @property
    def plan(self) -> str | None:
        value = self.lock.get("plan")
        return str(value) if value else None


def read_scaffold(directory: Path) -> Scaffold:
    """Find the model and payloads of a scaffold; a missing part names the file and the fix."""
    if not directory.is_dir():
        raise InputError(f"{directory} is not a directory; pass a scaffold written by `scaffold`")
    lock: dict[str, Any] = {}
    lock_path = directory / LOCK_NAME
    if lock_path.is_file():
        try:
            lock = json.loads(lock_path.read_text())
        except json.JSONDecodeError as exc:
            raise InputError(f"{lock_path} is not valid JSON ({exc.msg}); re-run scaffold") from exc
    model_file = (lock.get("model") or {}).get("file")
    if model_file:
        model_path = directory / model_file
    else:
        found = (directory / "model").glob("*")
        candidates = sorted(p for p in found if not p.name.startswith("."))
        if not candidates:
            raise InputError(f"no model in {directory / 'model'}; put the model file there")
        model_path = candidates[0]
    if not model_path.exists():
        raise InputError(f"model {model_path} is missing; re-run scaffold or restore it")
    payloads = directory / "samples" / "payloads.json"
    if not payloads.is_file():
        raise InputError(f"{payloads} is missing; it must hold a JSON list of /predict bodies")
    locustfile = directory / "locustfile.py"
    return Scaffold(
        directory=directory.resolve(),
        model_path=model_path.resolve(),
        payloads=payloads.resolve(),
        locustfile=locustfile.resolve() if locustfile.is_file() else None,
        lock=lock,
    )
