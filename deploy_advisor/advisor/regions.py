"""Regions: which names `privacy.region` accepts, and which plans keep the data there.

A region is either an area (us, eu, ca, ap, sa: every provider region in it) or one provider's
own region id (us-east-1, eu-central, europe-west1). The catalog lists each provider's regions;
a plan whose provider has none there is ruled out (data residency is a hard constraint).
Devices (edge) keep the data where they are, so the region never rules them out.
"""

from __future__ import annotations

from deploy_advisor.advisor.catalog import Catalog, PricePlan
from deploy_advisor.errors import SpecError

__all__ = ["AREAS", "check_region", "region_block", "region_price_risk", "regions_of"]

#: Each area and the prefixes of the provider region ids inside it.
AREAS: dict[str, tuple[str, ...]] = {
    "us": ("us-", "us", "eastus", "westus", "centralus"),
    "eu": (
        "eu-", "eu", "europe-", "gb-", "de-", "fr-", "nl-", "se-", "it-", "es-", "northeurope",
        "westeurope", "uksouth", "germanywestcentral", "francecentral", "swedencentral",
    ),
    "ca": ("ca-", "canada"),
    "ap": ("ap-", "asia-", "australia", "jp-", "in-", "id-", "southeastasia", "japaneast"),
    "sa": ("sa-", "southamerica-", "br-", "brazilsouth"),
}  # fmt: skip


def _in_area(region: str, area: str) -> bool:
    return any(region.startswith(prefix) for prefix in AREAS[area])


def regions_of(plan: PricePlan, catalog: Catalog, wanted: str) -> tuple[str, ...]:
    """The provider regions of `plan` that are `wanted` (an area or a region id)."""
    key = wanted.strip().lower()
    listed = catalog.regions(plan.provider)
    if key in AREAS:
        return tuple(r for r in listed if _in_area(r.lower(), key))
    return tuple(r for r in listed if r.lower() == key)


def region_block(plan: PricePlan, catalog: Catalog, wanted: str | None) -> str | None:
    """Why `plan` cannot keep the data in `wanted`, or None."""
    if wanted is None or plan.kind == "device":
        return None
    if regions_of(plan, catalog, wanted):
        return None
    listed = catalog.regions(plan.provider)
    if not listed:
        return f"the catalog lists no regions for {plan.provider}; the data must stay in {wanted}"
    return f"{plan.provider} has no region in {wanted} (its regions: {', '.join(listed[:8])}...)"


def check_region(wanted: str | None, catalog: Catalog) -> None:
    """Refuse a region no provider in the catalog has (e.g. a typo)."""
    if wanted is None:
        return
    key = wanted.strip().lower()
    known = sorted({r.lower() for p in catalog.providers for r in catalog.regions(p)})
    if key in AREAS or key in known:
        return
    raise SpecError(
        f"--region / privacy.region is {wanted!r}, which is not a region in the catalog; use an "
        f"area ({', '.join(AREAS)}) or a provider's region, e.g. us-east-1 or eu-west-1 (AWS), "
        "eu-central (Linode), europe-west1 (Google), westeurope (Azure)"
    )


def region_price_risk(plan: PricePlan, catalog: Catalog, wanted: str | None) -> str | None:
    """A warning when the provider prices the wanted region apart from its list prices."""
    if wanted is None:
        return None
    apart = catalog.providers.get(plan.provider, {}).get("region_prices") or {}
    hits = [r for r in regions_of(plan, catalog, wanted) if r in apart]
    if not hits or len(hits) < len(regions_of(plan, catalog, wanted)):
        return None  # another region in the area has the list price
    return (
        f"{plan.provider} prices {', '.join(hits)} apart from its list prices "
        f"({apart[hits[0]]}); the catalog has only the list prices: check that page"
    )
