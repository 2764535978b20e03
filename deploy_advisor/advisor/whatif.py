""" "What would change this": the smallest changes a user could make that flip the choice.

Only inputs the user decides are moved (budget, latency, freshness, availability, ops skill,
traffic, model size, batch size, which edge devices); facts about the data and the place of use
(personal data, data that stays on the device, the network, the GPU) are not. A change counts
when it matters: a new mode or target, not a device for a server API, not a nudge under 20%,
and a budget change only when the new pick fits that budget at a different price.

Each input is moved along its own axis: numbers by factors of 1.5, 2, 3, 5, 10, 30 and 100 up
and down, ordered choices (ops skill, freshness, availability, edge devices) one level at a
time. Distances are comparable across inputs: a number's distance is |ln(new/old)| (doubling =
0.69) and one level of an ordered choice counts 1.0. Candidates are tried nearest first; a
numeric flip is narrowed by bisection to its threshold, rounded to two significant figures
(or kept at the step that found it when the threshold is a nudge). Up to three changes that
matter are kept, nearest first.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from deploy_advisor.advisor.changes import NUMERIC, Change, WhatIf
from deploy_advisor.advisor.decision import Options, Recommendation
from deploy_advisor.advisor.ranking import decide
from deploy_advisor.advisor.spec import (
    EDGE_DEVICES,
    FRESHNESS_LEVELS,
    OPS_SKILLS,
    Spec,
    merge_overrides,
)
from deploy_advisor.errors import DeployAdvisorError

if TYPE_CHECKING:
    from collections.abc import Callable

    from deploy_advisor.advisor.catalog import Catalog
    from deploy_advisor.advisor.weights import Weights

__all__ = ["Change", "WhatIf", "what_would_change"]

#: Distance of one level of an ordered choice (ops skill, freshness, availability).
STEP = 1.0
MULTIPLIERS = (1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 100.0)
AVAILABILITY_LEVELS = (90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99)
INTEGER = ("traffic.batch_rows", "traffic.requests_per_day")
ORDINAL: dict[str, tuple[Any, ...]] = {
    "team.ops_skill": OPS_SKILLS,
    "latency.freshness": FRESHNESS_LEVELS,
    "availability": AVAILABILITY_LEVELS,
    "edge.devices": EDGE_DEVICES,
}
#: Smallest relative change of a number worth suggesting.
MIN_CHANGE = 0.2
#: Choices whose change counts even on the same target when the price moves by MIN_CHANGE.
CHOICES = ("availability", "latency.p95_ms", "latency.freshness", "model.size_mb", "edge.devices")
#: Most candidate specs to evaluate after the first flip is found (for the runner-up list).
EXTRA_BUDGET = 80


def _candidates(spec: Spec) -> list[tuple[float, str, Any, float]]:
    """(distance, path, new value, multiplier or 0) for every single-input change."""
    out: list[tuple[float, str, Any, float]] = []
    for path in NUMERIC:
        old = spec.get(path)
        if old is None:  # p95 null: try asking for an answer within these budgets
            for i, value in enumerate((1000.0, 500.0, 200.0, 100.0, 50.0, 20.0, 10.0)):
                out.append((STEP + 0.1 * i, path, value, 0.0))
            continue
        if old == 0:
            for i, value in enumerate((1, 10, 100, 1000, 10_000, 100_000, 1_000_000)):
                out.append((STEP + 0.35 * i, path, value, 0.0))
            continue
        for m in MULTIPLIERS:
            for factor in (m, 1 / m):
                value = old * factor
                if path in INTEGER:
                    value = int(round(value))
                    if value == old:
                        continue
                out.append((math.log(m), path, value, factor))
        if path == "latency.p95_ms":
            out.append((STEP, path, None, 0.0))
        if path in ("budget.monthly_usd", "traffic.batch_rows"):
            out.append((STEP * 2, path, 0, 0.0))
    for path, levels in ORDINAL.items():
        unit = STEP
        old = spec.get(path)
        if path == "edge.devices":
            old = spec.edge.kind(spec.privacy.on_device_only)
        index: float
        if old in levels:
            index = levels.index(old)
        else:  # availability between levels: the nearest ones on each side
            below = [i for i, v in enumerate(levels) if v < old]
            index = below[-1] + 0.5 if below else -0.5
        for i, value in enumerate(levels):
            if value != old:
                out.append((unit * abs(i - index), path, value, 0.0))
    out.sort(key=lambda c: (c[0], c[1], str(c[2])))
    return out


def what_would_change(
    spec: Spec,
    rec: Recommendation,
    catalog: Catalog,
    weights: Weights,
    options: Options,
) -> WhatIf:
    current = (rec.mode, rec.target)
    tried = 0
    cache: dict[tuple[Any, ...], Any] = {}

    def outcome(path: str, value: Any) -> Recommendation | None:
        nonlocal tried
        tried += 1
        overrides = {path: value}
        if path == "latency.freshness":  # one input: keep who waits as it is
            overrides["latency.p95_ms"] = spec.latency.p95_ms
        try:
            changed = merge_overrides(spec, overrides)
            return decide(changed, catalog, weights, options, cache)
        except DeployAdvisorError:
            return None  # a contradictory or impossible spec is not a useful suggestion

    def flips(r: Recommendation | None, path: str = "") -> bool:
        if r is None or (r.mode == "edge" and rec.mode != "edge"):
            return False  # never a device for a server API
        if (r.mode, r.target) != current:
            return True
        return path in CHOICES and _repriced(rec.monthly_usd, r.monthly_usd)

    def matters(c: Change) -> bool:
        numbers = isinstance(c.old, int | float) and isinstance(c.new, int | float)
        if c.path in NUMERIC and numbers and c.old and abs(c.new / c.old - 1) < MIN_CHANGE:
            return False
        if c.path == "budget.monthly_usd":
            price = None if c.monthly_usd is None else round(c.monthly_usd, 2)
            now = None if rec.monthly_usd is None else round(rec.monthly_usd, 2)
            return price is not None and price != now and price <= float(c.new)
        if c.path == "model.size_mb" and numbers and c.new > c.old:
            return False  # a user can shrink a model (quantise, prune); growing it is no choice
        if c.path.startswith("traffic.") and c.mode == rec.mode:  # traffic is not a choice:
            return _repriced(rec.monthly_usd, c.monthly_usd)  # only a real cost change counts
        return True

    def change(path: str, value: Any, distance: float, r: Recommendation) -> Change:
        old = spec.get(path)
        if path == "edge.devices":
            old = spec.edge.kind(spec.privacy.on_device_only)
        return Change(path, old, value, distance, r.mode, r.target, r.plan, r.monthly_usd)

    found: list[Change] = []
    done: set[str] = set()
    budget = None
    for distance, path, value, factor in _candidates(spec):
        if path in done:
            continue
        if budget is not None and budget <= 0:
            break
        r = outcome(path, value)
        if budget is not None:
            budget -= 1
        if not flips(r, path):
            continue
        assert r is not None
        first = change(path, value, distance, r)
        best = first
        if factor and isinstance(first.old, int | float):
            best = _narrow(first, factor, outcome, flips, change)
            if not matters(best):  # the threshold is a nudge: keep the step that found it
                best = first
        if not matters(best):
            continue
        done.add(path)
        found.append(best)
        if len(found) == 1:
            budget = EXTRA_BUDGET
        if len(found) >= 3:
            break
    found.sort(key=lambda c: c.distance)
    if not found:
        return WhatIf(None, [], tried)
    return WhatIf(found[0], found[1:3], tried)


def _narrow(
    best: Change,
    factor: float,
    outcome: Callable[[str, Any], Recommendation | None],
    flips: Callable[[Recommendation | None, str], bool],
    change: Callable[[str, Any, float, Recommendation], Change],
) -> Change:
    """Bisect between the previous multiplier (no flip) and `factor` (flip) in log space."""
    old = float(best.old)
    up = factor > 1
    steps = [1.0] + [m if up else 1 / m for m in MULTIPLIERS]
    index = steps.index(factor) if factor in steps else 1
    lo, hi = math.log(steps[index - 1]), math.log(factor)
    hi_result = None
    for _ in range(6):
        mid = (lo + hi) / 2
        value = _value(best.path, old * math.exp(mid))
        r = outcome(best.path, value)
        if flips(r, best.path):
            hi, hi_result = mid, r
        else:
            lo = mid
    value = _value(best.path, old * math.exp(hi))
    nice = _round_towards(value, up)
    if nice != value:
        r = outcome(best.path, nice)
        if flips(r, best.path):
            assert r is not None
            return change(best.path, nice, abs(math.log(nice / old)) if nice else best.distance, r)
    if hi_result is not None:
        return change(best.path, value, abs(hi), hi_result)
    return best


def _value(path: str, value: float) -> float | int:
    return int(round(value)) if path in INTEGER else value


def _round_towards(value: float, up: bool) -> float | int:
    """Two significant figures, rounded away from the current value (so it still flips)."""
    if value <= 0:
        return value
    digits = math.floor(math.log10(value)) - 1
    scale = 10.0**digits
    rounded = (math.ceil if up else math.floor)(value / scale) * scale
    if float(rounded).is_integer():
        return int(rounded)
    return float(f"{rounded:.6g}")


def _repriced(now: float | None, then: float | None) -> bool:
    """The price moves by at least MIN_CHANGE (and a dollar)."""
    if now is None or then is None:
        return False
    return abs(then - now) >= max(1.0, MIN_CHANGE * now)
