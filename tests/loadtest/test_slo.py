"""SLO text parsing and verdicts."""

from __future__ import annotations

import pytest

from deploy_advisor.errors import InputError
from deploy_advisor.loadtest.slo import Slo, evaluate, parse_slos


def test_parses_latency_errors_and_rate() -> None:
    slos = parse_slos("p95<200ms, p99<0.5s,errors<1%,p99.9<=900ms,rps>=100")
    assert slos == [
        Slo("p95", "<", 200.0, "ms"),
        Slo("p99", "<", 500.0, "ms"),
        Slo("errors", "<", 1.0, "%"),
        Slo("p999", "<=", 900.0, "ms"),
        Slo("rps", ">=", 100.0, "rps"),
    ]
    assert str(slos[0]) == "p95<200ms"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("p95<fast", "'p95<fast'"),
        ("p97<10ms", "'p97'"),
        ("errors<1ms", "'errors<1ms'"),
        (",", "','"),
    ],
)
def test_bad_slo_names_the_token(text: str, named: str) -> None:
    with pytest.raises(InputError) as info:
        parse_slos(text)
    message = str(info.value)
    assert named in message
    assert "\n" not in message


def test_verdicts_compare_strictly_and_fail_when_unmeasured() -> None:
    slos = parse_slos("p95<200ms,errors<1%,rps>50")
    verdicts = evaluate(slos, {"p95": 200.0, "errors": 0.5, "rps": None})
    assert [(v.name, v.measured, v.passed) for v in verdicts] == [
        ("p95", 200.0, False),
        ("errors", 0.5, True),
        ("rps", None, False),
    ]
