"""What a model file needs installed, read from the file without loading it.

Pickles and joblib files name every class they rebuild (GLOBAL / STACK_GLOBAL opcodes): those
modules, mapped to their distributions at the versions installed here, are what serving needs.
Native formats name their framework: an XGBoost booster (.json with a "learner" key, .ubj),
a LightGBM model.txt, a CatBoost .cbm, a skops file (plus the modules its schema lists).
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import pickletools
import re
import sys
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from deploy_advisor.errors import ModelError
from deploy_advisor.targets.base import Requirement

__all__ = [
    "ModelNeeds",
    "code_modules",
    "framework_pins",
    "model_needs",
    "pickle_modules",
    "size_standin",
]

# Distributions the base serving stack pins already (requirements.serving_requirements).
_BASE_STACK = frozenset({"numpy", "scipy", "scikit-learn", "joblib", "threadpoolctl"})
# Modules a pickle names that come with Python 2's names or with the interpreter.
_BUILTIN_ALIASES = frozenset({"__builtin__", "copy_reg", "__main__"})
# The first xgboost release published as xgboost-cpu, the build without CUDA libraries.
_FIRST_XGBOOST_CPU = (2, 1, 0)
# A distribution pinned here but not installed: measure the slug with the one that is.
_SIZE_STANDINS = {"xgboost-cpu": "xgboost"}
# What the serving image is: Linux, CPython 3.11 (dependency markers are read for it).
_TARGET_ENV = {
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "python_version": "3.11",
    "python_full_version": "3.11.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "extra": "",
}
_GLOBAL = re.compile(rb"c([A-Za-z_][\w.]{0,200})\n([A-Za-z_][\w.]{0,200})\n")
_STACK_GLOBAL = re.compile(
    rb"\x8c([\x01-\xc8])([A-Za-z_][\w.]{0,199})\x94?(?:\x8c[\x01-\xc8][A-Za-z_][\w.]*|h.)\x94?\x93"
)


@dataclass(frozen=True)
class ModelNeeds:
    """The framework a model file is in, the version it records, and the modules it names."""

    framework: str | None
    """"xgboost", "lightgbm", "catboost", "skops" for native files, "xgboost" for its pickles."""
    recorded_version: str | None
    """The framework version written in the file, when the format records it."""
    modules: frozenset[str]
    """Top-level modules the file references (standard library left out)."""
    takes_dataframe: bool = False
    """The model selects columns by name (a ColumnTransformer): the server needs pandas."""


def _decompressed(data: bytes, name: str) -> bytes:
    """The pickle stream of a plain or joblib-compressed file, told apart by its header (anything
    else is returned as is: the loader says what is wrong with it)."""
    if data[:1] == b"\x80" or data[:1] in b"(c]}":
        return data
    if data[:1] == b"x":
        return zlib.decompress(data)
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:3] == b"BZh":
        return bz2.decompress(data)
    if data[:6] == b"\xfd7zXZ\x00" or data[:3] == b"]\x00\x00":
        return lzma.decompress(data)
    if data[:4] == b"\x04\x22\x4d\x18":
        try:
            import lz4.frame
        except ImportError:
            raise ModelError(
                f"{name} is lz4-compressed and lz4 is not installed here; pip install lz4, or "
                "re-save it with joblib.dump(model, path, compress=3)"
            ) from None
        return bytes(lz4.frame.decompress(data))
    if data[:2] == b"ZF":
        raise ModelError(
            f"{name} is in joblib's pre-0.10 compressed format; re-save it with joblib.dump"
        )
    return data


def _opcode_globals(stream: bytes) -> set[str] | None:
    """Modules named by GLOBAL / STACK_GLOBAL, or None when the stream is not one plain pickle."""
    found: set[str] = set()
    pushed: list[object] = []
    memo: dict[int, object] = {}
    try:
        for opcode, arg, _ in pickletools.genops(stream):
            name = opcode.name
            if name == "GLOBAL":
                found.add(str(arg).split(" ", 1)[0])
                pushed.append(None)
            elif name == "STACK_GLOBAL":
                module = pushed[-2] if len(pushed) >= 2 else None
                if isinstance(module, str):
                    found.add(module)
                pushed.append(None)
            elif name == "MEMOIZE":
                memo[len(memo)] = pushed[-1] if pushed else None
            elif name in {"PUT", "BINPUT", "LONG_BINPUT"}:
                memo[int(str(arg))] = pushed[-1] if pushed else None
            elif name in {"GET", "BINGET", "LONG_BINGET"}:
                pushed.append(memo.get(int(str(arg))))
            elif "UNICODE" in name or name in {"STRING", "BINSTRING", "SHORT_BINSTRING"}:
                pushed.append(arg)
            elif name not in {"PROTO", "FRAME"}:
                pushed.append(None)
            if name == "STOP":
                break
    except (ValueError, IndexError):
        return None
    return found


def _scanned_globals(stream: bytes) -> set[str]:
    """Modules named anywhere in a stream that mixes pickle opcodes with raw array bytes."""
    found = {m.group(1).decode() for m in _GLOBAL.finditer(stream)}
    for match in _STACK_GLOBAL.finditer(stream):
        length, module = match.group(1)[0], match.group(2)
        if len(module) >= length:
            found.add(module[:length].decode())
    return found


def _pickled_xgboost_version(path: Path) -> str | None:
    """The version a pickled XGBoost model's booster (kept as UBJSON bytes) records."""
    try:
        stream = _decompressed(path.read_bytes(), path.name)
    except (zlib.error, OSError, EOFError, lzma.LZMAError, ModelError):
        return None
    at = stream.find(b"version[")
    return _ubjson_ints(stream[at + 8 : at + 64]) if at >= 0 else None


