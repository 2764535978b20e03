"""Numbers derived from the plan and the measured model: workers, probes, grace periods."""

from __future__ import annotations

import math
from typing import Any

from deploy_advisor.targets.base import ModelFacts, PlanSize, RenderContext

__all__ = [
    "SERVER_OVERHEAD_MB",
    "sized_values",
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


def sized_values(ctx: RenderContext) -> dict[str, Any]:
    """Template values every target file sized from the plan shares: names, model, plan, limits."""
    return {
        "app_name": ctx.app_name,
        "model": ctx.model,
        "plan": ctx.plan,
        "image": image_name(ctx),
        "cpus": cpus(ctx.plan),
        "memory_request_mb": ctx.plan.memory_mb // 2,
    }
