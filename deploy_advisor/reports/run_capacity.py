"""The per-instance capacity a run's costs use, where it came from, and why."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from deploy_advisor.reports import fmt
from deploy_advisor.reports.pricing import PlanPrice
from deploy_advisor.reports.runs import Deployment, RunResult
from deploy_advisor.reports.verdict import Verdict
from deploy_advisor.targets.registry import target_class

__all__ = [
    "HELD_TOLERANCE",
    "SCAFFOLD_REPLICAS",
    "Capacity",
    "CapacitySource",
    "replicas_per_node",
    "run_capacity",
]

#: A fixed-rate run that achieved at least 98% of its offered rate kept up with it.
HELD_TOLERANCE = 0.02
#: `scaffold --target kubernetes` writes two replicas, each limited to one node's CPU and memory.
SCAFFOLD_REPLICAS = 2

CapacitySource = Literal["measured", "held", "achieved", "default", "none"]


@dataclass(frozen=True)
class Capacity:
    """Req/s one instance (or Kubernetes node) serves within the SLO; `lower_bound` when the run
    showed only that it can do at least this much."""

    rps: float | None
    source: CapacitySource
    lower_bound: bool = False
    notes: tuple[str, ...] = ()


def _searched(run: RunResult, verdict: Verdict) -> tuple[float | None, list[str]]:
    """The capacity search's best step that met the SLO with its errors within the budget."""
    cap = run.capacity
    if cap is None:
        return None, []
    if not cap.steps:
        return (cap.rps if verdict.errors_ok else None), []
    clean = [s for s in cap.steps if s.passed and verdict.step_ok(s.error_pct)]
    best = max((s.rate if s.achieved_rps is None else s.achieved_rps for s in clean), default=None)
    if best is None and any(s.passed for s in cap.steps):
        return None, ["no capacity-search step kept its errors within the budget; not used"]
    if best is not None and cap.rps is not None and best < cap.rps:
        return best, [
            f"the capacity search's {fmt.rps(cap.rps)} req/s broke the error budget; "
            f"{fmt.rps(best)} req/s, its best step within it, is used"
        ]
    return best, []


def replicas_per_node(deployment: Deployment, plan: PlanPrice | None) -> int:
    """How many replicas of this size one node of the plan holds, by CPU and memory limits;
    one when the CPU limit or the node's vCPU is unknown (a replica may use the whole node)."""
    if not (plan and plan.vcpu and deployment.cpu_limit):
        return 1
    fits = [math.floor(plan.vcpu / deployment.cpu_limit + 1e-9)]
    if plan.memory_mb and deployment.memory_limit_mb:
        fits.append(math.floor(plan.memory_mb / deployment.memory_limit_mb + 1e-9))
    return max(1, min(fits))


def _per_node(run: RunResult, plan: PlanPrice | None, rps: float) -> tuple[float, list[str]]:
    """A Kubernetes run measured every replica together: one node's share of that."""
    deployment, notes = run.deployment, []
    if deployment is None:
        if not run.emulated:
            return rps, ["replica count not recorded; capacity counted as one node's"]
        deployment = Deployment(
            replicas=SCAFFOLD_REPLICAS,
            cpu_limit=plan.vcpu if plan else None,
            memory_limit_mb=plan.memory_mb if plan else None,
        )
        notes.append(
            f"replica count not recorded; assumed the scaffold's {SCAFFOLD_REPLICAS} replicas, "
            "each limited to one node's CPU and memory"
        )
    fit = replicas_per_node(deployment, plan)
    if deployment.replicas == fit:
        return rps, notes
    per_replica = rps / deployment.replicas
    node = f"{plan.name} node" if plan else "node"
    notes.append(
        f"{fmt.rps(rps)} req/s from {deployment.replicas} replicas = "
        f"{fmt.rps(per_replica)} req/s each; {fit} fit{'s' if fit == 1 else ''} on one {node}"
    )
    return per_replica * fit, notes


def _held(run: RunResult) -> float | None:
    """The offered rate, when a fixed-rate run kept up with it with no error."""
    offered = run.offered_rps
    if not offered or run.failures.total or run.achieved_rps < (1 - HELD_TOLERANCE) * offered:
        return None
    return offered


def run_capacity(
    run: RunResult, *, verdict: Verdict, plan: PlanPrice | None, default_rps: float | None
) -> Capacity:
    """Measured by a capacity search, else the rate a passing run held or achieved, else the
    advisor's default; a run whose requests failed beyond the error budget is no capacity."""
    rps, notes = _searched(run, verdict)
    source: CapacitySource = "measured"
    lower = bool(rps is not None and run.capacity and run.capacity.generator_bound)
    if lower:
        notes.append("the capacity search stopped at the load generator's limit: a lower bound")
    usable = verdict.passed and verdict.errors_ok and not run.generator.bound
    if rps is None and usable and run.achieved_rps > 0:
        held = _held(run)
        rps, source, lower = (held, "held", True) if held else (run.achieved_rps, "achieved", False)
        if held:
            notes.append(
                f"capacity is a lower bound: the run held its offered {fmt.rps(held)} req/s "
                f"(achieved {run.achieved_rps:.2f}) and was not pushed beyond"
            )
    if rps is not None:
        traits = target_class(run.target)
        if traits is not None and traits.runs_on_nodes:
            rps, more = _per_node(run, plan, rps)
            notes += more
        return Capacity(rps, source, lower, tuple(notes))
    if not verdict.errors_ok:
        notes.append("not priced: its requests failed beyond the error budget")
        return Capacity(None, "none", notes=tuple(notes))
    if default_rps is not None and default_rps > 0:
        return Capacity(default_rps, "default", notes=tuple(notes))
    return Capacity(None, "none", notes=tuple(notes))
