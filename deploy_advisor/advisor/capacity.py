"""How many instances a plan needs for the user's traffic, and what batch runs take.

These are documented defaults until a load test measures the real numbers
(`deploy-advisor loadtest --find-capacity`); every function takes the measured value as a
keyword so the load-test part can replace the default.

Where the defaults come from (measured on a 2-vCPU KVM guest, one row per request, see
`shared/reference/serving-measurements.md`):

* A 100-tree RandomForest served by gunicorn sync workers or FastAPI reached about
  440 req/s on 2 vCPUs, about 220 req/s per vCPU; a LogisticRegression about 2,800 per vCPU.
* `DEFAULT_RPS_PER_VCPU` takes 100 req/s per vCPU: under half of the RandomForest figure, so
  that an instance sized for the peak runs at about 50% CPU and keeps its tail latency.
* Batch scoring is vectorised: the same RandomForest scored about 17,000 rows/s per core in
  64-row chunks. `DEFAULT_BATCH_ROWS_PER_VCPU_S` takes 5,000 rows/s per vCPU to leave room for
  reading and writing the data.
"""

from __future__ import annotations

import math

__all__ = [
    "BATCH_RUN_OVERHEAD_S",
    "DEFAULT_BATCH_ROWS_PER_VCPU_S",
    "DEFAULT_RPS_PER_VCPU",
    "MODEL_MEMORY_FACTOR",
    "OS_RESERVED_MB",
    "RUNS_PER_MONTH",
    "RUNTIME_OVERHEAD_MB",
    "batch_run_seconds",
    "instances_needed",
    "worker_memory_mb",
    "workers_that_fit",
]

#: Requests per second one vCPU serves for a typical scikit-learn model (one row per request).
DEFAULT_RPS_PER_VCPU = 100.0

#: Rows per second one vCPU scores in a batch job (chunked, including reading and writing).
DEFAULT_BATCH_ROWS_PER_VCPU_S = 5000.0

#: Seconds each batch run spends starting: boot or pull, install, load the model.
BATCH_RUN_OVERHEAD_S = 120.0

#: Memory of one server worker before the model: Python, numpy, scikit-learn, the web stack.
RUNTIME_OVERHEAD_MB = 150.0

#: A model unpickled in memory takes about this many times its file size.
MODEL_MEMORY_FACTOR = 2.0

#: Memory a virtual machine or device keeps for its operating system.
OS_RESERVED_MB = 256.0

#: Batch runs per month for each freshness (730 hours a month).
RUNS_PER_MONTH = {
    "realtime": 730.0 * 12,  # every 5 minutes: the closest a batch job gets to realtime
    "minutes": 730.0 * 4,  # every 15 minutes
    "hours": 730.0,  # hourly
    "daily": 730.0 / 24,  # 30.4
    "weekly": 730.0 / (24 * 7),  # 4.3
}

HOURS_PER_MONTH = 730.0


def instances_needed(peak_rps: float, capacity_rps: float) -> int:
    """Instances that serve `peak_rps` when one instance sustains `capacity_rps`; at least 1."""
    if capacity_rps <= 0:
        raise ValueError(f"capacity_rps must be positive, got {capacity_rps}")
    if peak_rps <= 0:
        return 1
    return max(1, math.ceil(peak_rps / capacity_rps - 1e-9))


def worker_memory_mb(model_size_mb: float) -> float:
    """Resident memory of one server worker holding the model."""
    return RUNTIME_OVERHEAD_MB + MODEL_MEMORY_FACTOR * model_size_mb


def workers_that_fit(memory_mb: float, model_size_mb: float, *, reserved_mb: float) -> int:
    """How many workers holding the model fit in `memory_mb` after `reserved_mb`."""
    usable = memory_mb - reserved_mb
    return max(0, math.floor(usable / worker_memory_mb(model_size_mb)))


def batch_run_seconds(rows: float, vcpus: float, *, rows_per_vcpu_s: float | None = None) -> float:
    """Wall-clock seconds of one batch run over `rows` rows on `vcpus` vCPUs, start-up included."""
    rate = (rows_per_vcpu_s or DEFAULT_BATCH_ROWS_PER_VCPU_S) * max(vcpus, 0.25)
    return BATCH_RUN_OVERHEAD_S + rows / rate
