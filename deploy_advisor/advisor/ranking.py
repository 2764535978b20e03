"""Ranking: hard constraints, weighted factors, then the cheapest plan that fits each target."""

from __future__ import annotations

import math
from typing import Any

from deploy_advisor.advisor.bom import bill_of_materials
from deploy_advisor.advisor.catalog import SERVING_KINDS, Catalog, PricePlan
from deploy_advisor.advisor.constraints import MODES, SERVER_TARGETS, TARGETS, mode_blocks
from deploy_advisor.advisor.costs import Ineligible, PlanCost, lower_bound, plan_cost
from deploy_advisor.advisor.decision import ModeResult, Options, Recommendation, TargetResult
from deploy_advisor.advisor.managed import cloud_block, foreign
from deploy_advisor.advisor.regions import region_block
from deploy_advisor.advisor.scoring import mode_factors, target_factors, weigh
from deploy_advisor.advisor.spec import Spec
from deploy_advisor.advisor.weights import Weights
from deploy_advisor.errors import SpecError

__all__ = ["Evaluation", "decide"]


def _targets_for(mode: str) -> tuple[str, ...]:
    return ("edge",) if mode == "edge" else SERVER_TARGETS


Evaluation = tuple[list[PlanCost], list[Ineligible]]


def _cost_key(spec: Spec) -> tuple[Any, ...]:
    """Every spec field that plan eligibility or cost depends on."""
    return (
        spec.model.size_mb,
        spec.model.gpu,
        spec.latency.p95_ms,
        spec.latency.freshness,
        spec.availability,
        spec.traffic.peak_rps,
        spec.traffic.requests_per_day,
        spec.traffic.batch_rows,
        spec.edge.kind(spec.privacy.on_device_only),
        spec.privacy.region,
        spec.traffic.pattern,
        spec.traffic.payload_kb,
        spec.cloud.provider,
    )


def _evaluate(
    target: str,
    mode: str,
    spec: Spec,
    catalog: Catalog,
    options: Options,
    cache: dict[tuple[Any, ...], Evaluation] | None = None,
    *,
    best_only: bool = False,
) -> Evaluation:
    """Cost every plan of `target` in `mode`, cheapest fit first.

    With a `cache` (the what-if search) only the cheapest fit matters: plans whose
    `lower_bound` cannot beat it are skipped, and results are reused across calls.
    """
    if cache is not None:
        key = (target, mode, *_cost_key(spec))
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = _evaluate(target, mode, spec, catalog, options, best_only=True)
        return hit
    fits: list[PlanCost] = []
    rejected: list[Ineligible] = []
    # the cheapest fit in the team's cloud (any plan without a named cloud), and elsewhere
    best_home = best_away = math.inf
    devices = spec.edge.kind(spec.privacy.on_device_only)
    for plan in catalog.plans_for(target):
        if plan.kind not in SERVING_KINDS:
            continue
        if (plan.kind == "device") != (target == "edge"):
            continue
        if plan.kind == "device" and (plan.devices or "board") != devices:
            continue
        if best_only and _cannot_win(plan, spec, best_home, best_away, catalog, mode, target):
            continue
        block = region_block(plan, catalog, spec.privacy.region)
        if block is not None:
            rejected.append(Ineligible(plan, block))
            continue
        result = plan_cost(
            plan,
            spec,
            mode,
            catalog,
            capacity_rps=options.capacity_rps,
            rps_per_vcpu=options.rps_per_vcpu,
            batch_rows_per_vcpu_s=options.batch_rows_per_vcpu_s,
            target=target,
            weigh_cold_starts=True,
        )
        if isinstance(result, Ineligible):
            rejected.append(result)
        else:
            fits.append(result)
            if foreign(plan, spec):
                best_away = min(best_away, result.monthly_usd)
            else:
                best_home = min(best_home, result.monthly_usd)
    # A model that needs no GPU: CPU plans with enough memory first, GPU plans only after;
    # then the plans in the team's cloud.
    fits.sort(
        key=lambda c: (
            bool(c.plan.gpu) and not spec.model.gpu,
            foreign(c.plan, spec),
            round(c.monthly_usd, 6),
            -(c.capacity_rps or 0),
            c.plan.name,
        )
    )
    return fits, rejected


def _cannot_win(
    plan: PricePlan, spec: Spec, best_home: float, best_away: float, catalog: Catalog, mode: str,
    target: str,
) -> bool:  # fmt: skip
    """Whether `plan` cannot come first: a plan outside the team's cloud never beats a fit in it."""
    floor = lower_bound(plan, spec, mode, catalog, target)
    if foreign(plan, spec):
        return best_home < math.inf or floor >= best_away
    return floor >= best_home


def _ruled_out(target: str, spec: Spec, rejected: list[Ineligible]) -> str:
    if not rejected:
        return f"the catalog has no {target} plan"
    if spec.model.gpu and not any(r.plan.gpu for r in rejected):
        if all(r.plan.kind == "serverless" for r in rejected):
            return f"no {target} plan has a GPU: serverless inference is CPU only"
        return f"no {target} plan in the catalog has a GPU"
    biggest = max(rejected, key=lambda r: (r.plan.memory_mb or 0, r.plan.name))
    return (
        f"no {target} plan fits; even {biggest.reason}" if len(rejected) > 1 else (biggest.reason)
    )


