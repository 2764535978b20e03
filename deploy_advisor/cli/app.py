"""The typer app, its root options and the one place where our errors become an exit code."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from deploy_advisor import __version__, console
from deploy_advisor.errors import DeployAdvisorError

__all__ = ["app", "json_option", "main"]

app = typer.Typer(
    name="deploy-advisor", no_args_is_help=True, add_completion=False,
    pretty_exceptions_enable=False, rich_markup_mode=None,
    help="Choose how to deploy a trained model, scaffold it, load-test it and compare costs.",
)  # fmt: skip


def _version(value: bool) -> None:
    if value:
        typer.echo(f"deploy-advisor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only print results and errors.")
    ] = False,
) -> None:
    console.set_mode(quiet=quiet)


def _json_mode(value: bool) -> bool:
    if value:
        console.set_mode(json_output=True, quiet=True)
    return value


def json_option(help_text: str) -> Any:
    """A `--json` flag that puts the console in JSON mode (stdout: one document) once given."""
    return typer.Option("--json", help=help_text, callback=_json_mode)


def main() -> None:
    """Entry point: run the app, turning our errors into one line and a documented exit code."""
    try:
        app()
    except DeployAdvisorError as exc:
        if os.environ.get("DEPLOY_ADVISOR_DEBUG"):
            raise
        console.error(str(exc))
        sys.exit(exc.exit_code)
    except OSError as exc:  # a path we were given cannot be read or written
        if os.environ.get("DEPLOY_ADVISOR_DEBUG"):
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        console.error(f"{where}{exc.strerror or exc}; check the path and its permissions")
        sys.exit(2)
    except KeyboardInterrupt:
        console.error("interrupted")
        sys.exit(130)
