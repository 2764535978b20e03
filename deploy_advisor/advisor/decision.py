"""What the advisor decided: the modes and targets it ranked, and the pick with its reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from deploy_advisor.advisor.capacity import (
    BATCH_RUN_OVERHEAD_S,
    DEFAULT_BATCH_ROWS_PER_VCPU_S,
    DEFAULT_RPS_PER_VCPU,
    RUNS_PER_MONTH,
)
from deploy_advisor.advisor.coldstart import (
    CONTAINER_START_S,
    IDLE_WINDOW_S,
    MODEL_LOAD_MB_PER_S,
    cold_starts,
)
from deploy_advisor.advisor.costs import Ineligible, PlanCost
from deploy_advisor.advisor.managed import lock_in
from deploy_advisor.advisor.regions import region_price_risk
from deploy_advisor.advisor.scoring import Factor
from deploy_advisor.advisor.spec import PEAK_TO_AVERAGE, REALTIME_DEFAULT_P95_MS, Spec
from deploy_advisor.advisor.weights import Weights

if TYPE_CHECKING:
    from deploy_advisor.advisor.bom import BillOfMaterials
    from deploy_advisor.advisor.catalog import Catalog
    from deploy_advisor.advisor.changes import WhatIf

__all__ = ["ModeResult", "Options", "Recommendation", "TargetResult"]


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
    bom: BillOfMaterials | None = None

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
            "bom": self.bom.to_json() if self.bom else None,
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
    catalog: Catalog | None = field(default=None, repr=False, compare=False)
    what_if: WhatIf | None = None
    over_budget: bool = False

    @property
    def bom(self) -> BillOfMaterials | None:
        """The bill of materials of the pick: what a scaffold builds for this price."""
        return self.chosen.bom

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
            texts = cost.plan.risk_texts(self.mode)
            if cost.plan.kind == "serverless" and cost.instances and self.mode == "realtime":
                texts = [t for t in texts if "cold start" not in t]  # kept warm: none
                out.append(
                    f"the {cost.instances} min instance{'s are' if cost.instances > 1 else ' is'} "
                    "billed all month, busy or idle; a burst beyond them still meets a cold start"
                )
            out.extend(texts)
            for extra in cost.extras:
                out.extend(extra.risk_texts(self.mode))
            lock = lock_in(self.target)
            out.extend([lock] if lock else [])
            budget = self.spec.budget.monthly_usd
            if cost.monthly_usd > budget:
                out.append(
                    f"${cost.monthly_usd:,.2f}/month is ${cost.monthly_usd - budget:,.2f} over "
                    f"the ${budget:,.0f} budget: nothing that meets the hard constraints fits it"
                )
            if self.catalog is not None:
                region = region_price_risk(cost.plan, self.catalog, self.spec.privacy.region)
                out.extend([region] if region else [])
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
        cost = self.chosen.cost
        if self.mode == "realtime" and cost is not None and cost.plan.kind == "serverless":
            cold = cold_starts(spec)
            out.append(
                f"cold start ~{cold.seconds:.1f} s ({CONTAINER_START_S:g} s container start plus "
                f"the model at {MODEL_LOAD_MB_PER_S:g} MB/s), an idle instance kept "
                f"{IDLE_WINDOW_S / 60:g} minutes, requests arriving at random; `deploy-advisor "
                "loadtest SCAFFOLD --target TARGET` measures cold starts"
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
        elif self.plan is not None and self.chosen.cost and self.chosen.cost.plan.devices == "own":
            out.append(
                "no hardware cost: the users' own devices run the model "
                f"({self.chosen.cost.plan.runtime}); set edge.devices: board to buy boards"
            )
        else:
            out.append(
                f"device list prices amortised over {self.amortize_months:g} months, one device; "
                "power and network not included"
            )
        region = spec.privacy.region
        where = f"; data kept in {region} (plans without it ruled out)" if region else ""
        out.append(
            "prices are list prices from the catalog (USD; us-east-1 for AWS, tier-1 us-central1 "
            "for Google, Linode's core regions) whatever the region; each plan carries its "
            f"source, date and confidence: verify before relying on them{where}"
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
            "over_budget": self.over_budget,
            "bom": self.bom.to_json() if self.bom else None,
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