def _highlight(results: list[TargetResult]) -> None:
    """Per target: its cost, then the two factors where it differs most from the average."""
    eligible = [r for r in results if r.eligible]
    means: dict[str, float] = {}
    for r in eligible:
        for f in r.factors:
            means[f.name] = means.get(f.name, 0.0) + f.contribution / len(eligible)
    for r in eligible:
        cost = [f.reason for f in r.factors if f.name == "cost"]
        others = sorted(
            (f for f in r.factors if f.name != "cost"),
            key=lambda f: (-abs(f.contribution - means[f.name]), -f.contribution),
        )
        r.highlights[:] = cost + [f.reason for f in others[:2]]


def decide(
    spec: Spec,
    catalog: Catalog,
    weights: Weights,
    options: Options,
    cache: dict[tuple[Any, ...], Evaluation] | None = None,
) -> Recommendation:
    """The recommendation without the what-if search.

    `cache` (shared across calls with the same catalog and options) reuses plan costs for
    specs that differ only in inputs costs do not depend on.
    """
    blocks = mode_blocks(spec)
    per_mode: dict[str, dict[str, tuple[list[PlanCost], list[Ineligible]]]] = {}
    modes: dict[str, ModeResult] = {}
    for mode in MODES:
        evaluated: dict[str, Evaluation]
        if mode in blocks:
            evaluated = {t: ([], []) for t in _targets_for(mode)}
        else:
            allowed = [t for t in _targets_for(mode) if cloud_block(t, spec) is None]
            evaluated = {t: _evaluate(t, mode, spec, catalog, options, cache) for t in allowed}
        per_mode[mode] = evaluated
        bests = [fits[0] for fits, _ in evaluated.values() if fits]
        cheapest = min(bests, key=lambda c: c.monthly_usd) if bests else None
        score, factors = weigh(mode_factors(spec, mode, cheapest), weights.modes)
        ruled_out = blocks.get(mode)
        if ruled_out is None and cheapest is None:
            reasons = [_ruled_out(t, spec, rej) for t, (_, rej) in evaluated.items()]
            ruled_out = reasons[0] if len(reasons) == 1 else "no plan fits any target"
        modes[mode] = ModeResult(
            name=mode,
            eligible=ruled_out is None,
            score=score if ruled_out is None else 0.0,
            factors=factors,
            ruled_out=ruled_out,
            cheapest=cheapest,
        )
    eligible = [m for m in modes.values() if m.eligible]
    if not eligible:
        detail = "; ".join(f"{m.name}: {m.ruled_out}" for m in modes.values())
        raise SpecError(f"no deployment can serve this spec ({detail}); relax one of these")
    chosen_mode = max(eligible, key=lambda m: m.score)
    mode = chosen_mode.name

    results: list[TargetResult] = []
    for target in TARGETS:
        if target not in _targets_for(mode):
            if mode == "edge":
                why = blocks.get("realtime") or (
                    f"edge scores {chosen_mode.score:.2f}, above realtime "
                    f"{modes['realtime'].score:.2f} and batch {modes['batch'].score:.2f}"
                )
                reason = f"the chosen mode is edge: {why}"
            else:
                reason = (
                    f"the chosen mode is {mode}: the model runs on a server "
                    f"(edge scores {modes['edge'].score:.2f})"
                )
            results.append(TargetResult(target, False, 0.0, None, ruled_out=reason))
            continue
        blocked = cloud_block(target, spec)
        if blocked is not None:
            results.append(TargetResult(target, False, 0.0, None, ruled_out=blocked))
            continue
        fits, rejected = per_mode[mode][target]
        if not fits:
            results.append(
                TargetResult(
                    target,
                    False,
                    0.0,
                    None,
                    ruled_out=_ruled_out(target, spec, rejected),
                    rejected=rejected,
                )
            )
            continue
        best = fits[0]
        score, factors = weigh(target_factors(spec, target, mode, best), weights.targets)
        results.append(
            TargetResult(
                target,
                True,
                score,
                best,
                factors=factors,
                alternatives=fits[1:3],
                rejected=rejected,
                bom=bill_of_materials(best, spec, target, region=spec.privacy.region),
            )
        )
    _highlight(results)
    order = {t: i for i, t in enumerate(TARGETS)}
    results.sort(  # equal scores: the cheaper plan first, then the simpler target
        key=lambda r: (
            not r.eligible,
            -round(r.score, 9),
            r.cost.monthly_usd if r.cost else math.inf,
            order[r.name],
        )
    )
    over_budget = _cheapest_first_when_nothing_fits(results, spec.budget.monthly_usd)
    return Recommendation(
        over_budget=over_budget,
        spec=spec,
        mode=mode,
        target=results[0].name,
        modes=modes,
        targets=results,
        weights=weights,
        options=options,
        catalog_hours=catalog.hours_per_month,
        catalog=catalog,
        amortize_months=catalog.amortize_months,
    )


def _cheapest_first_when_nothing_fits(results: list[TargetResult], budget: float) -> bool:
    """When every eligible target is over budget, put the cheapest first and say by how much."""
    eligible = [r for r in results if r.eligible and r.cost is not None]
    if not eligible or any(r.cost.monthly_usd <= budget for r in eligible if r.cost):
        return False
    cheapest = min(
        eligible, key=lambda r: (round(r.cost.monthly_usd, 2) if r.cost else 0, -r.score)
    )
    results.remove(cheapest)
    results.insert(0, cheapest)
    assert cheapest.cost is not None
    over = cheapest.cost.monthly_usd - budget
    cheapest.highlights[:] = [h for h in cheapest.highlights if not h.startswith("$")]
    cheapest.highlights.insert(
        0,
        f"cheapest option that meets the hard constraints: ${cheapest.cost.monthly_usd:,.2f}"
        f"/month, ${over:,.2f} over the ${budget:,.0f} budget (nothing fits the budget)",
    )
    return True
