"""The plan a scaffold is sized for: a catalog plan by name, or the target's default."""

from __future__ import annotations

from deploy_advisor.advisor.catalog import load_catalog
from deploy_advisor.errors import CatalogError
from deploy_advisor.targets.base import PlanSize, Target

__all__ = ["resolve_plan"]


def resolve_plan(target: Target, name: str | None, *, any_target: bool = False) -> PlanSize:
    """The named plan, else the target's default plan, else its smallest plan with compute.

    With `any_target`, a named plan of another target is taken for its size: a container can
    emulate any machine's CPU and memory (e.g. a Heroku dyno's 512 MiB)."""
    catalog = load_catalog()
    chosen = catalog.plan(name) if name is not None else None
    plans = {p.name: p for p in catalog.plans_for(target.name) if p.memory_mb}
    if chosen is not None:
        if chosen.name not in plans and chosen.memory_mb and not any_target:
            raise CatalogError(
                f"plan {chosen.name!r} is a {chosen.target} plan, not one for {target.name}; "
                f"`deploy-advisor catalog` lists the {target.name} plans"
            )
        return PlanSize.of(chosen)
    if target.default_plan in plans:
        return PlanSize.of(plans[target.default_plan])
    if not plans:
        raise CatalogError(f"the catalog has no plan for {target.name}; pass --plan NAME")
    return PlanSize.of(min(plans.values(), key=lambda p: (p.memory_mb or 0, p.usd_per_month or 0)))
