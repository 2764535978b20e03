"""Options that several commands share, declared once and applied with `with_options`."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["with_options"]

_KEYWORD = inspect.Parameter.KEYWORD_ONLY


def _declared(function: Callable[..., Any]) -> list[inspect.Parameter]:
    return list(inspect.signature(function, eval_str=True).parameters.values())


def with_options(
    combine: Callable[..., Any], *, into: str, options: Sequence[inspect.Parameter] | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Put `options` (default: those `combine` declares) where a command takes the parameter
    `into`, and pass it `combine(**their values)` there."""
    group = list(options) if options is not None else _declared(combine)
    names = [option.name for option in group]

    def apply(command: Callable[..., None]) -> Callable[..., None]:
        parameters: list[inspect.Parameter] = []
        for parameter in _declared(command):
            given = group if parameter.name == into else [parameter]
            parameters.extend(option.replace(kind=_KEYWORD) for option in given)

        @functools.wraps(command)
        def run(**values: Any) -> None:
            combined = combine(**{name: values.pop(name) for name in names})
            command(**values, **{into: combined})

        run.__signature__ = inspect.Signature(parameters, return_annotation=None)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in parameters}
        return run

    return apply
