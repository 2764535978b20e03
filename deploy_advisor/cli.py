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


# The spec flags shared by `recommend` and `init`, passed on by name to `flag_overrides`.
_SPEC_FLAG_NAMES = (
    "name", "model", "model_size_mb", "gpu", "p95_ms", "freshness", "requests_per_day",
    "peak_rps", "pattern", "batch_rows", "pii", "on_device_only", "region", "connectivity",
    "budget", "ops_skill", "availability",
)  # fmt: skip


def _spec_flags(values: dict[str, Any]) -> dict[str, Any]:
    return {name: values[name] for name in _SPEC_FLAG_NAMES}


# --- advisor: recommend, init, schema, catalog ---------------------------------------------

_SPEC_FLAGS_HELP = "Flags override the spec file; see `deploy-advisor schema` for each field."
_O_NAME = typer.Option(None, "--name", metavar="NAME", help="Name of the service.")
_O_MODEL = typer.Option(
    None, "--model", metavar="PATH", help="Model file; its size is used when no size is given."
)
_O_SIZE = typer.Option(None, "--model-size-mb", metavar="MB", help="Model file size in MB.")
_O_GPU = typer.Option(None, "--gpu/--no-gpu", help="The model needs a GPU.")
_O_P95 = typer.Option(
    None, "--p95-ms", metavar="MS", help="p95 latency budget in ms; 'none' = nobody waits online."
)
_O_FRESH = typer.Option(
    None, "--freshness", help="realtime|minutes|hours|daily|weekly.", metavar="LEVEL"
)
_O_RPD = typer.Option(None, "--requests-per-day", metavar="N", help="Prediction requests per day.")
_O_PEAK = typer.Option(None, "--peak-rps", metavar="RPS", help="Peak requests per second.")
_O_PATTERN = typer.Option(None, "--pattern", metavar="PATTERN", help="steady|bursty|scheduled.")
_O_ROWS = typer.Option(None, "--batch-rows", metavar="N", help="Rows per scheduled batch run.")
_O_PII = typer.Option(None, "--pii/--no-pii", help="Requests carry personal data.")
_O_DEVICE = typer.Option(
    None, "--on-device-only/--no-on-device-only", help="Data may not leave the device."
)
_O_REGION = typer.Option(None, "--region", metavar="REGION", help="Region the data must stay in.")
_O_CONN = typer.Option(None, "--connectivity", metavar="LEVEL", help="always|intermittent|offline.")
_O_BUDGET = typer.Option(None, "--budget", metavar="USD", help="Monthly budget in USD.")
_O_OPS = typer.Option(None, "--ops-skill", metavar="LEVEL", help="beginner|intermediate|expert.")
_O_AVAIL = typer.Option(
    None, "--availability", metavar="PCT", help="Availability target in percent."
)
_O_CATALOG = typer.Option(
    None,
    "--catalog",
    metavar="FILE",
    help="Price catalog YAML that extends the packaged one.",
    readable=False,
)
_O_REPLACE = typer.Option(
    False, "--replace-catalog", help="Use only the --catalog file, not the packaged catalog."
)
_O_JSON = typer.Option(False, "--json", help="Print exactly one JSON object.")
_A_SPEC = typer.Argument(
    None,
    metavar="SPEC",
    help="Requirements spec [default: ./deploy-advisor.yaml if present].",
    readable=False,  # our reader says what is wrong in one line
    show_default=False,
)
_O_WEIGHTS = typer.Option(
    None,
    "--weights",
    metavar="FILE",
    help="Weights YAML overriding the packaged weights.",
    readable=False,
)
_O_OUTPUT = typer.Option(
    Path("deploy-advisor.yaml"), "--output", "-o", metavar="FILE", help="File to write."
)


