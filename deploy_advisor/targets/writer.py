"""Writing a scaffold safely: each file's action from disk and lock, then atomic writes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from deploy_advisor.errors import InputError, ScaffoldConflict
from deploy_advisor.files import write_atomic

__all__ = [
    "LOCK_NAME",
    "FileAction",
    "GeneratedFile",
    "apply_actions",
    "plan_actions",
    "read_lock",
    "safe_relative",
    "sha256",
]

LOCK_NAME = "deploy-advisor.lock.json"
Action = Literal["create", "identical", "overwrite", "conflict"]


@dataclass(frozen=True)
class GeneratedFile:
    """One file of a scaffold: its bytes and whether it is executable."""

    content: bytes
    executable: bool = False


@dataclass(frozen=True)
class FileAction:
    """What writing `path` would do: create, leave, overwrite, or refuse (the user edited it)."""

    path: str
    action: Action
    file: GeneratedFile


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def safe_relative(path: str) -> str:
    """A relative POSIX path with no `..`, no absolute part and no empty or hidden-dot tricks."""
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or any(p in {"..", "", "."} for p in parts):
        raise InputError(f"refusing to write {path!r}: paths must stay inside the output directory")
    pure = PurePosixPath(path)
    return pure.as_posix()


def _inside(out_dir: Path, rel: str) -> Path:
    """The absolute target path, checked to stay under `out_dir` even through symlinks."""
    root = out_dir.resolve()
    target = (root / safe_relative(rel)).resolve()
    if target != root and root not in target.parents:
        raise InputError(f"refusing to write {rel!r}: it resolves outside {root}")
    return target


def read_lock(out_dir: Path) -> dict[str, Any]:
    """The lock of an earlier scaffold in `out_dir`, or an empty one."""
    path = out_dir / LOCK_NAME
    if not path.is_file():
        return {}
    try:
        lock = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return lock if isinstance(lock, dict) else {}


def plan_actions(
    files: dict[str, GeneratedFile], *, out_dir: Path, force: bool = False
) -> list[FileAction]:
    """Compare each generated file with disk and the previous lock; nothing is written here."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"output {str(out_dir)!r} is a file; pass -o with a directory")
    locked = read_lock(out_dir).get("files") or {}
    actions = []
    for rel in sorted(files):
        generated = files[rel]
        target = _inside(out_dir, rel)
        if not target.exists():
            action: Action = "create"
        elif target.is_dir():
            raise InputError(f"{str(target)!r} is a directory where a file belongs; move it away")
        else:
            on_disk = sha256(target.read_bytes())
            if on_disk == sha256(generated.content):
                action = "identical"
            elif force or rel == LOCK_NAME or locked.get(rel) == on_disk:
                action = "overwrite"
            else:
                action = "conflict"
        actions.append(FileAction(rel, action, generated))
    return actions


def apply_actions(actions: list[FileAction], *, out_dir: Path) -> None:
    """Write every created or overwritten file; refuse all writes if any file is in conflict."""
    conflicts = [a.path for a in actions if a.action == "conflict"]
    if conflicts:
        names = ", ".join(conflicts)
        raise ScaffoldConflict(
            f"{names} changed since scaffold wrote it; pass --force to overwrite"
            if len(conflicts) == 1
            else f"{len(conflicts)} files changed since scaffold wrote them ({names}); "
            "pass --force to overwrite"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    for action in actions:
        if action.action in {"create", "overwrite"}:
            target = _inside(out_dir, action.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, action.file.content, executable=action.file.executable)
