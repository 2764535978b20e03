"""The handle on a server launched locally: where to send load and how to sample it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from deploy_advisor.emulate.procstats import StatsSampler

__all__ = ["Launched"]


@dataclass
class Launched:
    """A running server: where to send load, whether it is emulated, and its resource sampler."""

    base_url: str
    emulated: bool
    describe: str
    stats: StatsSampler | None = None
    plan: str | None = None
    chaos: Callable[[str, Callable[[str], None]], None] | None = None
    """Disrupts the running server (`stop`, `kill`, `rollout`), noting each step; None: cannot."""
    #: Scale to zero: the cold starts so far (seconds from a request to a stopped server until
    #: its first answer byte); None when the server never scales to zero.
    cold_starts: Callable[[], list[float]] | None = None
    #: Seconds from starting the server (container or process) until its /readyz first answered
    #: 200: what a platform's startup probe must allow; None when the server was not started here.
    start_to_ready_s: float | None = None
    #: Scale to zero: stop the server now, so the next request waits for a cold start (False
    #: when a request was still open); None when the server never scales to zero.
    scale_to_zero: Callable[[], bool] | None = None
