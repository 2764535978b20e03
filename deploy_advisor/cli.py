"""The `deploy-advisor` command line: each command parses its options, calls one library
function and renders what comes back. Heavy libraries are imported inside the commands so
that start-up stays fast."""

from __future__ import annotations

import os
import sys

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


@app.command("serve")
def serve(
    target: str = typer.Argument(
        ..., metavar="MODEL_OR_SCAFFOLD_DIR", help="Model file, MLflow model or scaffold directory."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (0.0.0.0: all)."),
    port: int | None = typer.Option(
        None, "--port", min=0, max=65535, help="Port (default $PORT, else 8000)."
    ),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes."),
    batch_max: int | None = typer.Option(
        None, "--batch-max", min=1, help="Most rows per predict call (default 64)."
    ),
    batch_wait_ms: float | None = typer.Option(
        None, "--batch-wait-ms", min=0, help="Longest wait for a batch to fill (default 0)."
    ),
    no_batching: bool = typer.Option(False, "--no-batching", help="Predict each request alone."),
    max_body_bytes: int | None = typer.Option(
        None, "--max-body-bytes", min=1, help="Largest request body (default 1 MiB)."
    ),
    drain_timeout: float | None = typer.Option(
        None, "--drain-timeout", min=0, help="Seconds to finish requests on SIGTERM (default 30)."
    ),
    access_log: bool = typer.Option(
        True, "--access-log/--no-access-log", help="One JSON line per request on stderr."
    ),
) -> None:
    """Run the model server locally in the foreground (Ctrl-C stops it)."""
    from deploy_advisor.errors import InputError, ModelError
    from deploy_advisor.runtime.config import ConfigError, resolve_port
    from deploy_advisor.runtime.launch import server_command
    from deploy_advisor.runtime.loader import ModelLoadError

    try:
        shown_port = resolve_port(port, os.environ)
    except ConfigError as exc:
        raise InputError(str(exc)) from exc
    try:
        argv, env = server_command(
            target,
            host=host,
            port=port,
            workers=workers,
            batch_max=batch_max,
            batch_wait_ms=batch_wait_ms,
            batching=False if no_batching else None,
            max_body_bytes=max_body_bytes,
            drain_timeout_s=drain_timeout,
            access_log=access_log,
        )
    except ModelLoadError as exc:
        raise ModelError(str(exc)) from exc
    shown = f"[{host}]" if ":" in host else host
    console.info(
        f"serving {argv[argv.index('--model') + 1]} on http://{shown}:{shown_port} (docs: /docs)"
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, env)


# --- targets: scaffold, validate, bench-edge -----------------------------------------------


# --- load tests: loadtest, bench -----------------------------------------------------------


# --- reports: report, quickstart -----------------------------------------------------------


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
