"""Writing a scaffold safely: each file's action from disk and lock, then atomic writes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from deploy_advisor.errors import InputError, ScaffoldConflict
from deploy_advisor.files import write_atomic
from deploy_advisor.lockfile import LOCK_NAME, read_lock

__all__ = [
    "CHANGED",
    "LOCK_NAME",
    "NOT_WRITTEN",
    "FileAction",
    "GeneratedFile",
    "apply_actions",
    "check_conflicts",
    "file_action",
    "plan_actions",
    "safe_relative",
    "sha256",
]


# remove: an earlier scaffold wrote it and this one does not; keep: left in place, with a reason.
Action = Literal["create", "identical", "overwrite", "conflict", "remove", "keep"]
CHANGED = "changed since scaffold wrote it"
NOT_WRITTEN = "exists and was not written by scaffold"


@dataclass(frozen=True)
class GeneratedFile:
    """One file of a scaffold: its bytes and whether it is executable."""

    content: bytes
    executable: bool = False


@dataclass(frozen=True)
class FileAction:
    """What writing `path` would do: create, leave, overwrite, remove, keep or refuse.

    `reason` says why a file is in conflict (CHANGED or NOT_WRITTEN) or kept; `file` is None for
    a file that is removed or kept."""

    path: str
    action: Action
    file: GeneratedFile | None
    reason: str = ""


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
    for folder in target.relative_to(root).parents:
        if (root / folder).is_file():
            raise InputError(
                f"{str(root / folder)!r} is a file where the scaffold needs a directory for "
                f"{rel}; move it away"
            )
    return target


def file_action(
    rel: str, generated: GeneratedFile, target: Path, *, locked: str | None, force: bool = False
) -> FileAction:
    """The action for one generated file at `target`; `locked` is its sha256 in the old lock."""
    if not target.exists():
        return FileAction(rel, "create", generated)
    if target.is_dir():
        raise InputError(f"{str(target)!r} is a directory where a file belongs; move it away")
    on_disk = sha256(target.read_bytes())
    if on_disk == sha256(generated.content):
        return FileAction(rel, "identical", generated)
    if force or rel == LOCK_NAME or locked == on_disk:
        return FileAction(rel, "overwrite", generated)
    return FileAction(rel, "conflict", generated, CHANGED if locked else NOT_WRITTEN)


def plan_actions(
    files: dict[str, GeneratedFile],
    *,
    out_dir: Path,
    force: bool = False,
    owned_dirs: tuple[str, ...] = (),
) -> list[FileAction]:
    """Compare each generated file with disk and the previous lock; nothing is written here.

    Files the previous lock lists that are no longer generated are removed (kept, with a reason,
    if changed since, unless `force`). Files in `owned_dirs` (shipped whole, like `model/`) that
    scaffold never wrote are kept with a reason, so the user hears of them."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"output {str(out_dir)!r} is a file; pass -o with a directory")
    earlier = read_lock(out_dir)
    locked = earlier.files if earlier else {}
    actions = [
        file_action(rel, files[rel], _inside(out_dir, rel), locked=locked.get(rel), force=force)
        for rel in sorted(files)
    ]
    for rel in sorted(set(locked) - set(files) - {LOCK_NAME}):
        path = _locked_path(out_dir, rel)
        if path is None:
            continue
        if force or sha256(path.read_bytes()) == locked[rel]:
            actions.append(FileAction(rel, "remove", None))
        else:
            actions.append(FileAction(
                rel, "keep", None,
                "no longer part of the scaffold but changed since scaffold wrote it; delete it "
                "or pass --force",
            ))  # fmt: skip
    for folder in owned_dirs:
        root = out_dir / folder
        extra = sorted(
            p.relative_to(out_dir).as_posix() for p in root.rglob("*") if p.is_file()
        ) if root.is_dir() and not root.is_symlink() else []  # fmt: skip
        for rel in extra:
            if rel not in files and rel not in locked:
                actions.append(FileAction(
                    rel, "keep", None,
                    f"not written by scaffold, and everything in {folder}/ is deployed; "
                    f"move it out of {folder}/ unless it belongs there",
                ))  # fmt: skip
    return actions


def _locked_path(out_dir: Path, rel: str) -> Path | None:
    """The file an old lock lists, if it is still there and safely inside `out_dir`."""
    try:
        path = _inside(out_dir, rel)
    except InputError:
        return None
    return path if path.is_file() else None


def check_conflicts(actions: list[FileAction]) -> None:
    """Raise ScaffoldConflict naming each file in the way and why, if any is."""
    conflicts = [a for a in actions if a.action == "conflict"]
    if not conflicts:
        return
    changed = [a.path for a in conflicts if a.reason == CHANGED]
    foreign = [a.path for a in conflicts if a.reason != CHANGED]
    parts = []
    if len(changed) == 1:
        parts.append(f"{changed[0]} {CHANGED}")
    elif changed:
        parts.append(
            f"{len(changed)} files changed since scaffold wrote them ({', '.join(changed)})"
        )
    if len(foreign) == 1:
        parts.append(f"{foreign[0]} {NOT_WRITTEN}")
    elif foreign:
        parts.append(
            f"{len(foreign)} files exist that scaffold did not write ({', '.join(foreign)})"
        )
    it = "it" if len(conflicts) == 1 else "them"
    raise ScaffoldConflict(f"{'; '.join(parts)}; pass --force to overwrite {it}")


def apply_actions(actions: list[FileAction], *, out_dir: Path) -> None:
    """Write every created or overwritten file and delete removed ones; nothing on a conflict."""
    check_conflicts(actions)
    out_dir.mkdir(parents=True, exist_ok=True)
    for action in actions:
        if action.action in {"create", "overwrite"} and action.file is not None:
            target = _inside(out_dir, action.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, action.file.content, executable=action.file.executable)
    for action in actions:
        if action.action == "remove":
            _remove(out_dir, action.path)


def _remove(out_dir: Path, rel: str) -> None:
    """Delete a file an earlier scaffold wrote, and the folders it leaves empty."""
    target = _inside(out_dir, rel)
    target.unlink(missing_ok=True)
    root = out_dir.resolve()
    folder = target.parent
    while folder != root and root in folder.parents and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