@app.command(epilog=_SPEC_FLAGS_HELP)
def recommend(
    spec: Path | None = _A_SPEC,
    p95_ms: str | None = _O_P95,
    freshness: str | None = _O_FRESH,
    requests_per_day: str | None = _O_RPD,
    peak_rps: str | None = _O_PEAK,
    pattern: str | None = _O_PATTERN,
    batch_rows: str | None = _O_ROWS,
    pii: bool | None = _O_PII,
    on_device_only: bool | None = _O_DEVICE,
    region: str | None = _O_REGION,
    connectivity: str | None = _O_CONN,
    budget: str | None = _O_BUDGET,
    ops_skill: str | None = _O_OPS,
    availability: str | None = _O_AVAIL,
    gpu: bool | None = _O_GPU,
    model_size_mb: str | None = _O_SIZE,
    model: str | None = _O_MODEL,
    name: str | None = _O_NAME,
    weights: Path | None = _O_WEIGHTS,
    catalog: Path | None = _O_CATALOG,
    replace_catalog: bool = _O_REPLACE,
    rps_per_vcpu: str | None = typer.Option(
        None,
        "--rps-per-vcpu",
        metavar="RPS",
        help="Measured requests/s per vCPU [default: 100, assumed].",
    ),
    json_output: bool = _O_JSON,
) -> None:
    """Recommend a mode (realtime, batch, edge), a target and a plan, with the reasons."""
    from deploy_advisor.advisor.catalog import load_catalog
    from deploy_advisor.advisor.inputs import build_spec, flag_overrides, positive_number
    from deploy_advisor.advisor.recommend import recommend as run
    from deploy_advisor.advisor.spec import DEFAULT_SPEC_FILE
    from deploy_advisor.advisor.weights import load_weights

    if json_output:
        console.set_mode(json_output=True, quiet=True)
    overrides = flag_overrides(**_spec_flags(locals()))
    rate = positive_number(rps_per_vcpu, "--rps-per-vcpu", low=0.01, high=1_000_000)
    no_file = spec is None and not Path(DEFAULT_SPEC_FILE).is_file()
    the_spec = build_spec(spec, overrides)
    result = run(
        the_spec,
        catalog=load_catalog(catalog, replace=replace_catalog),
        weights=load_weights(weights),
        rps_per_vcpu=rate,
    )
    if no_file:
        console.info(
            f"No {DEFAULT_SPEC_FILE} here: using the defaults and flags "
            "(`deploy-advisor init` writes one)."
        )
    if json_output:
        console.emit_json(result.to_json())
        return
    from deploy_advisor.advisor.render import render_recommendation

    render_recommendation(result)


@app.command(epilog=_SPEC_FLAGS_HELP)
def init(
    output: Path = _O_OUTPUT,
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    no_input: bool = typer.Option(
        False, "--no-input", help="Ask nothing: take the defaults plus the flags."
    ),
    p95_ms: str | None = _O_P95,
    freshness: str | None = _O_FRESH,
    requests_per_day: str | None = _O_RPD,
    peak_rps: str | None = _O_PEAK,
    pattern: str | None = _O_PATTERN,
    batch_rows: str | None = _O_ROWS,
    pii: bool | None = _O_PII,
    on_device_only: bool | None = _O_DEVICE,
    region: str | None = _O_REGION,
    connectivity: str | None = _O_CONN,
    budget: str | None = _O_BUDGET,
    ops_skill: str | None = _O_OPS,
    availability: str | None = _O_AVAIL,
    gpu: bool | None = _O_GPU,
    model_size_mb: str | None = _O_SIZE,
    model: str | None = _O_MODEL,
    name: str | None = _O_NAME,
) -> None:
    """Ask about the deployment and write deploy-advisor.yaml (never overwrites without --force)."""
    from deploy_advisor.advisor.initspec import ask, relative_to, spec_to_yaml, write_spec
    from deploy_advisor.advisor.inputs import flag_overrides
    from deploy_advisor.advisor.spec import merge_overrides, spec_from_mapping
    from deploy_advisor.errors import InputError

    if output.exists() and not force:
        raise InputError(f"{str(output)!r} already exists; pass --force to overwrite it")
    overrides = flag_overrides(**_spec_flags(locals()))
    spec = merge_overrides(spec_from_mapping({}), overrides)
    if not no_input:
        from rich.prompt import Confirm, Prompt

        def prompt(text: str, default: str, choices: tuple[str, ...]) -> str:
            return Prompt.ask(
                text, console=console.stderr(), default=default, choices=list(choices) or None
            )

        def confirm(text: str, default: bool) -> bool:
            return Confirm.ask(text, console=console.stderr(), default=default)

        try:
            spec = ask(
                spec,
                prompt=prompt,
                confirm=confirm,
                report=console.error,
                given=frozenset(overrides),
            )
        except EOFError:
            console.stderr().print()
            raise InputError(
                "no answers on standard input; run `deploy-advisor init --no-input` in scripts"
            ) from None
    write_spec(output, spec_to_yaml(relative_to(spec, output)), force=force)
    console.success(f"wrote {output}; next: deploy-advisor recommend {output}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of deploy-advisor.yaml."""
    from deploy_advisor.advisor.spec import Spec

    document = Spec.model_json_schema()
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "deploy-advisor.yaml",
        **{k: v for k, v in document.items() if k != "title"},
    }
    console.emit_json(document)


