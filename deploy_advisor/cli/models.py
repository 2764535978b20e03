"""The model itself: `inspect`, `example-model` and `serve`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from deploy_advisor import console
from deploy_advisor.cli import params
from deploy_advisor.cli.app import app
from deploy_advisor.cli.options import with_options

__all__ = ["example_model_command", "inspect_command", "serve"]


@app.command("inspect")
def inspect_command(
    model: params.InspectModel, json_output: params.InspectJson = False,
    payloads: params.Payloads = None, count: params.Count = 20, seed: params.Seed = 0,
    force: params.PayloadsForce = False, sample: params.ModelSample = None,
    schema: params.ModelSchema = None, trust_types: params.TrustTypes = None,
    task: params.ModelTask = None,
) -> None:  # fmt: skip
    """Load a model in a fresh process and report its columns, output, size, load time, RSS."""
    import json

    from deploy_advisor.intake import inspect_model, sample_payloads
    from deploy_advisor.intake.payloads import check_count, write_payloads
    from deploy_advisor.intake.render import print_report

    check_count(count)  # before loading the model
    trusted = tuple(t.strip() for t in (trust_types or "").split(",") if t.strip())
    report = inspect_model(model, schema=schema, sample=sample, trust_types=trusted, task=task)
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
    out_dir: params.ExampleOutDir, force: params.ExampleForce = False,
    kind: params.ExampleKind = "forest",
) -> None:  # fmt: skip
    """Train the example RandomForest on the bundled breast_cancer data; save joblib and ONNX."""
    from deploy_advisor.files import check_output_dir
    from deploy_advisor.intake.example import check_example_output, make_example_model

    check_output_dir(out_dir, flag="-o")
    if kind != "forest":
        _tabular_example(kind, out_dir, force=force)
        return
    check_example_output(out_dir, force=force)  # before the slow imports and training
    console.info("Training RandomForestClassifier(n_estimators=100, random_state=0), breast_cancer")
    example = make_example_model(out_dir, force=force)
    console.print(str(example.joblib_path))
    console.print(str(example.onnx_path))
    console.success(
        f"{example.n_features} features, {example.n_rows} rows, "
        f"training accuracy {example.train_accuracy:.3f}"
    )


def _tabular_example(kind: str, out_dir: Path, *, force: bool) -> None:
    """`example-model --kind churn|xgboost|lightgbm`: a model and a sample.csv of its rows."""
    from deploy_advisor.intake.tabular_examples import check_tabular_output, make_tabular_example

    check_tabular_output(kind, out_dir, force=force)
    tabular = make_tabular_example(kind, out_dir, force=force)
    console.print(str(tabular.model_path))
    console.print(str(tabular.sample_path))
    console.success(
        f"{tabular.description}: {tabular.n_columns} columns, "
        f"training accuracy {tabular.train_accuracy:.3f}"
    )


def _server_options(
    batch_max: params.BatchMax = None, batch_wait_ms: params.BatchWaitMs = None,
    no_batching: params.NoBatching = False, max_body_bytes: params.MaxBodyBytes = None,
    drain_timeout: params.DrainTimeout = None, access_log: params.AccessLog = True,
    output: params.ModelOutput = None, schema: params.ModelSchema = None,
    trust_types: params.TrustTypes = None, task: params.ModelTask = None,
    truncate: params.Truncate = False,
) -> dict[str, Any]:  # fmt: skip
    """The server's settings from its flags, in `server_command`'s words."""
    return {
        "batch_max": batch_max, "batch_wait_ms": batch_wait_ms,
        "batching": False if no_batching else None, "max_body_bytes": max_body_bytes,
        "drain_timeout_s": drain_timeout, "access_log": access_log,
        "output": output, "schema": schema, "trust_types": trust_types,
        "task": task, "truncate": truncate,
    }  # fmt: skip


_with_server_options = with_options(_server_options, into="settings")


@app.command("serve")
@_with_server_options
def serve(
    *, target: params.ServeTarget, host: params.Host = "127.0.0.1", port: params.Port = None,
    workers: params.Workers = 1, settings: dict[str, Any],
) -> None:  # fmt: skip
    """Run the model server locally in the foreground (Ctrl-C stops it)."""
    from deploy_advisor.local_server import serve_locally

    code = serve_locally(target=target, host=host, port=port, workers=workers, **settings)
    if code:
        raise typer.Exit(code)