def pickle_modules(path: Path) -> frozenset[str]:
    """Modules (full dotted names) a pickle or joblib file references, read from its opcodes."""
    try:
        stream = _decompressed(path.read_bytes(), path.name)
    except (zlib.error, OSError, EOFError, lzma.LZMAError):
        return frozenset()  # not readable here: loading the model reports why
    named = _opcode_globals(stream)
    if named is None or "joblib" in {m.split(".")[0] for m in named}:
        named = (named or set()) | _scanned_globals(stream)
    return frozenset(named)


def _top_level(modules: Iterable[str]) -> set[str]:
    tops = {m.split(".")[0] for m in modules if m}
    return {
        t
        for t in tops
        if t not in sys.stdlib_module_names and t not in _BUILTIN_ALIASES and t != "builtins"
    }


def _xgboost_version(path: Path) -> str | None:
    """The "version": [major, minor, patch] an XGBoost JSON or UBJSON model records."""
    data = path.read_bytes()
    if path.suffix.lower() == ".json":
        try:
            version = json.loads(data).get("version")
        except (ValueError, AttributeError):
            return None
        return ".".join(str(int(v)) for v in version) if isinstance(version, list) else None
    at = data.find(b"version[")
    return _ubjson_ints(data[at + 8 : at + 64]) if at >= 0 else None


_UBJ_INT = {b"i": (1, True), b"U": (1, False), b"I": (2, True), b"l": (4, True), b"L": (8, True)}


def _ubjson_ints(body: bytes) -> str | None:
    """A UBJSON array of three integers (after its "["), as "major.minor.patch"."""
    typed = None
    if body[:1] == b"$":
        typed, body = body[1:2], body[2:]
    if body[:1] != b"#" or body[1:2] not in _UBJ_INT:
        return None
    width, _ = _UBJ_INT[body[1:2]]
    count = int.from_bytes(body[2 : 2 + width], "big")
    body, parts = body[2 + width :], []
    for _ in range(count):
        marker = typed or body[:1]
        if marker not in _UBJ_INT:
            return None
        body = body if typed else body[1:]
        size, signed = _UBJ_INT[marker]
        parts.append(int.from_bytes(body[:size], "big", signed=signed))
        body = body[size:]
    return ".".join(str(p) for p in parts) if len(parts) == 3 else None


def _skops_modules(path: Path) -> set[str]:
    """Every `__module__` the schema of a skops file lists."""
    try:
        with zipfile.ZipFile(path) as archive:
            schema = json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise ModelError(f"{path.name} is not a skops file (no schema.json inside)") from None
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            module = node.get("__module__")
            if isinstance(module, str):
                found.add(module)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


def is_xgboost_json(path: Path) -> bool:
    """An XGBoost model saved as JSON has a "learner" object at its top."""
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and b'"learner"' in head


