"""Every command's help uses one placeholder style: an UPPER-case metavar for each value."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import typer
from typer.core import TyperArgument, TyperOption

from deploy_advisor.cli import app

UPPER = re.compile(r"^[A-Z][A-Z0-9_]*(\.\.\.)?$")
COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]


def test_every_command_is_checked() -> None:
    assert {"recommend", "scaffold", "validate", "serve", "loadtest", "report"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_value_has_an_upper_case_metavar(name: str) -> None:
    odd = []
    for param in COMMANDS[name].params:
        if isinstance(param, TyperOption) and (param.is_flag or param.count):
            continue
        assert isinstance(param, TyperOption | TyperArgument), param
        if not (param.metavar and UPPER.match(param.metavar)):
            odd.append(f"{'/'.join(param.opts)}: {param.metavar!r}")
    assert not odd, f"{name}: no UPPER metavar for {odd}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_rendered_help_shows_upper_placeholders(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "deploy_advisor", name, "--help"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    usage, _, rest = done.stdout.partition("\n")
    for placeholder in re.findall(r"[\[{]([^\]}]+)[\]}]", usage.split("[OPTIONS]")[-1]):
        assert UPPER.match(placeholder), f"{name} usage: {usage}"
    options = rest.split("Options:", 1)[1]
    for line in options.splitlines():
        flag = re.match(r"^  (-[\w-]+(?:(?:, | / )-[\w-]+)*)(?: (\S+))?", line)
        if flag and flag.group(2):
            assert UPPER.match(flag.group(2)), f"{name}: {line.strip()}"
