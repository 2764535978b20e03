"""Deciding how to deploy: `recommend`, `init`, `schema` and `catalog`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from deploy_advisor import console
from deploy_advisor.cli import params
from deploy_advisor.cli.app import app
from deploy_advisor.cli.options import with_options
from deploy_advisor.cli.spec_flags import SPEC_FLAGS_HELP, with_spec_flags

__all__ = ["catalog_command", "init", "recommend", "schema"]


class _Prices(NamedTuple):
    """Which price catalog to read: the packaged one, extended or replaced by `path`."""

    path: Path | None
    replace: bool


def _price_options(
    catalog: params.Catalog = None, replace_catalog: params.ReplaceCatalog = False
) -> _Prices:
    return _Prices(catalog, replace_catalog)


_with_prices = with_options(_price_options, into="prices")


@app.command(epilog=SPEC_FLAGS_HELP)
@with_spec_flags
@_with_prices
def recommend(
    *, spec: params.SpecArgument = None, overrides: dict[str, Any], weights: params.Weights = None,
    prices: _Prices, rps_per_vcpu: params.RpsPerVcpu = None, json_output: params.AdviceJson = False,
    details: params.Details = False,
) -> None:  # fmt: skip
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

    render_recommendation(result, details=details)


@app.command(epilog=SPEC_FLAGS_HELP)
@with_spec_flags
def init(
    *, output: params.SpecOutput = Path("deploy-advisor.yaml"), force: params.SpecForce = False,
    no_input: params.NoInput = False, overrides: dict[str, Any],
) -> None:  # fmt: skip
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
    *, target: params.CatalogTarget = None, prices: _Prices, json_output: params.AdviceJson = False
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
