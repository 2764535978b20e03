"""The cost arithmetic of a report, kept in one place so the formulas printed under the table
are the formulas used."""

from __future__ import annotations

from dataclasses import dataclass

from deploy_advisor.advisor.capacity import HOURS_PER_MONTH, instances_needed
from deploy_advisor.advisor.constraints import HA_AVAILABILITY
from deploy_advisor.reports.run_capacity import HELD_TOLERANCE, CapacitySource

__all__ = [
    "DAYS_PER_MONTH",
    "FORMULAS",
    "HOURS_PER_MONTH",
    "PER_USE_FORMULA",
    "Cost",
    "cost_of",
    "per_use_cost",
]

DAYS_PER_MONTH = HOURS_PER_MONTH / 24

FORMULAS = (
    "capacity = req/s at the SLO from the capacity search (measured), else the offered rate of a "
    f"fixed-rate run that achieved it within {HELD_TOLERANCE:.0%} with no error, a lower bound "
    "(held), else the achieved req/s of a run that met the SLO with the load generator not the "
    "bottleneck (achieved), else the advisor's default of req/s per vCPU × plan vCPU (default); "
    "none for a run whose errors break the error budget or that had no successful request",
    "Kubernetes node capacity = capacity ÷ replicas measured × replicas that fit on one node "
    "(by the replicas' CPU and memory limits)",
    "instances = ceil(spec peak req/s ÷ capacity), plus one spare (N+1) when the spec's "
    f"availability is {HA_AVAILABILITY:g}% or more (the advisor's bill of materials), at least "
    "the plan's minimum (a Kubernetes node pool's minimum nodes, else 1); that minimum without "
    "a spec",
    "$/hour = plan $/hour × instances",
    "$/month = plan $/month × instances + platform fees (Kubernetes control plane)",
    "$/1M = plan $/hour ÷ (capacity × 3600) × 1,000,000 (one instance fully used)",
    f"$/1M at spec = $/month ÷ (spec requests/day × {DAYS_PER_MONTH:.2f} days) × 1,000,000",
)

PER_USE_FORMULA = (
    "per use (a run that scaled to zero on Cloud Run or SageMaker Serverless): $/month = the "
    "advisor's per-use price of the spec's requests/day, free tier included, at a compute time "
    "per request of plan vCPU ÷ capacity; no instances, $/hour or $/1M at full use"
)


@dataclass(frozen=True)
class Cost:
    """What one run's plan costs for the spec's traffic."""

    capacity_rps: float | None
    capacity_source: CapacitySource
    instances: int | None
    usd_per_hour: float | None
    usd_per_month: float | None
    platform_fee_month: float
    usd_per_1m: float | None
    usd_per_1m_spec: float | None
    capacity_lower_bound: bool = False


def cost_of(
    *,
    plan_usd_per_hour: float | None,
    plan_usd_per_month: float | None,
    platform_fee_month: float,
    capacity_rps: float | None,
    capacity_source: CapacitySource,
    peak_rps: float | None,
    requests_per_day: float | None,
    min_instances: int = 1,
    capacity_lower_bound: bool = False,
    availability: float | None = None,
) -> Cost:
    """Apply FORMULAS to one plan; unknown inputs give None rather than a guess."""
    spare = 1 if availability is not None and availability >= HA_AVAILABILITY else 0
    if peak_rps is None:
        instances: int | None = min_instances
    elif capacity_rps:
        instances = max(min_instances, instances_needed(peak_rps, capacity_rps) + spare)
    else:
        instances = None
    per_hour = _times(plan_usd_per_hour, instances)
    per_month = _times(plan_usd_per_month, instances)
    if per_month is not None:
        per_month += platform_fee_month
    per_1m = (
        plan_usd_per_hour / (capacity_rps * 3600) * 1e6
        if plan_usd_per_hour is not None and capacity_rps
        else None
    )
    return Cost(
        capacity_rps=capacity_rps,
        capacity_source=capacity_source,
        instances=instances,
        usd_per_hour=per_hour,
        usd_per_month=per_month,
        platform_fee_month=platform_fee_month,
        usd_per_1m=per_1m,
        usd_per_1m_spec=_at_spec(per_month, requests_per_day),
        capacity_lower_bound=capacity_lower_bound,
    )


def per_use_cost(
    *,
    usd_per_month: float | None,
    capacity_rps: float | None,
    capacity_source: CapacitySource,
    requests_per_day: float | None,
    capacity_lower_bound: bool = False,
) -> Cost:
    """A per-use plan's cost: its $/month at the spec's traffic and that per 1M requests."""
    return Cost(
        capacity_rps=capacity_rps,
        capacity_source=capacity_source,
        instances=0,
        usd_per_hour=None,
        usd_per_month=usd_per_month,
        platform_fee_month=0.0,
        usd_per_1m=None,
        usd_per_1m_spec=_at_spec(usd_per_month, requests_per_day),
        capacity_lower_bound=capacity_lower_bound,
    )


def _at_spec(per_month: float | None, requests_per_day: float | None) -> float | None:
    """$/1M at spec: a month's cost over a month of the spec's requests."""
    if per_month is None or not requests_per_day:
        return None
    return per_month / (requests_per_day * DAYS_PER_MONTH) * 1e6


def _times(price: float | None, instances: int | None) -> float | None:
    return price * instances if price is not None and instances is not None else None
