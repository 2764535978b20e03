"""Reading the user's YAML files (spec, weights, catalog) with errors that name the line.

Stricter than plain PyYAML in two ways a user would expect: a key given twice in one mapping
is an error (PyYAML keeps the last silently), and `1e3` is a number, as in YAML 1.2 and JSON.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from deploy_advisor.errors import InputError

__all__ = ["parse_yaml", "read_text_file"]

# YAML 1.1 floats need a dot (`1.0e+3`); this adds the exponent-only spellings 1e3 and 5e-3.
_MERGE_TAG = "tag:yaml.org,2002:merge"
_EXPONENT_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$")


class _DuplicateKey(Exception):
    def __init__(self, key: object, first_line: int, line: int) -> None:
        super().__init__(key)
        self.key, self.first_line, self.line = key, first_line, line


@cache
def _loader() -> type:
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class StrictLoader(base):  # type: ignore[misc, valid-type]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            first: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue  # `<<: *defaults` merges; keys given here override it
                key = self.construct_object(key_node, deep=deep)
                mark = key_node.start_mark
                try:
                    if key in first:
                        raise _DuplicateKey(key, first[key] + 1, mark.line + 1)
                    first[key] = mark.line
                except TypeError:
                    continue  # unhashable: PyYAML reports it below
            return super().construct_mapping(node, deep)

    StrictLoader.add_implicit_resolver(
        "tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+0123456789")
    )
    return StrictLoader


def parse_yaml(text: str, where: str, error: type[InputError]) -> Any:
    """Parse YAML safely; raise `error` naming the line on failure."""
    import yaml

    try:
        return yaml.load(text, Loader=_loader())  # noqa: S506 - a safe loader
    except _DuplicateKey as dup:
        lines = (
            f"lines {dup.first_line} and {dup.line}"
            if dup.first_line != dup.line
            else f"both on line {dup.line}"
        )
        message = f"{where}: key {dup.key!r} is given twice ({lines}); keep one of them"
        raise error(message) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise error(
            f"{where} is not valid YAML{at}: {problem}; check the indentation and quoting there"
        ) from None
    except RecursionError:
        raise error(f"{where} nests too deeply to read; flatten it") from None


def read_text_file(
    path: Path, what: str, error: type[InputError], *, not_found_hint: str = ""
) -> str:
    """The UTF-8 text of the user's file `path` (`what` names it, e.g. "spec file")."""
    name = f"{what} {str(path)!r}"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{name} not found; check the path{not_found_hint}") from None
    except IsADirectoryError:
        raise error(f"{name} is a directory; pass a YAML file") from None
    except UnicodeDecodeError:
        raise error(f"{name} is not UTF-8 text; save it as UTF-8") from None
    except PermissionError:
        raise error(f"{name} is not readable; check its permissions") from None
    except OSError as exc:
        raise error(f"cannot read {name}: {exc.strerror}; check the file") from None
