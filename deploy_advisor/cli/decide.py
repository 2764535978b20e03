"""Deciding how to deploy: `recommend`, `init`, `schema` and `catalog`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NamedTuple

import typer

from deploy_advisor import console
from deploy_advisor.cli.app import app, json_option
from deploy_advisor.cli.options import options_of, with_options
from deploy_advisor.cli.spec_flags import SPEC_FLAGS_HELP, with_spec_flags

__all__ = ["catalog_command", "init", "recommend", "schema"]


class _Prices(NamedTuple):
    """Which price catalog to read: the packaged one, extended or replaced by `path`."""

    path: Path | None
    replace: bool


def _price_options(
    catalog: Annotated[
        Path | None,
        typer.Option(
            "--catalog",
            metavar="FILE",
            help="Price catalog YAML that extends the packaged one.",
            readable=False,
        ),
    ] = None,
    replace_catalog: Annotated[
        bool,
        typer.Option(
            "--replace-catalog", help="Use only the --catalog file, not the packaged catalog."
        ),
    ] = False,
) -> _Prices:
    return _Prices(catalog, replace_catalog)


_with_prices = with_options("prices", options_of(_price_options), _price_options)
_Json = Annotated[bool, json_option("Print exactly one JSON object.")]


@app.command(epilog=SPEC_FLAGS_HELP)
@with_spec_flags
@_with_prices
def recommend(
    *,
    spec: Annotated[
        Path | None,
        typer.Argument(
            metavar="SPEC",
            help="Requirements spec [default: ./deploy-advisor.yaml if present].",
            readable=False,  # our reader says what is wrong in one line
            show_default=False,
        ),
    ] = None,
    overrides: dict[str, Any],
    weights: Annotated[
        Path | None,
        typer.Option(
            "--weights",
            metavar="FILE",
            help="Weights YAML overriding the packaged weights.",
            readable=False,
        ),
    ] = None,
    prices: _Prices,
    rps_per_vcpu: Annotated[
        str | None,
        typer.Option(
            "--rps-per-vcpu",
            metavar="RPS",
            help="Measured requests/s per vCPU [default: 100, assumed].",
        ),
    ] = None,
    json_output: _Json = False,
) -> None:
    """Recommend a mode (realtime, batch, edge), a target and a plan, with the reasons."""
    from deploy_advisor.advisor.inputs import recommend_from_flags

    result = recommend_from_flags(
        spec_path=spec, overrides=overrides, weights_path=weights,
        catalog_path=prices.path, replace_catalog=prices.replace, rps_per_vcpu=rps_per_vcpu,
    )  # fmt: skip
    if json_output:
        console.emit_json(result.to_json())
        return
    from deploy_advisor.advisor.render import render_recommendation

    render_recommendation(result)


@app.command(epilog=SPEC_FLAGS_HELP)
@with_spec_flags
def init(
    *,
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="FILE", help="File to write.")
    ] = Path("deploy-advisor.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Ask nothing: take the defaults plus the flags.")
    ] = False,
    overrides: dict[str, Any],
) -> None:
    """Ask about the deployment and write deploy-advisor.yaml (never overwrites without --force)."""
    from deploy_advisor.advisor.initspec import init_spec

    init_spec(output=output, overrides=overrides, force=force, interactive=not no_input)
    console.success(f"wrote {output}; next: deploy-advisor recommend {output}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of deploy-advisor.yaml."""
    from deploy_advisor.advisor.spec import json_schema

    console.emit_json(json_schema())


@app.command("catalog")
@_with_prices
def catalog_command(
    *,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            metavar="TARGET",
            help="Only plans for heroku|vps|docker|kubernetes|edge|serverless.",
        ),
    ] = None,
    prices: _Prices,
    json_output: _Json = False,
) -> None:
    """List the price catalog: plans, sizes, prices, sources, dates and confidence."""
    from deploy_advisor.advisor.catalog import load_catalog

    cat = load_catalog(prices.path, replace=prices.replace)
    plans = cat.listing(target)
    if json_output:
        console.emit_json(cat.listing_json(plans))
        return
    from deploy_advisor.advisor.render import render_catalog

    what = f" for {target}" if target else ""
    render_catalog(plans, title=f"Price catalog{what}: {len(plans)} plans, {cat.currency}")