def model_needs(path: Path) -> ModelNeeds:
    """The framework and modules a model file needs, without loading it."""
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == ".onnx":
        return ModelNeeds(None, None, frozenset())
    if suffix == ".ubj" or (suffix == ".json" and is_xgboost_json(path)):
        return ModelNeeds("xgboost", _xgboost_version(path), frozenset({"xgboost"}))
    if suffix == ".txt":
        return ModelNeeds("lightgbm", None, frozenset({"lightgbm"}))
    if suffix == ".cbm":
        return ModelNeeds("catboost", None, frozenset({"catboost"}))
    named = _skops_modules(path) if suffix == ".skops" else pickle_modules(path)
    by_name = any(m.startswith(("sklearn.compose", "pandas")) for m in named)
    if suffix == ".skops":
        modules = _top_level(named) | {"skops"}
        return ModelNeeds("skops", None, frozenset(modules), takes_dataframe=by_name)
    tops = frozenset(_top_level(named))
    if "xgboost" in tops:
        return ModelNeeds("xgboost", _pickled_xgboost_version(path), tops, takes_dataframe=by_name)
    return ModelNeeds(None, None, tops, takes_dataframe=by_name)


def code_modules(code: Path | None) -> frozenset[str]:
    """Top-level modules a `--code` file or package directory provides."""
    if code is None:
        return frozenset()
    if code.is_file():
        return frozenset({code.stem})
    if (code / "__init__.py").is_file():
        return frozenset({code.name})
    modules = {p.stem for p in code.glob("*.py")}
    return frozenset(modules | {p.name for p in code.iterdir() if (p / "__init__.py").is_file()})


def _as_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(re.sub(r"\D.*", "", p) or 0) for p in version.split(".")[:3])


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _dependencies(distribution: str) -> list[str]:
    """Names of the distributions `distribution` requires on Linux CPython 3.11."""
    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement as Spec

    names = []
    for line in metadata.requires(distribution) or []:
        try:
            spec = Spec(line)
        except InvalidRequirement:
            continue
        if spec.marker is not None and not spec.marker.evaluate(dict(_TARGET_ENV)):
            continue
        names.append(spec.name)
    return names


def _installed_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def framework_pins(
    needs: ModelNeeds, *, given: frozenset[str] = frozenset(), model_name: str = "the model"
) -> tuple[Requirement, ...]:
    """Pins for what the model references beyond the scikit-learn stack, with their dependencies.

    Modules in `given` (the user's `--code`) need no pin; a module neither installed nor given
    is a ModelError naming it and `--code`."""
    owners = metadata.packages_distributions()
    pins: dict[str, Requirement] = {}
    seen = set(_BASE_STACK)
    queue: list[tuple[str, str]] = []
    wanted = needs.modules | ({"pandas"} if needs.takes_dataframe else set())
    for module in sorted(wanted - given):
        distributions = owners.get(module)
        if not distributions:
            raise ModelError(
                f"{model_name} references the module {module!r}, which is not installed here "
                f"and not given; pass your code with --code PATH (a .py file or package)"
            )
        distribution = distributions[0]
        if _canonical(distribution) in seen:
            continue
        seen.add(_canonical(distribution))
        version = _installed_version(distribution) or ""
        reason = f"{model_name} uses {module}"
        if needs.framework == module and needs.recorded_version:
            version, reason = needs.recorded_version, "the version the model was saved with"
        name = distribution
        if _canonical(distribution) in {"xgboost", "xgboost-cpu"}:
            name = "xgboost-cpu" if _as_tuple(version) >= _FIRST_XGBOOST_CPU else "xgboost"
            reason += " (xgboost's CPU build, no CUDA libraries)" if name != "xgboost" else ""
        pins[_canonical(name)] = Requirement(name, version, reason)
        queue.extend((dep, distribution) for dep in _dependencies(distribution))
    while queue:
        dependency, parent = queue.pop(0)
        key = _canonical(dependency)
        if key in seen or dependency.startswith("nvidia-"):
            continue
        seen.add(key)
        installed = _installed_version(dependency)
        if installed is None:
            continue
        pins[key] = Requirement(dependency, installed, f"needed by {parent}")
        queue.extend((dep, dependency) for dep in _dependencies(dependency))
    return tuple(pins.values())


def size_standin(distribution: str) -> str:
    """The installed distribution whose size stands for `distribution` in the slug estimate."""
    if _installed_version(distribution) is None:
        return _SIZE_STANDINS.get(distribution, distribution)
    return distribution
