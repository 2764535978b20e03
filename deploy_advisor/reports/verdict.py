"""A run's SLO verdict as the report judges it: latency from the run's own SLOs and the spec, and
errors from the request counts, so a result.json that says "pass" for failed requests is not
believed."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deploy_advisor.reports import fmt
from deploy_advisor.reports.runs import RunResult

if TYPE_CHECKING:
    from deploy_advisor.reports.model import SpecView

__all__ = ["DEFAULT_ERROR_BUDGET_PCT", "ErrorBudget", "Verdict", "judge"]

#: The error budget of a run whose SLO and spec name none: the README's `errors<1%`.
DEFAULT_ERROR_BUDGET_PCT = 1.0

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True)
class ErrorBudget:
    """The share of failed requests an SLO allows: `errors<1%` or `errors<=0.1%`."""

    pct: float
    op: str = "<"

    @property
    def label(self) -> str:
        return f"errors{self.op}{self.pct:g}%"

    def holds(self, error_pct: float | None) -> bool:
        """True when `error_pct` is within the budget; None (no requests) never is."""
        return error_pct is not None and _OPS[self.op if self.op in _OPS else "<"](
            error_pct, self.pct
        )


@dataclass(frozen=True)
class Verdict:
    """Whether a run met its SLO, the objectives judged, the first failure, and the errors."""

    passed: bool | None
    objectives: str
    failure: str | None
    errors_ok: bool
    budgets: tuple[ErrorBudget, ...]

    def step_ok(self, error_pct: float | None) -> bool:
        """A capacity-search step's errors are within every budget."""
        return all(b.holds(error_pct) for b in self.budgets)


def _budgets(run: RunResult, spec: SpecView | None) -> list[ErrorBudget]:
    own = [ErrorBudget(v.threshold, v.op) for v in run.slo if v.name == "errors"]
    spec_pct = spec.error_budget_pct if spec else None
    if spec_pct is not None and all(b.pct != spec_pct for b in own):
        own.append(ErrorBudget(spec_pct, "<="))
    return own or [ErrorBudget(DEFAULT_ERROR_BUDGET_PCT)]


def _failed(run: RunResult) -> str:
    """`29 of 29 requests failed (ConnectionRefusedError 29)`."""
    kinds = sorted(run.failures.by_kind.items(), key=lambda kv: -kv[1])
    top = ", ".join(f"{kind} {count}" for kind, count in kinds[:3])
    shed = f"; {run.failures.shed} shed by the server (503)" if run.failures.shed else ""
    failed = f"{run.failures.total} of {run.requests} requests failed"
    return failed + (f" ({top})" if top else "") + shed


def _errors(run: RunResult, budget: ErrorBudget) -> tuple[bool, str]:
    """Judge the errors from the counts; the reason names them when they break the budget."""
    if run.requests == 0:
        return False, "errors: no request was recorded"
    if run.succeeded == 0:
        return False, f"errors {fmt.pct(run.error_pct)}, no request succeeded: {_failed(run)}"
    if budget.holds(run.error_pct):
        return True, ""
    return False, f"errors {fmt.pct(run.error_pct)} > {budget.pct:g}%: {_failed(run)}"


def judge(run: RunResult, spec: SpecView | None) -> Verdict:
    """The run's own SLOs and the spec's p95, with errors judged from the counts."""
    checks: list[tuple[str, bool, str]] = []
    for v in run.slo:
        if v.name == "errors":
            continue  # judged below from the counts
        unit = f" {v.unit}" if v.unit not in ("%", "") else v.unit
        checks.append(
            (v.label, v.passed, f"{v.name} {fmt.ms(v.measured)}{unit} > {v.threshold:g}{unit}")
        )
    tested = any(
        v.name == "p95" and v.threshold == (spec.p95_ms if spec else None) for v in run.slo
    )
    if spec and spec.p95_ms and not tested:
        measured = run.latency_ms.p95
        passed = measured is not None and measured < spec.p95_ms
        label = f"p95<{spec.p95_ms:g}ms"
        checks.append((label, passed, f"p95 {fmt.ms(measured)} ms > {spec.p95_ms:g} ms"))
    budgets = _budgets(run, spec)
    judged = [(b.label, *_errors(run, b)) for b in budgets]
    errors_ok = all(ok for _, ok, _ in judged)
    spec_budget = spec is not None and spec.error_budget_pct is not None
    stated = spec_budget or any(v.name == "errors" for v in run.slo)
    if not (checks or stated or not errors_ok):
        return Verdict(None, "", None, errors_ok, tuple(budgets))
    # A broken error budget is named first: the latency of failed requests says nothing.
    failures = [why for _, ok, why in judged + checks if not ok]
    return Verdict(
        passed=not failures,
        objectives=", ".join(label for label, _, _ in checks + judged),
        failure=failures[0] if failures else None,
        errors_ok=errors_ok,
        budgets=tuple(budgets),
    )
