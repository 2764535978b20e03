"""Soft factors: each scores a mode or a target from 0 to 1 with a one-line reason.

A score is the weighted mean of its factors; each factor's contribution
(weight x score / sum of weights) is kept so the output can show why.

The reasoning encoded here:
* realtime when someone waits for the answer; batch when data arrives on a schedule and nobody
  waits (cheaper than a server running 24/7); edge when data cannot leave the device, the
  network is limited or absent, or the latency budget is below a network round trip.
* Heroku for beginners and small budgets (easy, but limited flexibility and scale); a VPS for
  Linux-savvy, cost-sensitive teams who can run nginx and systemd; Kubernetes for large,
  bursty, highly available load with an expert team (overkill for basic apps); a Docker host
  for portable services in between; a managed cloud service (SageMaker, Cloud Run, Azure ML)
  for less operations work, scale to zero for low or sporadic traffic when cold starts stay out
  of the p95 budget, and the cloud the team already runs on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from deploy_advisor.advisor.coldstart import cold_starts
from deploy_advisor.advisor.constraints import HA_AVAILABILITY
from deploy_advisor.advisor.costs import PlanCost
from deploy_advisor.advisor.managed import CLOUD_NAMES, MANAGED_CLOUD, foreign, prefers_a_cloud
from deploy_advisor.advisor.spec import NETWORK_ROUND_TRIP_MS, Spec
from deploy_advisor.advisor.traits import AVAILABILITY as _AVAILABILITY
from deploy_advisor.advisor.traits import BURST as _BURST
from deploy_advisor.advisor.traits import OPS as _OPS
from deploy_advisor.advisor.traits import SCALE as _SCALE
from deploy_advisor.advisor.traits import SCALE_REASON as _SCALE_REASON

__all__ = [
    "Factor",
    "cost_score",
    "mode_factors",
    "scale_bucket",
    "target_factors",
    "weigh",
]


@dataclass(frozen=True)
class Factor:
    name: str
    score: float
    reason: str
    weight: float = 0.0
    contribution: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "factor": self.name,
            "score": round(self.score, 3),
            "weight": self.weight,
            "contribution": round(self.contribution, 3),
            "reason": self.reason,
        }


def weigh(factors: list[Factor], weights: Mapping[str, float]) -> tuple[float, list[Factor]]:
    """The weighted score and the factors with their weight and contribution filled in."""
    used = [f for f in factors if weights.get(f.name, 0) > 0]
    total = sum(weights[f.name] for f in used) or 1.0
    out = [
        Factor(f.name, f.score, f.reason, weights[f.name], weights[f.name] * f.score / total)
        for f in used
    ]
    return sum(f.contribution for f in out), out


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def cost_score(monthly: float | None, budget: float) -> float:
    """1 up to a third of the budget, 0.5 at the budget, 0 at 1.67x the budget."""
    if monthly is None:
        return 0.0
    if budget <= 0:
        return 1.0 if monthly <= 0 else 0.0
    return _clamp(1.25 - 0.75 * monthly / budget)


def _cost_reason(cost: PlanCost | None, budget: float, prefix: str, *, plan: bool = True) -> str:
    if cost is None:
        return f"{prefix}no plan fits"
    word = "within" if cost.monthly_usd <= budget else "over"
    name = f"{cost.plan.name} " if plan else ""
    return f"{prefix}{name}${cost.monthly_usd:,.2f}/month, {word} the ${budget:,.0f} budget"


def scale_bucket(peak_rps: float) -> str:
    if peak_rps < 10:
        return "tiny"
    if peak_rps < 100:
        return "small"
    if peak_rps < 500:
        return "medium"
    return "large"


# --- modes ---------------------------------------------------------------------------------


def mode_factors(spec: Spec, mode: str, cheapest: PlanCost | None) -> list[Factor]:
    return [
        _mode_latency(spec, mode),
        _mode_privacy(spec, mode),
        _mode_connectivity(spec, mode),
        Factor(
            "cost",
            cost_score(cheapest.monthly_usd if cheapest else None, spec.budget.monthly_usd),
            _cost_reason(cheapest, spec.budget.monthly_usd, "cheapest fit: "),
        ),
        _mode_traffic(spec, mode),
        _mode_ops(spec, mode),
        _mode_availability(spec, mode),
        _mode_model(spec, mode),
    ]


def _mode_latency(spec: Spec, mode: str) -> Factor:
    p95 = spec.latency.p95_ms
    fresh = spec.latency.freshness
    name = "latency_freshness"
    if mode == "realtime":
        if p95 is not None:
            if p95 < NETWORK_ROUND_TRIP_MS:
                return Factor(name, 0.0, f"p95 {p95:g} ms leaves no time for a network trip")
            if spec.connectivity != "always":
                return Factor(
                    name,
                    0.5,
                    f"someone waits (p95 {p95:g} ms), but gets no answer while the network is down",
                )
            return Factor(name, 1.0, f"someone waits for the answer (p95 {p95:g} ms)")
        score = {"realtime": 0.6, "minutes": 0.5, "hours": 0.3}.get(fresh, 0.15)
        return Factor(
            name,
            score,
            f"nobody waits online and results are needed {_fresh(fresh)}: "
            "a server running 24/7 would mostly idle",
        )
    if mode == "batch":
        if p95 is not None:
            if fresh == "realtime":
                return Factor(
                    name, 0.05, "someone waits for each answer; a batch result is a run old"
                )
            return Factor(
                name,
                0.4,
                f"someone waits, but {_fresh(fresh)} freshness allows precomputed results",
            )
        score = {"realtime": 0.3, "minutes": 0.6}.get(fresh, 1.0)
        return Factor(
            name, score, f"nobody waits and results are needed {_fresh(fresh)}: a scheduled job"
        )
    if p95 is not None and p95 < NETWORK_ROUND_TRIP_MS:
        return Factor(
            name,
            1.0,
            f"p95 {p95:g} ms is below a network round trip (~{NETWORK_ROUND_TRIP_MS:g} ms): "
            "only on-device inference answers in time",
        )
    if p95 is not None and spec.connectivity != "always":
        return Factor(
            name, 0.9, f"someone waits (p95 {p95:g} ms): the device answers without the network"
        )
    if p95 is not None:
        return Factor(
            name, 0.4, f"someone waits (p95 {p95:g} ms); a server answers it over a good network"
        )
    return Factor(name, 0.4, "nobody waits online: running on the device gains no latency")


def _fresh(freshness: str) -> str:
    return {
        "realtime": "in real time",
        "minutes": "within minutes",
        "hours": "within hours",
        "daily": "daily",
        "weekly": "weekly",
    }[freshness]


def _mode_privacy(spec: Spec, mode: str) -> Factor:
    name = "privacy"
    region = f" (keep it in {spec.privacy.region})" if spec.privacy.region else ""
    if spec.privacy.on_device_only:
        if mode == "edge":
            return Factor(name, 1.0, "the data may not leave the device: it stays there")
        return Factor(name, 0.0, "the data may not leave the device")
    if spec.privacy.pii:
        score, reason = {
            "realtime": (0.7, f"personal data travels to a server with each request{region}"),
            "batch": (0.8, f"personal data moves in scheduled transfers you control{region}"),
            "edge": (1.0, "personal data stays on the device"),
        }[mode]
        return Factor(name, score, reason)
    return Factor(name, 1.0, "no personal data")


def _mode_connectivity(spec: Spec, mode: str) -> Factor:
    name = "connectivity"
    conn = spec.connectivity
    if conn == "always":
        if mode == "edge":
            return Factor(name, 0.3, "the network is always there: a server is easier to update")
        return Factor(name, 1.0, "the network is always there")
    if conn == "intermittent":
        score, reason = {
            "realtime": (0.0, "the network is intermittent: online requests fail when it drops"),
            "batch": (0.6, "the network is intermittent: jobs can sync when it is up"),
            "edge": (1.0, "the network is intermittent: the device works without it"),
        }[mode]
        return Factor(name, score, reason)
    if mode == "edge":
        return Factor(name, 1.0, "offline: the device works without a network")
    return Factor(name, 0.0, "offline: no server can be reached")


def _mode_traffic(spec: Spec, mode: str) -> Factor:
    name = "traffic"
    t = spec.traffic
    if t.pattern == "scheduled":
        score, reason = {
            "realtime": (0.4, "data arrives on a schedule: a 24/7 server idles between arrivals"),
            "batch": (1.0, "data arrives on a schedule: a scheduled job matches it"),
            "edge": (0.5, "data arrives on a schedule"),
        }[mode]
    elif t.pattern == "bursty":
        score, reason = {
            "realtime": (0.8, "bursty traffic needs spare capacity or autoscaling"),
            "batch": (0.7, "bursts queue up for the next run"),
            "edge": (0.7, "each device handles its own bursts"),
        }[mode]
    else:
        score, reason = {
            "realtime": (1.0, f"steady traffic, {t.peak_rps:g} req/s at peak"),
            "batch": (0.6, "steady traffic"),
            "edge": (0.6, "steady traffic"),
        }[mode]
    if t.batch_rows > 0:
        if mode == "batch":
            score = max(score, 0.9)
            reason = f"{t.batch_rows:,} rows a run: a batch job"
        elif mode == "realtime" and t.requests_per_day == 0:
            score, reason = 0.2, f"no online requests, {t.batch_rows:,} rows a run"
    return Factor(name, score, reason)


def _mode_ops(spec: Spec, mode: str) -> Factor:
    skill = spec.team.ops_skill
    table = {
        "beginner": {"realtime": 0.7, "batch": 0.9, "edge": 0.2},
        "intermediate": {"realtime": 0.9, "batch": 1.0, "edge": 0.5},
        "expert": {"realtime": 1.0, "batch": 1.0, "edge": 0.9},
    }
    reasons = {
        "realtime": "a web service must be kept up",
        "batch": "a scheduled job is the simplest thing to run",
        "edge": "a fleet of devices is the hardest to update and monitor",
    }
    return Factor("ops_skill", table[skill][mode], f"{skill} team: {reasons[mode]}")


def _mode_availability(spec: Spec, mode: str) -> Factor:
    a = spec.availability
    if a >= HA_AVAILABILITY:
        score, reason = {
            "realtime": (1.0, f"availability {a:g}% is a web SLA: served online"),
            "batch": (0.5, f"availability {a:g}%: batch output is only as fresh as its last run"),
            "edge": (0.5, f"availability {a:g}% across many devices is hard to promise"),
        }[mode]
        return Factor("availability", score, reason)
    return Factor("availability", 1.0, f"availability {a:g}% is modest")


def _mode_model(spec: Spec, mode: str) -> Factor:
    size = spec.model.size_mb
    gpu = spec.model.gpu
    if mode == "edge":
        if size > 8000:
            score, reason = 0.0, f"a {size:g} MB model is larger than edge devices hold"
        elif size > 2000:
            score, reason = 0.3, f"a {size:g} MB model is large for a device"
        elif size > 500:
            score, reason = 0.6, f"a {size:g} MB model is heavy for small devices"
        else:
            score, reason = 1.0, f"a {size:g} MB model fits on a device"
        if gpu:
            score = min(score, 0.6)
            reason += "; it needs a GPU device such as a Jetson"
        return Factor("model", score, reason)
    if gpu and mode == "realtime":
        return Factor("model", 0.6, "a GPU server billed 24/7 is expensive")
    if gpu:
        return Factor("model", 1.0, "a GPU billed only for the hours a job runs")
    return Factor("model", 1.0, f"a {size:g} MB CPU model runs anywhere")


# --- targets -------------------------------------------------------------------------------

TargetFactor = Callable[[Spec, str, str, PlanCost], Factor | None]


def target_factors(spec: Spec, target: str, mode: str, cost: PlanCost) -> list[Factor]:
    return [f for f in (factor(spec, target, mode, cost) for factor in _TARGET_FACTORS) if f]


def _t_latency(spec: Spec, target: str, mode: str, cost: PlanCost) -> Factor:
    p95 = spec.latency.p95_ms
    name = "latency_freshness"
    if mode != "realtime" or p95 is None:
        return Factor(name, 1.0, "nobody waits online" if p95 is None else "results precomputed")
    if cost.plan.kind == "serverless":
        if cost.instances > 0:
            warm = f"min instances {cost.instances} kept warm"
            return Factor(name, 1.0, f"{warm}: no cold start lands in p95 {p95:g} ms")
        cold = cold_starts(spec)
        score = 0.9 if cold.seconds * 1000 <= p95 else 0.8
        return Factor(name, score, cold.why())
    if "sleep_after_idle_min" in cost.plan.limits:
        return Factor(name, 0.5, f"{cost.plan.name} sleeps when idle: waking lands in p95")
    return Factor(name, 1.0, f"a warm server answers within p95 {p95:g} ms")


def _t_privacy(spec: Spec, target: str, mode: str, cost: PlanCost) -> Factor:
    region = f"; pick a plan in {spec.privacy.region}" if spec.privacy.region else ""
    if not spec.privacy.pii:
        return Factor("privacy", 1.0, "no personal data" + region)
    if target == "heroku":
        return Factor(
            "privacy", 0.6, "personal data on a shared platform: check its terms" + region
        )
    if cost.plan.kind == "serverless" or target in MANAGED_CLOUD:
        return Factor("privacy", 0.7, "personal data on a managed platform" + region)
    if target == "edge":
        return Factor("privacy", 1.0, "personal data stays on the device")
    return Factor("privacy", 0.9, "personal data on machines you control" + region)


def _t_connectivity(spec: Spec, target: str, mode: str, cost: PlanCost) -> Factor:
    ok = target == "edge" or spec.connectivity == "always"
    return Factor("connectivity", 1.0 if ok else 0.5, f"connectivity {spec.connectivity}")


def _t_cost(spec: Spec, target: str, mode: str, cost: PlanCost) -> Factor:
    budget = spec.budget.monthly_usd
    reason = _cost_reason(cost, budget, "", plan=False)
    return Factor("cost", cost_score(cost.monthly_usd, budget), reason)


def _t_traffic(spec: Spec, target: str, mode: str, cost: PlanCost) -> Factor:
    t = spec.traffic
    if mode == "batch":
        if target == "kubernetes":
            big = t.batch_rows > 50_000_000
            return Factor(
                "traffic",
                1.0 if big else 0.5,
                "a cluster for a large job" if big else "a cluster kept up for one job is overkill",
            )
        score = 0.8 if target == "heroku" else 1.0
        machines = "one machine" if cost.instances <= 1 else f"{cost.instances} machines at once"
        return Factor("traffic", score, f"a scheduled job on {machines}")
    bucket = scale_bucket(t.peak_rps)
    score = _SCALE[target][bucket]
    why = _SCALE_REASON[target]
    if target == "kubernetes" and bucket in ("tiny", "small"):
        why = "overkill for a basic app"
    elif target == "vps" and cost.instances > 1:
        why = f"{cost.instances} boxes behind {_balancer(cost)}"
    if cost.plan.kind == "serverless":
        why = "scales to zero, billed per request" if cost.instances == 0 else f"{why}, kept warm"
    reason = f"{bucket} load ({t.peak_rps:g} req/s peak): {why}"
    if t.pattern == "bursty" and _BURST[target]:
        score += _BURST[target]
        reason += "; " + (
            "autoscaling absorbs bursts" if _BURST[target] > 0 else "size it for the bursts"
        )
    return Factor("traffic", _clamp(score), reason)


def _balancer(cost: PlanCost) -> str:
    """The load balancer that was priced, else the one the team runs itself."""
    priced = next((e for e in cost.extras if e.kind == "load_balancer"), None)
    return priced.name if priced else "a load balancer you run yourself"


def _t_ops(spec: Spec, target: str, mode: str, cost: PlanCost) -> Factor:
    score, reason = _OPS[target][spec.team.ops_skill]
    return Factor("ops_skill", score, f"{spec.team.ops_skill} team: {reason}")


def _t_availability(spec: Spec, target: str, mode: str, cost: PlanCost) -> Factor:
    a = spec.availability
    if a < HA_AVAILABILITY or mode == "batch":
        one = "each device answers on its own" if target == "edge" else "one instance will do"
        return Factor("availability", 1.0, f"availability {a:g}%: {one}")
    at, above, why_at, why_above = _AVAILABILITY[target]
    if cost.plan.kind == "serverless":
        why_at = why_above = "the platform replaces failed instances; one region"
    why_at = why_at.format(n=max(2, cost.instances), balancer=_balancer(cost))
    if a > HA_AVAILABILITY:
        return Factor("availability", above, f"availability {a:g}%: {why_above}")
    return Factor("availability", at, f"availability {a:g}%: {why_at}")


def _t_model(spec: Spec, target: str, mode: str, cost: PlanCost) -> Factor:
    size = spec.model.size_mb
    if spec.model.gpu:
        score = {"kubernetes": 0.8, "edge": 0.8}.get(target, 1.0)
        return Factor("model", score, f"GPU plan {cost.plan.name} ({cost.plan.gpu})")
    if target == "heroku" and size > 300:
        return Factor("model", 0.5, f"a {size:g} MB model makes slow builds and boots on dynos")
    return Factor("model", 1.0, f"a {size:g} MB model fits {cost.plan.name}")


def _t_cloud(spec: Spec, target: str, mode: str, cost: PlanCost) -> Factor | None:
    """Fit with the cloud the team already runs on; None (not weighed) when it named none."""
    if not prefers_a_cloud(spec):
        return None
    team = CLOUD_NAMES[spec.cloud.provider]
    if cost.plan.kind == "device":
        return Factor("cloud", 1.0, "runs on devices, beside the team's cloud")
    if not foreign(cost.plan, spec):
        return Factor(
            "cloud", 1.0, f"the team already runs on {team}: account, IAM and billing carry over"
        )
    return Factor(
        "cloud", 0.4, f"{cost.plan.provider} is a vendor beside {team}: another account and bill"
    )


_TARGET_FACTORS: tuple[TargetFactor, ...] = (
    _t_latency,
    _t_privacy,
    _t_connectivity,
    _t_cost,
    _t_traffic,
    _t_ops,
    _t_availability,
    _t_model,
    _t_cloud,
)
