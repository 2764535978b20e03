"""Options that several commands share, declared once and applied with `with_options`."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["options_of", "with_options"]

_KEYWORD = inspect.Parameter.KEYWORD_ONLY


def options_of(declaration: Callable[..., Any]) -> list[inspect.Parameter]:
    """The options a function declares in its signature (`Annotated` types and defaults)."""
    return list(inspect.signature(declaration, eval_str=True).parameters.values())


def with_options(
    name: str, options: Sequence[inspect.Parameter], combine: Callable[..., Any]
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Put `options` where a command takes the parameter `name`; pass it `combine(**values)`."""
    names = [option.name for option in options]

    def apply(command: Callable[..., None]) -> Callable[..., None]:
        parameters: list[inspect.Parameter] = []
        for parameter in options_of(command):
            given = options if parameter.name == name else [parameter]
            parameters.extend(option.replace(kind=_KEYWORD) for option in given)

        @functools.wraps(command)
        def run(**values: Any) -> None:
            group = {key: values.pop(key) for key in names}
            command(**values, **{name: combine(**group)})

        run.__signature__ = inspect.Signature(parameters, return_annotation=None)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in parameters}
        return run

    return apply
