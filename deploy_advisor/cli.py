"""The `deploy-advisor` command line: each command parses its options, calls one library
function and renders what comes back. Heavy libraries are imported inside the commands so
that start-up stays fast."""

from __future__ import annotations

import os
import sys
from pathlib import Path

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
    None, "--catalog", metavar="FILE", help="Price catalog YAML that extends the packaged one."
)
_O_REPLACE = typer.Option(
    False, "--replace-catalog", help="Use only the --catalog file, not the packaged catalog."
)
_O_JSON = typer.Option(False, "--json", help="Print exactly one JSON object.")
_A_SPEC = typer.Argument(
    None,
    metavar="SPEC",
    help="Requirements spec [default: ./deploy-advisor.yaml if present].",
    show_default=False,
)
_O_WEIGHTS = typer.Option(
    None, "--weights", metavar="FILE", help="Weights YAML overriding the packaged weights."
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
    overrides = flag_overrides(
        name=name,
        model=model,
        model_size_mb=model_size_mb,
        gpu=gpu,
        p95_ms=p95_ms,
        freshness=freshness,
        requests_per_day=requests_per_day,
        peak_rps=peak_rps,
        pattern=pattern,
        batch_rows=batch_rows,
        pii=pii,
        on_device_only=on_device_only,
        region=region,
        connectivity=connectivity,
        budget=budget,
        ops_skill=ops_skill,
        availability=availability,
    )
    rate = positive_number(rps_per_vcpu, "--rps-per-vcpu")
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
    from deploy_advisor.advisor.initspec import ask, spec_to_yaml, write_spec
    from deploy_advisor.advisor.inputs import flag_overrides
    from deploy_advisor.advisor.inputs import model_size_mb as size_of
    from deploy_advisor.advisor.spec import merge_overrides, spec_from_mapping
    from deploy_advisor.errors import InputError

    if output.exists() and not force:
        raise InputError(f"{str(output)!r} already exists; pass --force to overwrite it")
    overrides = flag_overrides(
        name=name,
        model=model,
        model_size_mb=model_size_mb,
        gpu=gpu,
        p95_ms=p95_ms,
        freshness=freshness,
        requests_per_day=requests_per_day,
        peak_rps=peak_rps,
        pattern=pattern,
        batch_rows=batch_rows,
        pii=pii,
        on_device_only=on_device_only,
        region=region,
        connectivity=connectivity,
        budget=budget,
        ops_skill=ops_skill,
        availability=availability,
    )
    if isinstance(model, str) and model and "model.size_mb" not in overrides:
        size = size_of(Path(model))
        if size is not None:
            overrides["model.size_mb"] = size
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
    write_spec(output, spec_to_yaml(spec), force=force)
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