@app.command("catalog")
def catalog_command(
    target: str | None = typer.Option(
        None,
        "--target",
        metavar="TARGET",
        help="Only plans for heroku|vps|docker|kubernetes|edge|serverless.",
    ),
    catalog: Path | None = _O_CATALOG,
    replace_catalog: bool = _O_REPLACE,
    json_output: bool = _O_JSON,
) -> None:
    """List the price catalog: plans, sizes, prices, sources, dates and confidence."""
    from deploy_advisor.advisor.catalog import TARGETS, load_catalog
    from deploy_advisor.errors import InputError

    if json_output:
        console.set_mode(json_output=True, quiet=True)
    cat = load_catalog(catalog, replace=replace_catalog)
    if target is not None and target not in TARGETS:
        raise InputError(f"--target is {target!r}; use one of {', '.join(TARGETS)}")
    if target is None:
        order = {t: i for i, t in enumerate(TARGETS)}
        plans = sorted(cat.plans.values(), key=lambda p: (order[p.target], p.name))
        plans = [p for t in TARGETS for p in cat.plans_for(t) if p.target == t]
    else:
        plans = cat.plans_for(target)
    if json_output:
        console.emit_json(
            {
                "currency": cat.currency,
                "hours_per_month": cat.hours_per_month,
                "amortize_months": cat.amortize_months,
                "plans": [p.to_json() for p in plans],
            }
        )
        return
    from deploy_advisor.advisor.render import render_catalog

    what = f" for {target}" if target else ""
    render_catalog(plans, title=f"Price catalog{what}: {len(plans)} plans, {cat.currency}")


