"""The `deploy-advisor` command line: each command parses its options, calls one library
function and renders what comes back. Heavy libraries are imported inside the commands so
that start-up stays fast."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deploy_advisor import __version__, console
from deploy_advisor.errors import DeployAdvisorError

if TYPE_CHECKING:
    from deploy_advisor.benchmarks.runner import LoadShape

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
    mode: str = typer.Option(
        "realtime", "--mode", help="realtime (a server) or batch (a scoring job)."
    ),
    max_size_mb: float | None = typer.Option(
        None, "--max-size-mb", help="Edge: refuse a model.onnx larger than this."
    ),
    accept_drift: bool = typer.Option(
        False, "--accept-drift", help="Edge: bundle even if ONNX differs beyond the tolerance."
    ),
    quantize: bool = typer.Option(
        False, "--quantize", help="Edge: dynamic int8 quantisation, with its parity impact."
    ),
) -> None:
    """Write the serving app, model, pinned requirements and target files into a directory."""
    from deploy_advisor.targets.edge import EdgeOptions
    from deploy_advisor.targets.scaffold import scaffold as write_scaffold
    from deploy_advisor.targets.scaffold import target_from_spec

    chosen = target or target_from_spec(spec)
    edge = EdgeOptions(max_size_mb=max_size_mb, accept_drift=accept_drift, quantize=quantize)
    result = write_scaffold(
        model=model, target=chosen, out_dir=out, plan=plan, base_image=base_image,
        wheelhouse=wheelhouse, host_name=host, force=force, dry_run=dry_run, strict=strict,
        mode=mode, edge=edge,
    )  # fmt: skip
    for finding in result.findings:
        if finding.severity == "info":
            console.info(finding.message)
        else:
            console.warn(finding.message)
    counts: dict[str, int] = {}
    for action in result.actions:
        counts[action.action] = counts.get(action.action, 0) + 1
        if dry_run:
            console.print(f"{action.action:<10} {action.path}", markup=False, soft_wrap=True)
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
        console.print(finding.line(), markup=False, soft_wrap=True)
    if not report.ok:
        raise CheckFailed(
            f"{len(report.errors)} check(s) failed in {directory}; see the lines above"
        )
    console.success(f"{directory}: no errors ({len(report.findings)} notes)")


@app.command("bench-edge")
def bench_edge(
    bundle: Annotated[Path, typer.Argument(help="An edge bundle directory or its .tar.gz.")],
    cpus: Annotated[float, typer.Option("--cpus", help="CPU limit, in cores.")] = 0.5,
    memory: Annotated[str, typer.Option("--memory", help="Memory limit, e.g. 256m, 1g.")] = "256m",
    predictions: Annotated[
        int, typer.Option("--predictions", help="One-row predictions to time after loading.")
    ] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Run an edge bundle in a container with CPU/memory limits: load time, p50/p99, memory."""
    from dataclasses import asdict

    from deploy_advisor.edge.bench import bench_edge as run_bench

    console.info(f"building the bundle image and running it with --cpus {cpus:g} --memory {memory}")
    result = run_bench(bundle=bundle, cpus=cpus, memory=memory, predictions=predictions)
    if as_json:
        console.emit_json(asdict(result))
        return
    console.print(
        f"bench-edge {bundle.name}  (--cpus {result.cpus:g}, --memory {result.memory})\n"
        f"  load time         {result.load_ms:>9.1f} ms   (import onnxruntime + open the model)\n"
        f"  latency p50       {result.p50_ms:>9.3f} ms   per one-row prediction\n"
        f"  latency p99       {result.p99_ms:>9.3f} ms   over {result.predictions:,} predictions\n"
        f"  peak memory       {result.peak_rss_mb:>9.1f} MB   (resident, VmHWM)\n"
        f"This is an {result.note}.",
        markup=False,
        soft_wrap=True,
    )


# --- load tests: loadtest, bench -----------------------------------------------------------

_Rate = Annotated[float | None, typer.Option("--rate", help="Open loop: req/s to hold.")]
_Users = Annotated[int | None, typer.Option("--users", help="Closed loop: users that never wait.")]
_Duration = Annotated[
    str, typer.Option("--duration", help="e.g. 30s or 2m (default 30s); every run stops by itself.")
]
_Ramp = Annotated[str | None, typer.Option("--ramp", help="Time to start all users (default ≤5s).")]
_Slo = Annotated[str | None, typer.Option("--slo", help='e.g. "p95<200ms,p99<500ms,errors<1%".')]
_Force = Annotated[bool, typer.Option("--force", help="Replace a result already in --out.")]
_Json = Annotated[bool, typer.Option("--json", help="Print only the result JSON.")]


