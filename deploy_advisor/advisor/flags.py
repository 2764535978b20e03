"""The flags of `recommend` and `init` that set a spec field: one table, in `--help` order."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FLAGS", "SPEC_FLAGS", "SpecFlag"]


@dataclass(frozen=True)
class SpecFlag:
    """A command-line flag that sets one spec field (a dotted path such as `team.ops_skill`)."""

    path: str
    flag: str
    metavar: str
    help: str

    @property
    def parameter(self) -> str:
        """The command's parameter name: `--model-size-mb` is `model_size_mb`."""
        return self.flag.removeprefix("--").replace("-", "_")


SPEC_FLAGS: tuple[SpecFlag, ...] = (
    SpecFlag(
        "latency.p95_ms", "--p95-ms", "MS",
        "p95 latency budget in ms; 'none' = nobody waits online.",
    ),
    SpecFlag("latency.freshness", "--freshness", "LEVEL", "realtime|minutes|hours|daily|weekly."),
    SpecFlag("traffic.requests_per_day", "--requests-per-day", "N", "Prediction requests per day."),
    SpecFlag("traffic.peak_rps", "--peak-rps", "RPS", "Peak requests per second."),
    SpecFlag("traffic.pattern", "--pattern", "PATTERN", "steady|bursty|scheduled."),
    SpecFlag("traffic.batch_rows", "--batch-rows", "N", "Rows per scheduled batch run."),
    SpecFlag("privacy.pii", "--pii", "", "Requests carry personal data."),
    SpecFlag("privacy.on_device_only", "--on-device-only", "", "Data may not leave the device."),
    SpecFlag("privacy.region", "--region", "REGION", "Region the data must stay in."),
    SpecFlag("connectivity", "--connectivity", "LEVEL", "always|intermittent|offline."),
    SpecFlag("budget.monthly_usd", "--budget", "USD", "Monthly budget in USD."),
    SpecFlag("team.ops_skill", "--ops-skill", "LEVEL", "beginner|intermediate|expert."),
    SpecFlag("availability", "--availability", "PCT", "Availability target in percent."),
    SpecFlag("model.gpu", "--gpu", "", "The model needs a GPU."),
    SpecFlag("model.size_mb", "--model-size-mb", "MB", "Model file size in MB."),
    SpecFlag(
        "model.path", "--model", "PATH", "Model file; its size is used when no size is given."
    ),
    SpecFlag("name", "--name", "NAME", "Name of the service."),
)  # fmt: skip

#: The flag for each spec field (a public contract, like the field names).
FLAGS: dict[str, str] = {flag.path: flag.flag for flag in SPEC_FLAGS}
