"""The spec flags of `recommend` and `init`, generated from the spec's fields and the one table
of flags (`advisor.flags`); a command takes them as `overrides`, their dotted spec paths."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import typer

from deploy_advisor.advisor.flags import SPEC_FLAGS, SpecFlag, parameter
from deploy_advisor.advisor.inputs import flag_overrides
from deploy_advisor.advisor.spec import Spec
from deploy_advisor.cli.options import with_options

__all__ = ["SPEC_FLAGS_HELP", "with_spec_flags"]

SPEC_FLAGS_HELP = "Flags override the spec file; see `deploy-advisor schema` for each field."


def _is_switch(path: str) -> bool:
    """Whether the spec field at `path` is yes/no (its flag then has a `--no-` form)."""
    section: Any = Spec
    *outer, leaf = path.split(".")
    for name in outer:
        section = section.model_fields[name].annotation
    return bool(section.model_fields[leaf].annotation is bool)


def _option(flag: SpecFlag) -> inspect.Parameter:
    annotation: Any
    if _is_switch(flag.path):
        switch = f"{flag.flag}/--no-{flag.flag.removeprefix('--')}"
        annotation = Annotated[bool | None, typer.Option(switch, help=flag.help)]
    else:
        option = typer.Option(flag.flag, metavar=flag.metavar, help=flag.help)
        annotation = Annotated[str | None, option]
    return inspect.Parameter(
        parameter(flag), inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation
    )


#: Puts the spec flags where a command takes `overrides` (`{"team.ops_skill": "expert"}`).
with_spec_flags = with_options(
    flag_overrides, into="overrides", options=[_option(f) for f in SPEC_FLAGS]
)