def _seconds(text: str, flag: str) -> float:
    """Parse a duration like `30s`, `2m`, `500ms` or a plain number of seconds."""
    from deploy_advisor.errors import InputError

    stripped = text.strip().lower()
    number, scale = stripped, 1.0
    for unit, factor in (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if stripped.endswith(unit):
            number, scale = stripped[: -len(unit)], factor
            break
    try:
        return float(number) * scale
    except ValueError:
        raise InputError(f"{flag} {text!r} is not a duration; use e.g. 30s, 2m or 500ms") from None


def _shape(
    rate: float | None, users: int | None, duration: str, ramp: str | None, processes: int
) -> LoadShape:
    from deploy_advisor.benchmarks.runner import load_shape

    seconds = _seconds(duration, "--duration")
    ramp_s = _seconds(ramp, "--ramp") if ramp is not None else min(5.0, seconds / 5)
    return load_shape(
        rate=rate, users=users, duration_s=seconds, ramp_s=ramp_s, processes=processes
    )


def _finish(results: list[tuple[dict[str, Any], Path]], *, as_json: bool) -> None:
    """Print results (tables or JSON), then exit 130 if interrupted or 3 if an SLO failed."""
    from deploy_advisor.benchmarks.render import print_result
    from deploy_advisor.errors import SloBreached

    if as_json:
        documents = [result for result, _ in results]
        console.emit_json(documents[0] if len(documents) == 1 else documents)
    else:
        for result, run_dir in results:
            print_result(result, run_dir=str(run_dir))
    if any(result["partial"] for result, _ in results):
        console.error("interrupted; the partial result was written")
        raise SystemExit(130)
    failed = [
        f"{result['target']} {verdict['name']}"
        for result, _ in results
        if not (result.get("capacity") or {}).get("rps")
        for verdict in result["slo"]
        if not verdict["passed"]
    ]
    if failed:
        raise SloBreached(f"SLO failed: {', '.join(failed)}; see the SLO table and result.json")


@app.command()
def loadtest(
    directory: Annotated[Path | None, typer.Argument(help="Scaffold to launch and load.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Load a running server.")] = None,
    target: Annotated[
        str | None, typer.Option("--target", help="local, docker, vps, heroku or kubernetes.")
    ] = None,
    plan: Annotated[
        str | None, typer.Option("--plan", help="Plan whose limits to emulate.")
    ] = None,
    rate: _Rate = None,
    users: _Users = None,
    duration: _Duration = "30s",
    ramp: _Ramp = None,
    slo: _Slo = None,
    processes: Annotated[int, typer.Option("--processes", help="Locust processes here.")] = 1,
    find_capacity: Annotated[
        bool,
        typer.Option("--find-capacity", help="Raise the rate from --rate until an SLO breaks."),
    ] = False,
    payloads: Annotated[
        Path | None, typer.Option("--payloads", help="JSON list of request bodies (with --url).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Run directory.")] = None,
    force: _Force = False,
    json_output: _Json = False,
) -> None:
    """Load-test a scaffold (launched locally) or a URL with Locust; exit 3 if an SLO fails."""
    from deploy_advisor.benchmarks.session import LoadTestRequest, run_session
    from deploy_advisor.benchmarks.slo import parse_slos

    if json_output:
        console.set_mode(json_output=True, quiet=True)
    request = LoadTestRequest(
        directory=directory, url=url, target=target, plan=plan,
        shape=_shape(rate, users, duration, ramp, processes),
        slos=parse_slos(slo) if slo else [], slo_text=slo, run_dir=out,
        find_capacity=find_capacity, force=force, live=not json_output, payloads=payloads,
    )  # fmt: skip
    _finish([run_session(request)], as_json=json_output)


@app.command()
def bench(
    directory: Annotated[Path, typer.Argument(help="Scaffold to launch on each target.")],
    targets: Annotated[str, typer.Option("--targets", help="e.g. local,docker,vps.")] = "local",
    plans: Annotated[
        str | None, typer.Option("--plans", help="TARGET=PLAN pairs, e.g. docker=linode-2gb.")
    ] = None,
    rate: _Rate = None,
    users: _Users = None,
    duration: _Duration = "30s",
    ramp: _Ramp = None,
    slo: _Slo = None,
    out: Annotated[Path | None, typer.Option("--out", help="Parent of the run dirs.")] = None,
    force: _Force = False,
    json_output: _Json = False,
) -> None:
    """Run the same load against each target in turn; one run directory per target."""
    from datetime import datetime

    from deploy_advisor.benchmarks.session import LoadTestRequest, parse_plans, run_bench
    from deploy_advisor.benchmarks.slo import parse_slos

    if json_output:
        console.set_mode(json_output=True, quiet=True)
    base = LoadTestRequest(
        directory=directory, url=None, target=None, plan=None,
        shape=_shape(rate, users, duration, ramp, 1),
        slos=parse_slos(slo) if slo else [], slo_text=slo, run_dir=None, force=force,
        live=not json_output,
    )  # fmt: skip
    parent = out or Path("runs") / f"bench-{datetime.now():%Y%m%d-%H%M%S}"
    names = [name.strip() for name in targets.split(",") if name.strip()]
    results = run_bench(
        directory=directory, targets=names, plans=parse_plans(plans), base=base, out=parent
    )
    _finish(results, as_json=json_output)


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
