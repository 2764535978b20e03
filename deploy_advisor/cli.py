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


@app.command("serve")
def serve(
    target: str = typer.Argument(
        ..., metavar="MODEL_OR_SCAFFOLD_DIR", help="Model file, MLflow model or scaffold directory."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (0.0.0.0: all)."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on."),
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
    from deploy_advisor.errors import ModelError
    from deploy_advisor.runtime.launch import server_command
    from deploy_advisor.runtime.loader import ModelLoadError

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
        f"serving {argv[argv.index('--model') + 1]} on http://{shown}:{port} (docs: /docs)"
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, env)


@app.command("inspect")
def inspect_command(
    model: Annotated[
        Path, typer.Argument(help="A .joblib, .pkl or .onnx file, or an MLflow model directory.")
    ],
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    payloads: Annotated[
        Path | None,
        typer.Option(help="Write sample request bodies for POST /predict to this JSON file."),
    ] = None,
    count: Annotated[int, typer.Option(help="How many sample bodies to generate.")] = 20,
    seed: Annotated[int, typer.Option(help="Seed for choosing or generating sample rows.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the --payloads file.")] = False,
) -> None:
    """Load a model in a fresh process and report its features, output, size, load time, RSS."""
    import json

    from deploy_advisor.intake import inspect_model, sample_payloads
    from deploy_advisor.intake.payloads import write_payloads
    from deploy_advisor.intake.render import print_report

    report = inspect_model(model)
    bodies = sample_payloads(report, count=count, seed=seed)
    if payloads is not None:
        write_payloads(payloads, bodies, force=force)
    if json_output:
        console.emit_json({**report.to_dict(), "sample_payload": bodies[0]})
    else:
        print_report(report)
        console.print(f"sample body: {json.dumps(bodies[0])}", soft_wrap=True)
    if payloads is not None:
        console.success(f"Wrote {len(bodies)} sample bodies to {payloads}")


@app.command("example-model")
def example_model_command(
    out_dir: Annotated[
        Path, typer.Option("-o", "--out-dir", help="Directory to write the model files to.")
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing model.joblib and model.onnx.")
    ] = False,
) -> None:
    """Train the example RandomForest on the bundled breast_cancer data; save joblib and ONNX."""
    from deploy_advisor.intake import make_example_model

    console.info("Training RandomForestClassifier(n_estimators=100, random_state=0), breast_cancer")
    example = make_example_model(out_dir, force=force)
    console.print(str(example.joblib_path))
    console.print(str(example.onnx_path))
    console.success(
        f"{example.n_features} features, {example.n_rows} rows, "
        f"training accuracy {example.train_accuracy:.3f}"
    )


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
