"""Hard constraints: what rules a mode, a target or a plan out before any scoring.

* Connectivity offline, or data that may not leave the device, or a latency budget below a
  network round trip, rule out the server modes (realtime, batch): only edge is left.
* A GPU rules out plans without one (so all of Heroku, and serverless inference). A model that
  does not fit a plan's memory rules that plan out. Limits from the catalog (request timeouts,
  slug size, plans that sleep) rule plans out when the spec crosses them.
* `cloud.provider` rules out the managed cloud services of other clouds (`advisor.managed`);
  cold starts that land in the p95 budget rule out a serverless plan that cannot be kept warm
  (`advisor.coldstart`).
"""

from __future__ import annotations

from deploy_advisor.advisor.capacity import OS_RESERVED_MB, worker_memory_mb, workers_that_fit
from deploy_advisor.advisor.catalog import PricePlan
from deploy_advisor.advisor.spec import NETWORK_ROUND_TRIP_MS, Spec

__all__ = [
    "HA_AVAILABILITY",
    "HA_CONTROL_PLANE_AVAILABILITY",
    "MODES",
    "SERVER_TARGETS",
    "TARGETS",
    "mode_blocks",
    "plan_block",
    "reserved_mb",
]

MODES = ("realtime", "batch", "edge")
SERVER_TARGETS = ("heroku", "vps", "docker", "kubernetes", "sagemaker", "cloud-run", "azure-ml")
TARGETS = (*SERVER_TARGETS, "edge")
#: At or above this availability a service runs on at least two instances.
HA_AVAILABILITY = 99.9
#: At or above this availability a Kubernetes cluster uses an HA control plane where offered.
HA_CONTROL_PLANE_AVAILABILITY = 99.95


def mode_blocks(spec: Spec) -> dict[str, str]:
    """Modes ruled out by the spec alone, with the reason."""
    reason = None
    if spec.connectivity == "offline":
        reason = (
            "connectivity is offline: nothing can reach a server, the model must run on the device"
        )
    elif spec.privacy.on_device_only:
        reason = "privacy.on_device_only: the data may not leave the device"
    elif spec.latency.p95_ms is not None and spec.latency.p95_ms < NETWORK_ROUND_TRIP_MS:
        reason = (
            f"p95 {spec.latency.p95_ms:g} ms is below a network round trip "
            f"(~{NETWORK_ROUND_TRIP_MS:g} ms): only on-device inference answers in time"
        )
    if reason is None:
        return {}
    return {"realtime": reason, "batch": reason}


def reserved_mb(plan: PricePlan) -> float:
    """Memory the platform keeps from the plan before the model server gets any."""
    if "os_reserved_mb" in plan.limits:
        return float(plan.limits["os_reserved_mb"])
    return 0.0 if plan.kind == "serverless" else OS_RESERVED_MB


def plan_block(plan: PricePlan, spec: Spec, mode: str) -> str | None:
    """Why `plan` cannot serve this spec in `mode`, or None when it can."""
    if spec.model.gpu and not plan.gpu:
        if plan.kind == "serverless":
            return f"{plan.name} is serverless inference: CPU only, no GPU"
        return f"{plan.name} has no GPU"
    if plan.memory_mb is not None:
        reserve = reserved_mb(plan)
        if workers_that_fit(plan.memory_mb, spec.model.size_mb, reserved_mb=reserve) < 1:
            need = worker_memory_mb(spec.model.size_mb) + reserve
            return (
                f"the model needs about {need:,.0f} MB ({spec.model.size_mb:g} MB file loaded "
                f"in memory plus the runtime); {plan.name} has {plan.memory_mb:,.0f} MB"
            )
    limits = plan.limits
    slug = limits.get("slug_max_mb")
    if slug is not None and spec.model.size_mb > slug:
        return f"the model ({spec.model.size_mb:g} MB) is larger than the {slug:g} MB slug limit"
    p95 = spec.latency.p95_ms
    if mode == "realtime" and p95 is not None:
        for key, what in (
            ("request_timeout_s", "router timeout"),
            ("invocation_timeout_s", "invocation timeout"),
        ):
            limit = limits.get(key)
            if limit is not None and p95 > limit * 1000:
                return f"p95 {p95:g} ms is longer than the {limit:g} s {what}"
    payload_mb = limits.get("payload_max_mb")
    if (
        mode == "realtime"
        and payload_mb is not None
        and spec.traffic.payload_kb > payload_mb * 1024
    ):
        return (
            f"a {spec.traffic.payload_kb:g} KB request is over the {payload_mb:g} MB payload limit "
            f"of {plan.name}"
        )
    max_availability = limits.get("max_availability_pct")
    if mode != "batch" and max_availability is not None and spec.availability > max_availability:
        detail = ""
        if "sleep_after_idle_min" in limits:
            detail = f" (it sleeps after {limits['sleep_after_idle_min']:g} idle minutes)"
        return (
            f"availability {spec.availability:g}% is above what {plan.name} gives"
            f"{detail}; it suits {max_availability:g}% or less"
        )
    if mode == "batch" and plan.kind == "serverless" and not _has_job_pricing(plan):
        return f"{plan.name} serves requests; it has no job pricing for batch runs"
    return None


def _has_job_pricing(plan: PricePlan) -> bool:
    return "jobs_usd_per_vcpu_second" in plan.usage
