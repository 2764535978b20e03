"""The plan a scaffold is sized for: a catalog plan by name, or the target's default."""

from __future__ import annotations

from typing import Any

from deploy_advisor.errors import CatalogError
from deploy_advisor.targets.base import PlanSize, Target

__all__ = ["resolve_plan"]

# Used only while the advisor's price catalog is not available: the same names and sizes.
_FALLBACK: dict[str, PlanSize] = {
    p.name or "": p
    for p in (
        PlanSize("heroku-basic", 1.0, 512, "heroku"),
        PlanSize("heroku-standard-1x", 1.0, 512, "heroku"),
        PlanSize("heroku-standard-2x", 1.0, 1024, "heroku"),
        PlanSize("heroku-performance-m", 2.0, 2560, "heroku"),
        PlanSize("linode-2gb", 1.0, 2048, "linode"),
        PlanSize("linode-4gb", 2.0, 4096, "linode"),
        PlanSize("linode-8gb", 4.0, 8192, "linode"),
    )
}


def _catalog() -> Any | None:
    try:
        from deploy_advisor.advisor.catalog import load_catalog  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return load_catalog()


def _size(plan: Any) -> PlanSize:
    vcpu = float(plan.vcpu) if plan.vcpu else 1.0
    return PlanSize(plan.name, vcpu, int(plan.memory_mb), str(plan.provider))


def resolve_plan(target: Target, name: str | None) -> PlanSize:
    """The named plan, else the target's default plan, else the smallest plan of that target."""
    catalog = _catalog()
    wanted = name or target.default_plan
    if catalog is None:
        if wanted is None:
            return PlanSize(None, 1.0, 2048)
        if wanted not in _FALLBACK:
            known = ", ".join(_FALLBACK)
            raise CatalogError(f"unknown plan {wanted!r}; pass --plan with one of: {known}")
        return _FALLBACK[wanted]
    if name is not None:
        return _size(catalog.plan(name))
    # Control planes and load balancers have no memory: they are not a size to run on.
    plans = {p.name: p for p in catalog.plans_for(target.name) if p.memory_mb}
    if wanted in plans:
        return _size(plans[wanted])
    if plans:
        return _size(min(plans.values(), key=lambda p: (p.memory_mb, p.usd_per_month or 0)))
    return PlanSize(None, 1.0, 2048)
