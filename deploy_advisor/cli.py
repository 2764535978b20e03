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


@app.command()
def scaffold(
    model: Path = typer.Option(
        ..., "--model", help="The trained model file (.joblib, .pkl, .onnx)."
    ),
    out: Path = typer.Option(..., "-o", "--out", help="Directory to write the scaffold into."),
    target: str | None = typer.Option(
        None, "--target", help="docker, kubernetes, heroku or vps; default: the advisor's pick."
    ),
    spec: Path | None = typer.Option(
        None, "--spec", help="A deploy-advisor.yaml requirements spec."
    ),
    plan: str | None = typer.Option(None, "--plan", help="Catalog plan to size resources for."),
    force: bool = typer.Option(False, "--force", help="Overwrite files you edited since scaffold."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print what would be written; write nothing."
    ),
    wheelhouse: bool = typer.Option(
        False, "--wheelhouse", help="Download every wheel into wheels/ for offline image builds."
    ),
    base_image: str = typer.Option(
        "python:3.11-slim", "--base-image", help="Base image for Docker."
    ),
    host: str | None = typer.Option(None, "--host", help="Public host name (Ingress, nginx, TLS)."),
    strict: bool = typer.Option(
        False, "--strict", help="Refuse when a platform limit would be hit."
    ),
) -> None:
    """Write the serving app, model, pinned requirements and target files into a directory."""
    from deploy_advisor.targets.scaffold import scaffold as write_scaffold
    from deploy_advisor.targets.scaffold import target_from_spec

    chosen = target or target_from_spec(spec)
    result = write_scaffold(
        model=model, target=chosen, out_dir=out, plan=plan, base_image=base_image,
        wheelhouse=wheelhouse, host_name=host, force=force, dry_run=dry_run, strict=strict,
    )  # fmt: skip
    for finding in result.findings:
        console.warn(finding.message)
    counts: dict[str, int] = {}
    for action in result.actions:
        counts[action.action] = counts.get(action.action, 0) + 1
        if dry_run:
            console.print(f"{action.action:<10} {action.path}", markup=False)
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    if dry_run:
        console.info(f"dry run: nothing written to {out} ({summary})")
    else:
        console.success(f"{result.target} scaffold in {out} ({summary})")
        console.info(f"next: deploy-advisor validate {out}; see {out / 'README.md'}")


@app.command()
def validate(
    directory: Path = typer.Argument(..., help="A scaffold directory written by `scaffold`."),
) -> None:
    """Lint and schema-check a scaffold's files; exit 1 when any check fails."""
    from deploy_advisor.errors import CheckFailed
    from deploy_advisor.targets.validate import validate_dir

    report = validate_dir(directory=directory)
    for finding in report.findings:
        console.print(finding.line(), markup=False)
    if not report.ok:
        raise CheckFailed(
            f"{len(report.errors)} check(s) failed in {directory}; see the lines above"
        )
    console.success(f"{directory}: no errors ({len(report.findings)} notes)")


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
