"""The spec flags of `recommend` and `init`, generated from the spec's fields and the one table
of flags (`advisor.flags`), and applied to a command with `@with_spec_flags`."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from deploy_advisor.advisor.flags import SPEC_FLAGS, SpecFlag
from deploy_advisor.advisor.inputs import flag_overrides
from deploy_advisor.advisor.spec import Spec

__all__ = ["SPEC_FLAGS_HELP", "with_spec_flags"]

SPEC_FLAGS_HELP = "Flags override the spec file; see `deploy-advisor schema` for each field."


def _is_switch(path: str) -> bool:
    """Whether the spec field at `path` is yes/no (its flag then has a `--no-` form)."""
    section: Any = Spec
    *outer, leaf = path.split(".")
    for name in outer:
        section = section.model_fields[name].annotation
    return bool(section.model_fields[leaf].annotation is bool)


def _parameter(flag: SpecFlag) -> inspect.Parameter:
    annotation: Any
    if _is_switch(flag.path):
        switch = f"{flag.flag}/--no-{flag.flag.removeprefix('--')}"
        annotation = Annotated[bool | None, typer.Option(switch, help=flag.help)]
    else:
        option = typer.Option(flag.flag, metavar=flag.metavar, help=flag.help)
        annotation = Annotated[str | None, option]
    return inspect.Parameter(
        flag.parameter, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation
    )


def with_spec_flags(command: Callable[..., None]) -> Callable[..., None]:
    """Put the spec flags where `command` takes `overrides`; pass it the dotted spec paths of
    the flags given (`{"team.ops_skill": "expert"}`)."""
    generated = [_parameter(flag) for flag in SPEC_FLAGS]
    parameters: list[inspect.Parameter] = []
    for parameter in inspect.signature(command, eval_str=True).parameters.values():
        if parameter.name == "overrides":
            parameters.extend(generated)
        else:
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))

    @functools.wraps(command)
    def run(**values: Any) -> None:
        given = {flag.parameter: values.pop(flag.parameter) for flag in SPEC_FLAGS}
        command(**values, overrides=flag_overrides(**given))

    run.__signature__ = inspect.Signature(parameters, return_annotation=None)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    return run
