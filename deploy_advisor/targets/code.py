"""`scaffold --code PATH`: the user's own modules a pickled model imports, carried to the server."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deploy_advisor.errors import InputError
from deploy_advisor.targets.writer import GeneratedFile

__all__ = ["CODE_DIR", "check_code", "code_files", "code_on_path"]

CODE_DIR = "code"
"""Where the code goes in a scaffold; the server's import path includes it."""
_SKIPPED = {"__pycache__", ".git", ".venv", ".mypy_cache", ".pytest_cache", ".ipynb_checkpoints"}


def check_code(code: Path | None) -> Path | None:
    """The `--code` path if it is a .py file or a directory of Python code; InputError if not."""
    if code is None:
        return None
    if code.is_file() and code.suffix == ".py":
        return code
    if code.is_dir() and any(code.rglob("*.py")):
        return code
    raise InputError(
        f"--code {str(code)!r} is not a .py file or a directory holding Python code; pass the "
        "module or package that defines your model's custom classes"
    )


def code_files(code: Path) -> dict[str, GeneratedFile]:
    """The files to write under `code/`: a module file, or a package directory kept whole.

    A directory with an `__init__.py` is one package (code/<name>/...); any other directory
    holds top-level modules (code/...)."""
    if code.is_file():
        return {f"{CODE_DIR}/{code.name}": GeneratedFile(code.read_bytes())}
    prefix = f"{CODE_DIR}/{code.name}" if (code / "__init__.py").is_file() else CODE_DIR
    files = {}
    for path in sorted(code.rglob("*")):
        parts = path.relative_to(code).parts
        if not path.is_file() or any(p in _SKIPPED for p in parts) or path.suffix == ".pyc":
            continue
        files[f"{prefix}/{'/'.join(parts)}"] = GeneratedFile(path.read_bytes())
    return files


def import_root(code: Path) -> Path:
    """The folder to put on the import path so that the code's modules import by their names."""
    if code.is_file() or (code / "__init__.py").is_file():
        return code.resolve().parent
    return code.resolve()


@contextmanager
def code_on_path(code: Path | None) -> Iterator[None]:
    """Make the user's modules importable here and in child processes, for loading the model."""
    if code is None:
        yield
        return
    root = str(import_root(code))
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, before) if p)
    sys.path.insert(0, root)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = before
        if root in sys.path:
            sys.path.remove(root)
