"""The bill of materials: what the advisor priced for a target, item by item.

It is the contract between the advice and the files a scaffold writes: the plan, how many
instances (with the headroom for availability), the autoscaling bounds, the load balancer, the
region, the GPU, whether it scales to zero, the batch schedule, and each priced line item.
`monthly_usd` is the sum of the line items, so what is priced is exactly what is listed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from deploy_advisor.advisor.costs import LineItem

if TYPE_CHECKING:
    from deploy_advisor.advisor.costs import PlanCost
    from deploy_advisor.advisor.spec import Spec

__all__ = ["SCHEDULES", "BillOfMaterials", "LineItem", "bill_of_materials"]

#: The cron schedule of a batch run for each freshness.
SCHEDULES = {
    "realtime": "*/5 * * * *",
    "minutes": "*/15 * * * *",
    "hours": "0 * * * *",
    "daily": "0 2 * * *",
    "weekly": "0 2 * * 0",
}


@dataclass(frozen=True)
class BillOfMaterials:
    """What a scaffold must build for the advisor's price to hold."""

    target: str
    mode: str
    plan: str
    provider: str
    instances: int
    min_instances: int
    max_instances: int | None
    load_balancer: str | None
    load_balancer_priced: bool
    region: str | None
    gpu: str | None
    scale_to_zero: bool
    schedule: str | None
    runtime: str | None
    capacity_rps_per_instance: float | None
    peak_rps: float | None
    headroom: str | None
    prerequisites: tuple[str, ...]
    notes: tuple[str, ...]
    line_items: tuple[LineItem, ...]
    monthly_usd: float

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["prerequisites"] = list(self.prerequisites)
        data["notes"] = list(self.notes)
        data["line_items"] = [
            {**asdict(i), "unit_usd": round(i.unit_usd, 6), "monthly_usd": round(i.monthly_usd, 2)}
            for i in self.line_items
        ]
        data["monthly_usd"] = round(self.monthly_usd, 2)
        return data


def bill_of_materials(
    cost: PlanCost, spec: Spec, target: str, *, region: str | None = None
) -> BillOfMaterials:
    """The bill of materials for `cost`, the priced plan of `target`."""
    plan = cost.plan
    lb = next((e for e in cost.extras if e.kind == "load_balancer"), None)
    serverless = plan.kind == "serverless"
    autoscaled = target == "kubernetes" or serverless
    instances = cost.instances
    # a job, or a service that scales to zero; else min instances are kept warm
    scale_to_zero = serverless and (cost.mode == "batch" or instances == 0)
    if scale_to_zero:
        min_instances = 0
    elif cost.mode == "realtime" and target == "kubernetes":
        min_instances = 2 if cost.headroom else 1
    else:
        min_instances = instances
    max_instances: int | None = instances
    if serverless:
        limit = plan.limits.get("max_concurrency")
        max_instances = None if limit is None else int(limit)
    prerequisites: list[str] = []
    notes: list[str] = []
    if cost.mode == "realtime" and autoscaled and not serverless:
        prerequisites.append(
            "metrics-server in the cluster: the HorizontalPodAutoscaler reads pod CPU from it"
        )
    if lb is not None and target == "kubernetes":
        prerequisites.append(
            f"a Service of type LoadBalancer: the cloud creates the priced {lb.name}"
        )
    if lb is not None and target in ("vps", "docker"):
        notes.append(
            f"{instances} instances behind {lb.name}: take the client IP from the balancer "
            "(X-Forwarded-For / PROXY protocol) and set nginx's per-client rate limit from the "
            f"spec's peak ({spec.traffic.peak_rps:g} req/s), not a fixed default"
        )
    if target == "heroku" and instances > 1:
        notes.append(
            f"scale the web process to {instances} dynos (heroku ps:scale web={instances})"
        )
    if serverless and not scale_to_zero and cost.mode == "realtime":
        notes.append(
            f"min instances {instances}, CPU always allocated: cold starts would land in the "
            "p95 budget, so the price keeps instances warm"
        )
    if cost.mode == "batch" and target in ("vps", "docker") and not serverless:
        timer = "a systemd timer" if target == "vps" else "cron on the Docker host"
        notes.append(f"an always-on VM runs the job from {timer}")
    return BillOfMaterials(
        target=target,
        mode=cost.mode,
        plan=plan.name,
        provider=plan.provider,
        instances=instances,
        min_instances=min(min_instances, instances),
        max_instances=max_instances,
        load_balancer=lb.name if lb else None,
        load_balancer_priced=lb is not None,
        region=region,
        gpu=plan.gpu,
        scale_to_zero=scale_to_zero,
        schedule=SCHEDULES[spec.latency.freshness] if cost.mode == "batch" else None,
        runtime=plan.runtime,
        capacity_rps_per_instance=cost.capacity_rps,
        peak_rps=float(spec.traffic.peak_rps) if cost.mode == "realtime" else None,
        headroom=cost.headroom,
        prerequisites=tuple(prerequisites),
        notes=tuple(notes),
        line_items=cost.items,
        monthly_usd=sum(i.monthly_usd for i in cost.items),
    )
