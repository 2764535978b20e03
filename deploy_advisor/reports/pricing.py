"""Which catalog plan prices a run, and the platform fees that come with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from deploy_advisor.errors import CatalogError

__all__ = ["CatalogLike", "PlanLike", "PlanPrice", "platform_fee", "resolve_plan"]


class PlanLike(Protocol):
    """The fields of `advisor.catalog.PricePlan` that a report reads."""

    name: str
    provider: str
    target: str
    vcpu: float | None
    memory_mb: float | None
    usd_per_hour: float
    usd_per_month: float
    source: str
    as_of: str
    confidence: str


class CatalogLike(Protocol):
    def plan(self, name: str) -> PlanLike: ...

    def plans_for(self, target: str) -> list[PlanLike]: ...


@dataclass(frozen=True)
class PlanPrice:
    """A catalog plan as a report shows it; `assumed` when the run did not name its plan."""

    name: str
    provider: str
    target: str
    vcpu: float | None
    memory_mb: float | None
    usd_per_hour: float
    usd_per_month: float
    source: str
    as_of: str
    confidence: str
    assumed: bool = False

    @classmethod
    def of(cls, plan: PlanLike, *, assumed: bool = False) -> PlanPrice:
        return cls(
            name=plan.name,
            provider=plan.provider,
            target=plan.target,
            vcpu=plan.vcpu,
            memory_mb=plan.memory_mb,
            usd_per_hour=float(plan.usd_per_hour),
            usd_per_month=float(plan.usd_per_month),
            source=str(plan.source),
            as_of=str(plan.as_of),
            confidence=str(plan.confidence),
            assumed=assumed,
        )


def _is_fee(plan: PlanLike) -> bool:
    return "control-plane" in plan.name or "control plane" in plan.name


def resolve_plan(
    *, target: str, plan_name: str | None, catalog: CatalogLike, advised: str | None = None
) -> tuple[PlanPrice | None, str | None]:
    """The plan that prices a run, and a note when it was assumed or is missing."""
    if plan_name:
        try:
            return PlanPrice.of(catalog.plan(plan_name)), None
        except CatalogError:
            return None, f"plan {plan_name} is not in the price catalog; no cost"
    if advised:
        try:
            return PlanPrice.of(catalog.plan(advised), assumed=True), (
                f"run named no plan; priced as the advisor's {advised}"
            )
        except CatalogError:
            pass
    candidates = [p for p in catalog.plans_for(target) if not _is_fee(p)]
    if not candidates:
        return None, f"run named no plan and the catalog has no {target} plan; no cost"
    cheapest = min(candidates, key=lambda p: (p.usd_per_hour, p.name))
    return PlanPrice.of(cheapest, assumed=True), (
        f"run named no plan; priced as the cheapest {target} plan, {cheapest.name}"
    )


def platform_fee(*, plan: PlanPrice, catalog: CatalogLike) -> tuple[float, str | None]:
    """Monthly platform fees on top of the instances: a Kubernetes control plane."""
    if plan.target != "kubernetes":
        return 0.0, None
    fees = [p for p in catalog.plans_for("kubernetes") if _is_fee(p)]
    same = [p for p in fees if p.provider == plan.provider] or fees
    if not same:
        return 0.0, "the catalog has no Kubernetes control-plane price; fee counted as $0"
    fee = min(same, key=lambda p: p.usd_per_month)
    return float(fee.usd_per_month), f"includes {fee.name} ${fee.usd_per_month:,.2f}/month"
