"""Scale to zero against the latency budget: how long a cold start takes and how often one lands.

These are assumptions, shown with the advice, until `loadtest SCAFFOLD --target cloud-run` (or
sagemaker) measures cold starts:

* a cold start is a container start (`CONTAINER_START_S`) plus loading the model from the image
  at `MODEL_LOAD_MB_PER_S`;
* a platform keeps an idle instance for `IDLE_WINDOW_S` before it scales to zero;
* requests arrive at random at the average rate of `requests_per_day`, so the share that comes
  after a quiet spell longer than that window, and meets a cold start, is exp(-rate x window);
* bursty traffic starts new instances at each burst, so its cold starts land in p95.

A cold start lands in p95 when someone waits, it takes longer than the budget, and more than 5%
of requests meet one (bursty traffic: always). Then a scale-to-zero plan fails the budget unless
instances are kept warm (min instances), which is priced.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from deploy_advisor.advisor.spec import Spec

__all__ = [
    "CONTAINER_START_S", "IDLE_WINDOW_S", "MODEL_LOAD_MB_PER_S", "ColdStarts", "cold_starts",
]  # fmt: skip

#: Assumed start of a container on a managed platform, before the model loads.
CONTAINER_START_S = 2.0
#: Assumed speed of loading the model file from the image into memory.
MODEL_LOAD_MB_PER_S = 100.0
#: Assumed time a platform keeps an idle instance before scaling to zero.
IDLE_WINDOW_S = 300.0
#: The share of requests above which a slow request shows in p95.
P95_TAIL = 0.05


@dataclass(frozen=True)
class ColdStarts:
    """What scaling to zero means for this spec's requests."""

    seconds: float
    share: float
    bursty: bool
    p95_ms: float | None

    @property
    def in_p95(self) -> bool:
        """Cold starts make the p95 budget fail."""
        if self.p95_ms is None or self.seconds * 1000 <= self.p95_ms:
            return False
        return self.bursty or self.share > P95_TAIL

    @property
    def what(self) -> str:
        """`a cold start (~2.4 s assumed)`."""
        return f"a cold start (~{self.seconds:.1f} s assumed)"

    def why(self) -> str:
        """Why cold starts land in (or stay out of) the p95 budget, in one clause."""
        if self.p95_ms is None:
            return "nobody waits online: cold starts cost no one"
        if self.seconds * 1000 <= self.p95_ms:
            return f"scales to zero: {self.what} fits within p95 {self.p95_ms:g} ms"
        if self.bursty:
            return (
                f"bursty traffic starts instances at each burst: {self.what} lands in "
                f"p95 {self.p95_ms:g} ms"
            )
        how = "lands in" if self.share > P95_TAIL else "stays out of"
        return (
            f"about {self.share:.0%} of requests arrive after a {IDLE_WINDOW_S / 60:g}-minute "
            f"quiet spell and meet {self.what}, which {how} p95 {self.p95_ms:g} ms"
        )


def cold_starts(spec: Spec) -> ColdStarts:
    """The cold starts a scale-to-zero plan would give this spec's traffic."""
    seconds = CONTAINER_START_S + spec.model.size_mb / MODEL_LOAD_MB_PER_S
    rate = spec.traffic.average_rps
    share = 1.0 if rate <= 0 else math.exp(-rate * IDLE_WINDOW_S)
    return ColdStarts(
        seconds=seconds,
        share=share,
        bursty=spec.traffic.pattern == "bursty",
        p95_ms=spec.latency.p95_ms,
    )