# --- runtime: inspect, example-model, serve ------------------------------------------------


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
    sample: Annotated[
        Path | None,
        typer.Option(
            help="CSV or Parquet rows of training data: correct types, ranges, categories.",
            readable=False,
        ),
    ] = None,
    schema: Annotated[
        Path | None,
        typer.Option(help="JSON input schema replacing the derived one.", readable=False),
    ] = None,
    trust_types: Annotated[
        str | None,
        typer.Option(help="Comma-separated types a .skops file may hold beyond skops' own."),
    ] = None,
    task: Annotated[
        str | None,
        typer.Option(help="Task of a transformers model when its config does not say."),
    ] = None,
) -> None:
    """Load a model in a fresh process and report its columns, output, size, load time, RSS."""
    import json

    from deploy_advisor.intake import inspect_model, sample_payloads
    from deploy_advisor.intake.payloads import write_payloads
    from deploy_advisor.intake.render import print_report

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
    output: str | None = typer.Option(
        None,
        "--output",
        help="predict, predict_proba, decision_function or raw (default: probabilities).",
    ),
    schema: Annotated[
        Path | None, typer.Option("--schema", help="JSON input schema replacing the derived one.")
    ] = None,
    trust_types: str | None = typer.Option(
        None, "--trust-types", help="Comma-separated types a .skops file may hold."
    ),
    task: str | None = typer.Option(
        None, "--task", help="Task of a transformers model when its config does not say."
    ),
    truncate: bool = typer.Option(
        False, "--truncate", help="Cut texts over the model's maximum length (else 422)."
    ),
) -> None:
    """Run the model server locally in the foreground (Ctrl-C stops it)."""
    from deploy_advisor.errors import InputError, ModelError
    from deploy_advisor.runtime.config import (
        EXIT_CANNOT_LISTEN,
        EXIT_STARTUP_FAILURE,
        ConfigError,
        resolve_port,
    )
    from deploy_advisor.runtime.launch import run_in_foreground, server_command
    from deploy_advisor.runtime.loader import OUTPUTS, ModelLoadError

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
    if output is not None:
        if output not in OUTPUTS:
            raise InputError(f"--output {output}: use one of {', '.join(OUTPUTS)}")
        env["MODEL_OUTPUT"] = output
    if schema is not None:
        if not schema.is_file():
            raise InputError(f"--schema {schema} not found; pass a JSON schema file")
        env["MODEL_SCHEMA"] = str(schema.resolve())
    if trust_types:
        env["MODEL_TRUST_TYPES"] = trust_types
    if task:
        env["MODEL_TASK"] = task
    if truncate:
        env["TRUNCATE"] = "on"
    shown = f"[{host}]" if ":" in host else host
    console.info(
        f"serving {argv[argv.index('--model') + 1]} on http://{shown}:{shown_port} (docs: /docs)"
    )
    code, why = run_in_foreground(argv, env)
    if code == EXIT_STARTUP_FAILURE and why:
        raise ModelError(why)  # "cannot load the model: ..."; the log has the details
    if code == EXIT_CANNOT_LISTEN and why:
        raise InputError(f"{why}; pick another --port")
    if code:
        raise typer.Exit(128 - code if code < 0 else code)  # killed by a signal: 128 + signal


# --- targets: scaffold, validate, bench-edge -----------------------------------------------


