"""Jinja rendering of the config-file templates shipped under `targets/templates/`."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = ["render_template"]


@cache
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("deploy_advisor.targets", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["tojson_compact"] = _json
    return env


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def render_template(name: str, /, **values: Any) -> str:
    """Render `templates/<name>` with `values`; an undefined name is an error, never blank."""
    return _environment().get_template(name).render(**values)
