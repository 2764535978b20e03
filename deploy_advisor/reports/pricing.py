"""Which catalog plan prices a run, and the platform fees that come with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from deploy_advisor.errors import CatalogError
from deploy_advisor.targets.registry import target_class

if TYPE_CHECKING:
    from deploy_advisor.advisor.catalog import Catalog, PricePlan
    from deploy_advisor.advisor.spec import Spec

__all__ = ["PlanPrice", "per_use_month", "platform_fee", "run_plan"]


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
    min_instances: int = 1
    control_plane: str | None = None
    per_use: bool = False
    """Billed per request and compute second (Cloud Run, SageMaker Serverless): no $/hour."""

    @classmethod
    def of(
        cls, plan: PricePlan, *, hours_per_month: float, assumed: bool = False,
        per_use: bool = False,
    ) -> PlanPrice:  # fmt: skip
        """Both prices filled in: the catalog gives one or both, the other follows from hours."""
        per_hour, per_month = plan.usd_per_hour, plan.usd_per_month
        if per_hour is None and per_month is not None:
            per_hour = per_month / hours_per_month
        if per_month is None and per_hour is not None:
            per_month = per_hour * hours_per_month
        return cls(
            name=plan.name,
            provider=plan.provider,
            target=plan.target,
            vcpu=plan.compute_vcpu,
            memory_mb=plan.memory_mb,
            usd_per_hour=float(per_hour or 0.0),
            usd_per_month=float(per_month or 0.0),
            source=plan.source or "",
            as_of=plan.as_of or "undated",
            confidence=str(plan.confidence),
            assumed=assumed,
            min_instances=plan.min_nodes if plan.kind == "node" else 1,
            control_plane=plan.control_plane,
            per_use=per_use,
        )


def _priced(plan: PricePlan) -> bool:
    """A plan a run can be priced as: an instance or node with a price, not a fee or a device."""
    has_price = plan.usd_per_hour is not None or plan.usd_per_month is not None
    return plan.kind in ("instance", "node") and has_price


def run_plan(
    *, target: str, plan_name: str | None, catalog: Catalog, advised: str | None = None,
    scaled_to_zero: bool = False,
) -> tuple[PlanPrice | None, str | None]:  # fmt: skip
    """The plan that prices a run, and a note when it was assumed or is missing. A run that
    scaled to zero on a per-use plan is priced per use."""
    hours = catalog.hours_per_month
    if plan_name:
        try:
            named = catalog.plan(plan_name)
        except CatalogError:
            return None, f"plan {plan_name} is not in the price catalog; no cost"
        if scaled_to_zero and named.kind == "serverless" and named.usage:
            return PlanPrice.of(named, hours_per_month=hours, per_use=True), None
        if not _priced(named):
            return (
                None,
                f"plan {plan_name} is priced per use ({named.kind}), not per instance; no cost",
            )
        return PlanPrice.of(named, hours_per_month=hours), None
    pick = catalog.plans.get(advised) if advised else None
    if pick is not None and _priced(pick):
        return PlanPrice.of(pick, hours_per_month=hours, assumed=True), (
            f"run named no plan; priced as the advisor's {pick.name}"
        )
    candidates = [p for p in catalog.plans_for(target) if _priced(p)]
    if not candidates:
        return None, f"run named no plan and the catalog has no {target} plan; no cost"
    cheapest = candidates[0]  # plans_for lists the cheapest first
    return PlanPrice.of(cheapest, hours_per_month=hours, assumed=True), (
        f"run named no plan; priced as the cheapest {target} plan, {cheapest.name}"
    )


def platform_fee(*, plan: PlanPrice, catalog: Catalog) -> tuple[float, str | None]:
    """Monthly platform fees on top of the instances: the node plan's Kubernetes control plane."""
    traits = target_class(plan.target)
    if traits is None or not traits.runs_on_nodes:
        return 0.0, None
    if plan.control_plane is None:
        return 0.0, f"{plan.name} names no control plane in the catalog; fee counted as $0"
    fee = PlanPrice.of(catalog.plan(plan.control_plane), hours_per_month=catalog.hours_per_month)
    return fee.usd_per_month, f"includes {fee.name} ${fee.usd_per_month:,.2f}/month"


def per_use_month(
    *, plan: PlanPrice, spec: Spec | None, catalog: Catalog, capacity_rps: float | None
) -> tuple[float | None, str | None]:
    """A per-use plan's $/month for the spec's traffic, by the advisor's formulas, with the compute
    time per request the run measured (plan vCPU ÷ capacity); None and why when not priced."""
    if spec is None:
        return None, f"{plan.name} is billed per use; pass --spec for the traffic to price it"
    if not capacity_rps:
        return None, None  # the capacity's own note says why
    from deploy_advisor.advisor.costs import Ineligible, plan_cost

    priced = plan_cost(
        catalog.plan(plan.name), spec, "realtime", catalog,
        rps_per_vcpu=capacity_rps / (plan.vcpu or 1.0),
    )  # fmt: skip
    if isinstance(priced, Ineligible):
        return None, f"not priced: {priced.reason}"
    return priced.monthly_usd, "billed per use: " + priced.breakdown[0]