@app.command()
def scaffold(
    model: Annotated[
        Path,
        typer.Option(
            "--model", help="The trained model file (.joblib, .pkl, .onnx).", readable=False
        ),
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="Directory to write the scaffold into.")],
    target: Annotated[
        str | None,
        typer.Option(help="docker, kubernetes, heroku, vps or edge; default: the advisor's pick."),
    ] = None,
    spec: Annotated[
        Path | None, typer.Option(help="A deploy-advisor.yaml requirements spec.", readable=False)
    ] = None,
    plan: Annotated[str | None, typer.Option(help="Catalog plan to size resources for.")] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Overwrite files you edited or scaffold did not write."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be written; write nothing.")
    ] = False,
    wheelhouse: Annotated[
        bool,
        typer.Option("--wheelhouse", help="Download every wheel into wheels/ for offline builds."),
    ] = False,
    base_image: Annotated[
        str | None,
        typer.Option(help="Base image of the Dockerfile (ARG BASE_IMAGE); python:3.11-slim."),
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="Public host name (Ingress, nginx, TLS).")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Refuse when a platform limit would be hit (heroku).")
    ] = False,
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode",
            help="realtime (a server) or batch (a scoring job); default: the advisor's for "
            "--spec, else realtime.",
        ),
    ] = None,
    max_size_mb: Annotated[
        float | None, typer.Option("--max-size-mb", help="Edge: refuse a larger model.onnx.")
    ] = None,
    accept_drift: Annotated[
        bool,
        typer.Option("--accept-drift", help="Edge: bundle even if ONNX drifts past the tolerance."),
    ] = False,
    quantize: Annotated[
        bool, typer.Option("--quantize", help="Edge: dynamic int8 quantisation, with its drift.")
    ] = False,
) -> None:
    """Write the serving app, model, pinned requirements and target files into a directory."""
    from deploy_advisor.targets.choice import DEFAULT_BASE_IMAGE, ScaffoldFlags, choose
    from deploy_advisor.targets.edge import EdgeOptions
    from deploy_advisor.targets.scaffold import scaffold as write_scaffold

    flags = ScaffoldFlags(
        plan=plan, host_name=host, base_image=base_image, wheelhouse=wheelhouse,
        max_size_mb=max_size_mb, accept_drift=accept_drift, quantize=quantize,
    )  # fmt: skip
    chosen = choose(target=target, mode=mode, spec=spec, flags=flags, model=model)
    for note in chosen.notes:
        console.info(note)
    edge = EdgeOptions(max_size_mb=max_size_mb, accept_drift=accept_drift, quantize=quantize)
    result = write_scaffold(
        model=model, target=chosen.target, out_dir=out, plan=chosen.plan,
        base_image=base_image or DEFAULT_BASE_IMAGE, wheelhouse=wheelhouse, host_name=host,
        force=force, dry_run=dry_run, strict=strict,
        mode="realtime" if chosen.mode == "edge" else chosen.mode, edge=edge,
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
            why = f"  ({action.reason})" if action.action == "conflict" else ""
            console.print(f"{action.action:<10} {action.path}{why}", markup=False, soft_wrap=True)
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    if dry_run:
        console.info(f"dry run: nothing written to {out} ({summary})")
    else:
        for action in result.actions:
            if action.action == "remove":
                console.info(f"removed {action.path} (the previous scaffold's, not in this one)")
        console.success(f"{result.target} scaffold ({chosen.mode}) in {out} ({summary})")
        console.info(f"next: deploy-advisor validate {out}; see {out / 'README.md'}")


@app.command()
def validate(
    directory: Annotated[Path, typer.Argument(help="A scaffold directory written by `scaffold`.")],
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
_BaseImage = Annotated[
    str | None,
    typer.Option(
        "--base-image",
        envvar="DEPLOY_ADVISOR_BASE_IMAGE",
        help="Base image for docker/kubernetes builds (default python:3.11-slim).",
    ),
]


def _seconds(text: str, flag: str) -> float:
    """Parse a duration like `30s`, `2m`, `500ms` or a plain number of seconds."""
    import math

    from deploy_advisor.errors import InputError

    stripped = text.strip().lower()
    number, scale = stripped, 1.0
    for unit, factor in (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if stripped.endswith(unit):
            number, scale = stripped[: -len(unit)], factor
            break
    try:
        seconds = float(number) * scale
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds):
        raise InputError(f"{flag} {text!r} is not a duration; use e.g. 30s, 2m or 500ms")
    return seconds


def _shape(
    rate: float | None,
    users: int | None,
    duration: str,
    ramp: str | None,
    processes: int,
    expect_workers: int = 0,
) -> LoadShape:
    from deploy_advisor.benchmarks.runner import load_shape

    seconds = _seconds(duration, "--duration")
    ramp_s = _seconds(ramp, "--ramp") if ramp is not None else min(5.0, seconds / 5)
    return load_shape(
        rate=rate, users=users, duration_s=seconds, ramp_s=ramp_s, processes=processes,
        expect_workers=expect_workers,
    )  # fmt: skip


def _finish(
    results: list[tuple[dict[str, Any], Path]], *, as_json: bool, as_list: bool = False
) -> None:
    """Print results (tables, or JSON: one object, or a list with `as_list`), then exit 130 if
    interrupted, 4 if nothing answered, 3 if no request succeeded or an SLO failed."""
    from deploy_advisor.benchmarks.render import print_result
    from deploy_advisor.benchmarks.result import outcome_error

    if as_json:
        documents = [result for result, _ in results]
        console.emit_json(documents if as_list else documents[0])
    else:
        for result, run_dir in results:
            print_result(result, run_dir=str(run_dir))
    if any(result["partial"] for result, _ in results):
        console.error("interrupted; the partial result was written")
        raise SystemExit(130)
    error = outcome_error([result for result, _ in results])
    if error is not None:
        raise error


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
    master: Annotated[
        bool, typer.Option("--master", help="Locust master for workers on other machines.")
    ] = False,
    expect_workers: Annotated[
        int, typer.Option("--expect-workers", help="Workers the master waits for.")
    ] = 1,
    worker: Annotated[
        str | None, typer.Option("--worker", help="Be a Locust worker of the master at HOST.")
    ] = None,
    base_image: _BaseImage = None,
) -> None:
    """Load-test a scaffold (launched locally) or a URL with Locust; exit 3 if an SLO fails."""
    from deploy_advisor.benchmarks.session import LoadTestRequest, run_session, run_worker_session
    from deploy_advisor.benchmarks.slo import parse_slos

    if json_output:
        console.set_mode(json_output=True, quiet=True)
    shape = _shape(rate, users, duration, ramp, processes, expect_workers if master else 0)
    if worker is not None:
        run_worker_session(
            master_host=worker, directory=directory, payloads=payloads, shape=shape, out=out
        )
        return
    request = LoadTestRequest(
        directory=directory, url=url, target=target, plan=plan, shape=shape,
        slos=parse_slos(slo) if slo else [], slo_text=slo, run_dir=out,
        find_capacity=find_capacity, force=force, live=not json_output, payloads=payloads,
        base_image=base_image,
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
    json_output: Annotated[
        bool, typer.Option("--json", help="Print only a JSON list: one result per target.")
    ] = False,
    base_image: _BaseImage = None,
) -> None:
    """Run the same load against each target in turn; one run directory per target."""
    from datetime import datetime

    from deploy_advisor.benchmarks.session import (
        LoadTestRequest,
        parse_plans,
        parse_targets,
        run_bench,
    )
    from deploy_advisor.benchmarks.slo import parse_slos

    if json_output:
        console.set_mode(json_output=True, quiet=True)
    names = parse_targets(targets)
    base = LoadTestRequest(
        directory=directory, url=None, target=None, plan=None,
        shape=_shape(rate, users, duration, ramp, 1),
        slos=parse_slos(slo) if slo else [], slo_text=slo, run_dir=None, force=force,
        live=not json_output, base_image=base_image,
    )  # fmt: skip
    parent = out or Path("runs") / f"bench-{datetime.now():%Y%m%d-%H%M%S}"
    results = run_bench(
        directory=directory, targets=names, plans=parse_plans(plans), base=base, out=parent
    )
    _finish(results, as_json=json_output, as_list=True)


# --- reports: report, quickstart -----------------------------------------------------------


@app.command("report")
def report_command(
    run_dirs: Annotated[list[Path], typer.Argument(metavar="RUNDIR...", help="Run directories.")],
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            help="Requirements spec: judge the SLO, price the spec's traffic.",
            readable=False,
        ),
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
        Path | None, typer.Option("--catalog", help="Extra price catalog (YAML).", readable=False)
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


@app.command("quickstart")
def quickstart_command(
    out: Annotated[
        Path, typer.Option("-o", "--out", help="Directory for the spec, scaffolds, runs, report.")
    ] = Path("deploy-advisor-quickstart"),
    duration: Annotated[str, typer.Option("--duration", help="Load per target, e.g. 8s.")] = "8s",
    base_image: Annotated[
        str | None, typer.Option("--base-image", help="Base image of the docker scaffold.")
    ] = None,
    targets: Annotated[
        str | None, typer.Option("--targets", help="Targets to bench, e.g. local,docker.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Reuse a non-empty -o directory.")] = False,
) -> None:
    """On the example model and spec: recommend, scaffold, bench briefly, write the report."""
    from deploy_advisor.benchmarks.session import parse_targets
    from deploy_advisor.quickstart import run_quickstart
    from deploy_advisor.reports.build import build_report
    from deploy_advisor.reports.terminal import render_terminal

    names = parse_targets(targets) if targets is not None else None
    result = run_quickstart(
        out_dir=out, duration_s=_seconds(duration, "--duration"), base_image=base_image,
        targets=names, force=force,
    )  # fmt: skip
    report = build_report(run_dirs=list(result.runs.values()), spec_path=result.spec)
    for renderable in render_terminal(report):
        console.print(renderable)
    for note in result.plan_notes.values():
        console.print(note)
    for name, reason in result.skipped.items():
        console.print(f"not benchmarked: {name} ({reason})")
    console.print(f"HTML report: {result.html}")


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
