"""Service-level objectives: parse `"p95<200ms,p99<500ms,errors<1%"` and judge a run."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from deploy_advisor.errors import InputError

__all__ = ["ERROR_BUDGET_PCT", "LATENCY_METRICS", "Slo", "SloVerdict", "evaluate", "parse_slos"]

LATENCY_METRICS = ("p50", "p90", "p95", "p99", "p999", "max", "mean")
#: Percent of requests a latency objective lets fail: p95 < 200 ms promises that 95% of requests
#: succeed within 200 ms, so more than 5% failed breaks it whatever the successes' latency.
ERROR_BUDGET_PCT = {"p50": 50.0, "p90": 10.0, "p95": 5.0, "p99": 1.0, "p999": 0.1, "max": 0.0,
                    "mean": 0.0}  # fmt: skip
_ACCEPTED = (
    "METRIC<VALUE with METRIC one of p50,p90,p95,p99,p999,max,mean (ms or s), errors (%), rps"
)
_TOKEN = re.compile(
    r"^\s*(?P<name>[a-z0-9.]+)\s*(?P<op><=|>=|<|>)\s*(?P<value>[0-9]*\.?[0-9]+)\s*(?P<unit>ms|s|%)?\s*$"
)
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ALIASES = {"p99.9": "p999", "error": "errors", "err": "errors", "req/s": "rps"}


@dataclass(frozen=True)
class Slo:
    """One objective: `name op threshold unit`, e.g. p95 < 200 ms."""

    name: str
    op: str
    threshold: float
    unit: str

    def __str__(self) -> str:
        unit = "%" if self.unit == "%" else ("" if self.unit == "rps" else self.unit)
        return f"{self.name}{self.op}{self.threshold:g}{unit}"


@dataclass(frozen=True)
class SloVerdict:
    """The measured value of one objective and whether it held."""

    name: str
    op: str
    threshold: float
    unit: str
    measured: float | None
    passed: bool
    note: str | None = None  # why it failed when the measured value alone does not say

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_slos(text: str) -> list[Slo]:
    """Parse a comma-separated SLO list; a bad token raises `InputError` naming it."""
    slos: list[Slo] = []
    for raw in text.split(","):
        if not raw.strip():
            continue
        match = _TOKEN.match(raw.lower())
        if match is None:
            raise InputError(f"SLO {raw.strip()!r} is not understood; use {_ACCEPTED}")
        name = _ALIASES.get(match["name"], match["name"])
        value, unit = float(match["value"]), match["unit"]
        if name in LATENCY_METRICS:
            if unit not in (None, "ms", "s"):
                raise InputError(f"SLO {raw.strip()!r}: latency takes ms or s, e.g. {name}<200ms")
            threshold = value * 1000 if unit == "s" else value
            slos.append(Slo(name, match["op"], threshold, "ms"))
        elif name == "errors":
            if unit not in (None, "%"):
                raise InputError(f"SLO {raw.strip()!r}: errors take a percentage, e.g. errors<1%")
            slos.append(Slo(name, match["op"], value, "%"))
        elif name == "rps":
            if unit is not None:
                raise InputError(f"SLO {raw.strip()!r}: rps takes a plain number, e.g. rps>100")
            slos.append(Slo(name, match["op"], value, "rps"))
        else:
            raise InputError(f"SLO {raw.strip()!r} names unknown metric {name!r}; use {_ACCEPTED}")
    if not slos:
        raise InputError(f"SLO text {text!r} is empty; use e.g. p95<200ms,errors<1%")
    return slos


def evaluate(slos: list[Slo], measured: dict[str, float | None]) -> list[SloVerdict]:
    """Judge each objective against `measured` (latency keys in ms over successful requests,
    `errors` in %, `rps`). A latency objective also fails when more requests failed than its
    error budget allows; a value that could not be measured fails."""
    verdicts = []
    errors = measured.get("errors")
    for slo in slos:
        value = measured.get(slo.name)
        passed = value is not None and _OPS[slo.op](value, slo.threshold)
        note = None
        if value is None:
            note = "no request succeeded" if slo.name in LATENCY_METRICS else "not measured"
        budget = ERROR_BUDGET_PCT.get(slo.name)
        if budget is not None and errors is not None and errors > budget:
            passed = False
            note = f"{errors:.3g}% of requests failed; {slo.name} allows {budget:g}%"
        verdicts.append(SloVerdict(slo.name, slo.op, slo.threshold, slo.unit, value, passed, note))
    return verdicts
