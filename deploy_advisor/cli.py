"""The `deploy-advisor` command line: each command parses its options, calls one library
function and renders what comes back. Heavy libraries are imported inside the commands so
that start-up stays fast."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from deploy_advisor import __version__, console
from deploy_advisor.errors import DeployAdvisorError

__all__ = ["app", "main"]

app = typer.Typer(
    name="deploy-advisor",
    help="Choose how to deploy a trained model, scaffold it, load-test it and compare costs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"deploy-advisor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only print results and errors."),
) -> None:
    console.set_mode(quiet=quiet)


# --- advisor: recommend, init, schema, catalog ---------------------------------------------


# --- runtime: inspect, example-model, serve ------------------------------------------------


# --- targets: scaffold, validate, bench-edge -----------------------------------------------


# --- load tests: loadtest, bench -----------------------------------------------------------


# --- reports: report, quickstart -----------------------------------------------------------


@app.command("report")
def report_command(
    run_dirs: Annotated[list[Path], typer.Argument(metavar="RUNDIR...", help="Run directories.")],
    spec: Annotated[
        Path | None,
        typer.Option("--spec", help="Requirements spec: judge the SLO, price the spec's traffic."),
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML file.")
    ] = None,
    md: Annotated[
        Path | None, typer.Option("--md", help="Write Markdown for a pull request.")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON document only.")
    ] = False,
    baseline: Annotated[
        list[Path] | None,
        typer.Option("--baseline", metavar="RUNDIR", help="Earlier run to diff (repeatable)."),
    ] = None,
    catalog: Annotated[
        Path | None, typer.Option("--catalog", help="Extra price catalog (YAML).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files that are not earlier reports.")
    ] = False,
) -> None:
    """Compare load-test runs: latency, SLO, capacity and cost per target."""
    from deploy_advisor.reports.build import build_report
    from deploy_advisor.reports.output import write_report_file

    report = build_report(
        run_dirs=run_dirs, spec_path=spec, baseline_dirs=baseline, catalog_path=catalog
    )
    if html is not None:
        from deploy_advisor.reports.html import GENERATOR, render_html

        write_report_file(path=html, text=render_html(report), marker=GENERATOR, force=force)
        console.success(f"wrote {html}")
    if md is not None:
        from deploy_advisor.reports.markdown import MARKER, render_markdown

        write_report_file(path=md, text=render_markdown(report), marker=MARKER, force=force)
        console.success(f"wrote {md}")
    if json_output:
        from deploy_advisor.reports.json_doc import report_json

        console.emit_json(report_json(report))
        return
    from deploy_advisor.reports.terminal import render_terminal

    for renderable in render_terminal(report):
        console.print(renderable)


def main() -> None:
    """Entry point: run the app, turning our errors into one line and a documented exit code."""
    try:
        app()
    except DeployAdvisorError as exc:
        if os.environ.get("DEPLOY_ADVISOR_DEBUG"):
            raise
        console.error(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        console.error("interrupted")
        sys.exit(130)
