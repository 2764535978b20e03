"""The recommendation: hard constraints, then weighted factors, then the plan and its cost.

`recommend(spec, catalog=..., weights=...)` ranks the modes (realtime, batch, edge), picks the
best eligible one, ranks the targets (heroku, vps, docker, kubernetes, edge) within it, chooses
the cheapest plan that fits for each target, lists the risks from the catalog, and finds the
smallest single change to the inputs that would flip the choice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from deploy_advisor.advisor.capacity import (
    BATCH_RUN_OVERHEAD_S,
    DEFAULT_BATCH_ROWS_PER_VCPU_S,
    DEFAULT_RPS_PER_VCPU,
    RUNS_PER_MONTH,
)
from deploy_advisor.advisor.catalog import SERVING_KINDS, Catalog, load_catalog
from deploy_advisor.advisor.constraints import MODES, SERVER_TARGETS, TARGETS, mode_blocks
from deploy_advisor.advisor.costs import Ineligible, PlanCost, lower_bound, plan_cost
from deploy_advisor.advisor.scoring import Factor, mode_factors, target_factors, weigh
from deploy_advisor.advisor.spec import PEAK_TO_AVERAGE, REALTIME_DEFAULT_P95_MS, Spec
from deploy_advisor.advisor.weights import Weights, load_weights
from deploy_advisor.errors import SpecError

__all__ = ["ModeResult", "Options", "Recommendation", "TargetResult", "decide", "recommend"]


@dataclass(frozen=True)
class Options:
    """Inputs beyond the spec: measured capacity replaces the documented default."""

    capacity_rps: float | None = None
    rps_per_vcpu: float | None = None
    batch_rows_per_vcpu_s: float | None = None


@dataclass(frozen=True)
class ModeResult:
    name: str
    eligible: bool
    score: float
    factors: list[Factor]
    ruled_out: str | None = None
    cheapest: PlanCost | None = None


@dataclass(frozen=True)
class TargetResult:
    name: str
    eligible: bool
    score: float
    cost: PlanCost | None
    factors: list[Factor] = field(default_factory=list)
    ruled_out: str | None = None
    alternatives: list[PlanCost] = field(default_factory=list)
    rejected: list[Ineligible] = field(default_factory=list)
    highlights: list[str] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """The cost, then the factors that set this target apart from the others."""
        if not self.eligible:
            return [self.ruled_out or "not eligible"]
        if self.highlights:
            return self.highlights
        return [f.reason for f in sorted(self.factors, key=lambda f: -f.contribution)[:3]]

    def to_json(self) -> dict[str, Any]:
        cost = self.cost
        return {
            "name": self.name,
            "score": round(self.score, 3),
            "eligible": self.eligible,
            "plan": cost.plan.name if cost else None,
            "monthly_usd": round(cost.monthly_usd, 2) if cost else None,
            "reasons": self.reasons,
            "ruled_out": self.ruled_out,
            "cost": cost.to_json() if cost else None,
            "alternatives": [
                {"plan": a.plan.name, "monthly_usd": round(a.monthly_usd, 2)}
                for a in self.alternatives
            ],
        }


@dataclass
class Recommendation:
    spec: Spec
    mode: str
    target: str
    modes: dict[str, ModeResult]
    targets: list[TargetResult]
    weights: Weights
    options: Options
    catalog_hours: float = 730.0
    amortize_months: float = 36.0
    what_if: Any = None  # whatif.WhatIf, filled by recommend()

    @property
    def chosen(self) -> TargetResult:
        return next(t for t in self.targets if t.name == self.target)

    @property
    def plan(self) -> str | None:
        cost = self.chosen.cost
        return cost.plan.name if cost else None

    @property
    def monthly_usd(self) -> float | None:
        cost = self.chosen.cost
        return cost.monthly_usd if cost else None

    @property
    def mode_scores(self) -> dict[str, float]:
        return {m: round(r.score, 3) for m, r in self.modes.items()}

    @property
    def risks(self) -> list[str]:
        cost = self.chosen.cost
        out: list[str] = []
        if cost is not None:
            out.extend(cost.plan.risk_texts(self.mode))
            for extra in cost.extras:
                out.extend(extra.risk_texts(self.mode))
            budget = self.spec.budget.monthly_usd
            if cost.monthly_usd > budget:
                out.append(
                    f"${cost.monthly_usd:,.2f}/month is over the ${budget:,.0f} budget: "
                    "nothing cheaper fits"
                )
            if cost.plan.confidence.startswith("uncertain"):
                out.append(
                    f"the catalog marks the price of {cost.plan.name} as uncertain: verify it"
                )
        return list(dict.fromkeys(out))

    @property
    def assumptions(self) -> list[str]:
        spec = self.spec
        out = []
        src = spec.source
        if "p95_ms" not in (src.get("latency") or {}) and spec.latency.p95_ms is not None:
            out.append(
                f"p95 {REALTIME_DEFAULT_P95_MS:g} ms: someone waits (freshness realtime) but "
                "no latency budget was given"
            )
        if "peak_rps" not in (src.get("traffic") or {}) and spec.traffic.requests_per_day > 0:
            out.append(
                f"peak {spec.traffic.peak_rps:g} req/s: {PEAK_TO_AVERAGE:g}x the average rate "
                "of requests_per_day (at least 1)"
            )
        if self.mode == "realtime":
            if self.options.capacity_rps is not None:
                out.append(f"measured capacity {self.options.capacity_rps:g} req/s per instance")
            else:
                rate = self.options.rps_per_vcpu or DEFAULT_RPS_PER_VCPU
                measured = " (given)" if self.options.rps_per_vcpu else ""
                out.append(
                    f"assumed capacity {rate:g} req/s per vCPU{measured} for a typical "
                    "scikit-learn model, one worker per vCPU; run `deploy-advisor loadtest "
                    "--find-capacity` to measure"
                )
        elif self.mode == "batch":
            rate = self.options.batch_rows_per_vcpu_s or DEFAULT_BATCH_ROWS_PER_VCPU_S
            runs = RUNS_PER_MONTH[spec.latency.freshness]
            out.append(
                f"batch scoring at {rate:,.0f} rows/s per vCPU plus {BATCH_RUN_OVERHEAD_S:g} s "
                f"start-up a run; {runs:,.1f} runs a month for {spec.latency.freshness} freshness"
            )
        else:
            out.append(
                f"device list prices amortised over {self.amortize_months:g} months, one device; "
                "power and network not included"
            )
        out.append(
            "prices are list prices from the catalog (USD, us-east-1 for AWS); each plan "
            "carries its source, date and confidence: verify before relying on them"
        )
        return out

    def to_json(self) -> dict[str, Any]:
        chosen = self.chosen
        return {
            "mode": self.mode,
            "target": self.target,
            "mode_scores": self.mode_scores,
            "targets": [t.to_json() for t in self.targets],
            "plan": self.plan,
            "monthly_usd": None if self.monthly_usd is None else round(self.monthly_usd, 2),
            "risks": self.risks,
            "assumptions": self.assumptions,
            "what_would_change": self.what_if.to_json() if self.what_if is not None else None,
            "explanation": {
                "modes": {
                    m: {
                        "score": round(r.score, 3),
                        "eligible": r.eligible,
                        "ruled_out": r.ruled_out,
                        "factors": [f.to_json() for f in r.factors],
                    }
                    for m, r in self.modes.items()
                },
                "target": {
                    "name": chosen.name,
                    "factors": [f.to_json() for f in chosen.factors],
                    "cost": chosen.cost.to_json() if chosen.cost else None,
                },
                "weights": self.weights.to_json(),
            },
            "spec": self.spec.model_dump(mode="json"),
        }


def recommend(
    spec: Spec,
    *,
    catalog: Catalog | None = None,
    weights: Weights | None = None,
    capacity_rps: float | None = None,
    rps_per_vcpu: float | None = None,
    what_if: bool = True,
) -> Recommendation:
    """Rank modes and targets for `spec`; raises SpecError when nothing can serve it."""
    from deploy_advisor.advisor.whatif import what_would_change

    catalog = catalog if catalog is not None else load_catalog()
    weights = weights if weights is not None else load_weights()
    for name, value in (("capacity_rps", capacity_rps), ("rps_per_vcpu", rps_per_vcpu)):
        if value is not None and not value > 0:
            raise SpecError(f"{name} is {value!r}; it must be a number above 0")
    options = Options(capacity_rps=capacity_rps, rps_per_vcpu=rps_per_vcpu)
    rec = decide(spec, catalog, weights, options)
    if what_if:
        rec.what_if = what_would_change(spec, rec, catalog, weights, options)
    return rec


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
    best = math.inf
    for plan in catalog.plans_for(target):
        if plan.kind not in SERVING_KINDS:
            continue
        if (plan.kind == "device") != (target == "edge"):
            continue
        if best_only and lower_bound(plan, spec, mode, catalog) >= best:
            continue
        result = plan_cost(
            plan,
            spec,
            mode,
            catalog,
            capacity_rps=options.capacity_rps,
            rps_per_vcpu=options.rps_per_vcpu,
            batch_rows_per_vcpu_s=options.batch_rows_per_vcpu_s,
        )
        if isinstance(result, Ineligible):
            rejected.append(result)
        else:
            fits.append(result)
            best = min(best, result.monthly_usd)
    fits.sort(key=lambda c: (round(c.monthly_usd, 6), -(c.capacity_rps or 0), c.plan.name))
    return fits, rejected


def _ruled_out(target: str, spec: Spec, rejected: list[Ineligible]) -> str:
    if not rejected:
        return f"the catalog has no {target} plan"
    if spec.model.gpu and not any(r.plan.gpu for r in rejected):
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
            evaluated = {
                t: _evaluate(t, mode, spec, catalog, options, cache) for t in _targets_for(mode)
            }
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
    return Recommendation(
        spec=spec,
        mode=mode,
        target=results[0].name,
        modes=modes,
        targets=results,
        weights=weights,
        options=options,
        catalog_hours=catalog.hours_per_month,
        amortize_months=catalog.amortize_months,
    )
