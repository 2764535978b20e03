"""Numbers derived from the plan and the measured model: workers, probes, grace periods."""

from __future__ import annotations

import math

from deploy_advisor.targets.base import ModelFacts, PlanSize, RenderContext

__all__ = [
    "SERVER_OVERHEAD_MB",
    "STARTUP_MARGIN",
    "cpus",
    "image_name",
    "start_period_s",
    "workers_for",
]

# Memory of one idle server process (Python, numpy, the ASGI server) before the model loads.
SERVER_OVERHEAD_MB = 90.0
# The startup probe and healthcheck allow this many times the measured load time.
STARTUP_MARGIN = 3


def workers_for(plan: PlanSize, model: ModelFacts) -> int:
    """One worker per vCPU, no more than 80% of the plan's memory can hold."""
    per_worker = SERVER_OVERHEAD_MB + model.rss_mb
    by_memory = math.floor(plan.memory_mb * 0.8 / per_worker)
    return max(1, min(max(1, round(plan.vcpu)), by_memory))


def start_period_s(ctx: RenderContext) -> int:
    """Seconds a health check waits before counting failures: the load time with a margin."""
    return max(10, math.ceil(STARTUP_MARGIN * ctx.model.load_seconds) + 5)


def cpus(plan: PlanSize) -> str:
    """The plan's vCPU as a limit string (`1`, `0.5`, `2`)."""
    return f"{plan.vcpu:g}"


def image_name(ctx: RenderContext) -> str:
    """Image name with a tag that changes with the model, never `latest`."""
    return f"{ctx.app_name}:{ctx.model.sha256[:12]}"
