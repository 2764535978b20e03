"""The scaffold contract: the lock file, the layout of a scaffold directory, the default image."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from deploy_advisor.errors import InputError

__all__ = [
    "DEFAULT_BASE_IMAGE", "LOCK_NAME", "LOCK_VERSION", "LOCUSTFILE", "MODEL_DIR", "PAYLOADS",
    "LockedModel", "LockedTarball", "Scaffold", "ScaffoldLock", "lock_text", "read_lock",
    "read_scaffold",
]  # fmt: skip

LOCK_NAME = "deploy-advisor.lock.json"
LOCK_VERSION = 1
#: Where a scaffold keeps its model, the request bodies Locust posts, and its locustfile.
MODEL_DIR = "model"
PAYLOADS = "samples/payloads.json"
LOCUSTFILE = "locustfile.py"
#: The image a scaffold's Dockerfile builds FROM unless --base-image names another.
DEFAULT_BASE_IMAGE = "python:3.11-slim"


class LockedModel(BaseModel):
    """The model a scaffold was written for, as measured then."""

    model_config = ConfigDict(extra="allow")

    file: str | None = None
    format: str | None = None
    n_features: int | None = None
    sha256: str | None = None
    load_seconds: float | None = None
    rss_mb: float | None = None
    predict_ms: float | None = None
    trained_sklearn_version: str | None = None


class LockedTarball(BaseModel):
    """The edge bundle's tarball beside the scaffold."""

    file: str
    sha256: str


class ScaffoldLock(BaseModel):
    """deploy-advisor.lock.json: what was scaffolded, for which plan, and every file's sha256.

    Fields left unset are not written (an edge lock has no `predict_ms`, a server's no tarball)."""

    model_config = ConfigDict(extra="allow")

    version: int | None = None
    target: str | None = None
    mode: str | None = None
    plan: str | None = None
    model: LockedModel | None = None
    model_requires: dict[str, str] | None = None
    """The packages the model file names (its pickle's modules, its native format) at their
    versions: set only when there are any."""
    code: dict[str, Any] | None = None
    """The user's code (`scaffold --code`): `{"dir": "code", "on_import_path": true}`."""
    files: dict[str, str] = {}
    tarball: LockedTarball | None = None
    gpu: dict[str, Any] | None = None
    """`scaffold --gpu`: the plan, its GPU, torch and the CUDA its wheel and base image have."""
    weights: str | None = None
    """`scaffold --weights volume`: the model is mounted, not in the image (unset: image)."""
    bom: dict[str, Any] | None = None
    """The advisor's bill of materials for this target (`scaffold --spec`): what the files must
    build for the priced plan to hold; `validate` checks the files against it."""


def lock_text(lock: ScaffoldLock) -> str:
    """The lock file's text: the fields that were set, in order, indented, newline-terminated."""
    return json.dumps(lock.model_dump(mode="json", exclude_unset=True), indent=2) + "\n"


def _parse(path: Path) -> ScaffoldLock:
    return ScaffoldLock.model_validate(json.loads(path.read_text()))


def read_lock(directory: Path) -> ScaffoldLock | None:
    """The lock of an earlier scaffold in `directory`; None if there is none or it is unreadable."""
    path = directory / LOCK_NAME
    if not path.is_file():
        return None
    try:
        return _parse(path)
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class Scaffold:
    """The parts of a scaffold directory that launchers and Locust use."""

    directory: Path
    model_path: Path
    payloads: Path
    locustfile: Path | None
    lock: ScaffoldLock

    @property
    def target(self) -> str | None:
        return self.lock.target or None

    @property
    def plan(self) -> str | None:
        return self.lock.plan or None


def read_scaffold(directory: Path) -> Scaffold:
    """Find the model and payloads of a scaffold; a missing part names the file and the fix."""
    if not directory.is_dir():
        raise InputError(f"{directory} is not a directory; pass a scaffold written by `scaffold`")
    lock = ScaffoldLock()
    lock_path = directory / LOCK_NAME
    if lock_path.is_file():
        try:
            lock = _parse(lock_path)
        except json.JSONDecodeError as exc:
            raise InputError(f"{lock_path} is not valid JSON ({exc.msg}); re-run scaffold") from exc
        except ValidationError as exc:
            what = exc.errors()[0]
            where = ".".join(str(part) for part in what["loc"])
            raise InputError(
                f"{lock_path} is not a deploy-advisor lock ({where}: {what['msg']}); "
                "re-run scaffold"
            ) from exc
    model_file = lock.model.file if lock.model else None
    if model_file:
        model_path = directory / model_file
    else:
        found = (directory / MODEL_DIR).glob("*")
        candidates = sorted(p for p in found if not p.name.startswith("."))
        if not candidates:
            raise InputError(f"no model in {directory / MODEL_DIR}; put the model file there")
        model_path = candidates[0]
    if not model_path.exists():
        raise InputError(f"model {model_path} is missing; re-run scaffold or restore it")
    payloads = directory / PAYLOADS
    if not payloads.is_file():
        raise InputError(f"{payloads} is missing; it must hold a JSON list of /predict bodies")
    locustfile = directory / LOCUSTFILE
    return Scaffold(
        directory=directory.resolve(),
        model_path=model_path.resolve(),
        payloads=payloads.resolve(),
        locustfile=locustfile.resolve() if locustfile.is_file() else None,
        lock=lock,
    )
