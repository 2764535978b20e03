"""The model itself: `inspect`, `example-model` and `serve`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from deploy_advisor import console
from deploy_advisor.cli.app import app
from deploy_advisor.cli.options import options_of, with_options

__all__ = ["example_model_command", "inspect_command", "serve"]


@app.command("inspect")
def inspect_command(
    model: Annotated[
        Path,
        typer.Argument(
            help="A .joblib, .pkl or .onnx file, or an MLflow model directory.", readable=False
        ),
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
    from deploy_advisor.intake.example import check_example_output, make_example_model

    check_example_output(out_dir, force=force)  # before the slow imports and training
    console.info("Training RandomForestClassifier(n_estimators=100, random_state=0), breast_cancer")
    example = make_example_model(out_dir, force=force)
    console.print(str(example.joblib_path))
    console.print(str(example.onnx_path))
    console.success(
        f"{example.n_features} features, {example.n_rows} rows, "
        f"training accuracy {example.train_accuracy:.3f}"
    )


def _server_options(
    batch_max: Annotated[
        int | None,
        typer.Option("--batch-max", min=1, help="Most rows per predict call (default 64)."),
    ] = None,
    batch_wait_ms: Annotated[
        float | None,
        typer.Option(
            "--batch-wait-ms", min=0, help="Longest wait for a batch to fill (default 0)."
        ),
    ] = None,
    no_batching: Annotated[
        bool, typer.Option("--no-batching", help="Predict each request alone.")
    ] = False,
    max_body_bytes: Annotated[
        int | None,
        typer.Option("--max-body-bytes", min=1, help="Largest request body (default 1 MiB)."),
    ] = None,
    drain_timeout: Annotated[
        float | None,
        typer.Option(
            "--drain-timeout", min=0, help="Seconds to finish requests on SIGTERM (default 30)."
        ),
    ] = None,
    access_log: Annotated[
        bool,
        typer.Option("--access-log/--no-access-log", help="One JSON line per request on stderr."),
    ] = True,
) -> dict[str, Any]:
    """The server's settings from its flags, in `server_command`'s words."""
    return {
        "batch_max": batch_max, "batch_wait_ms": batch_wait_ms,
        "batching": False if no_batching else None, "max_body_bytes": max_body_bytes,
        "drain_timeout_s": drain_timeout, "access_log": access_log,
    }  # fmt: skip


_with_server_options = with_options("settings", options_of(_server_options), _server_options)


@app.command("serve")
@_with_server_options
def serve(
    *,
    target: Annotated[
        str,
        typer.Argument(
            metavar="MODEL_OR_SCAFFOLD_DIR", help="Model file, MLflow model or scaffold directory."
        ),
    ],
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (0.0.0.0: all).")
    ] = "127.0.0.1",
    port: Annotated[
        int | None,
        typer.Option("--port", min=0, max=65535, help="Port (default $PORT, else 8000)."),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    settings: dict[str, Any],
) -> None:
    """Run the model server locally in the foreground (Ctrl-C stops it)."""
    from deploy_advisor.local_server import serve_locally

    code = serve_locally(target=target, host=host, port=port, workers=workers, **settings)
    if code:
        raise typer.Exit(code)
