"""The flags of `recommend` and `init` that set a spec field: one table, in `--help` order."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["FLAGS", "SPEC_FLAGS", "SpecFlag", "parameter"]


class SpecFlag(NamedTuple):
    """A command-line flag that sets one spec field (a dotted path such as `team.ops_skill`)."""

    path: str
    flag: str
    help: str
    metavar: str  # "" for a yes/no field


def parameter(flag: SpecFlag) -> str:
    """The command's parameter name for a flag: `--model-size-mb` is `model_size_mb`."""
    return flag.flag.removeprefix("--").replace("-", "_")


SPEC_FLAGS: tuple[SpecFlag, ...] = (
    SpecFlag(
        "latency.p95_ms", "--p95-ms",
        "p95 latency budget in ms; 'none' = nobody waits online.", "MS",
    ),
    SpecFlag("latency.freshness", "--freshness", "realtime|minutes|hours|daily|weekly.", "LEVEL"),
    SpecFlag("traffic.requests_per_day", "--requests-per-day", "Prediction requests per day.", "N"),
    SpecFlag("traffic.peak_rps", "--peak-rps", "Peak requests per second.", "RPS"),
    SpecFlag("traffic.pattern", "--pattern", "steady|bursty|scheduled.", "PATTERN"),
    SpecFlag("traffic.batch_rows", "--batch-rows", "Rows per scheduled batch run.", "N"),
    SpecFlag("traffic.payload_kb", "--payload-kb", "Size of one request in KB.", "KB"),
    SpecFlag("privacy.pii", "--pii", "Requests carry personal data.", ""),
    SpecFlag("privacy.on_device_only", "--on-device-only", "Data may not leave the device.", ""),
    SpecFlag("privacy.region", "--region", "Region the data must stay in.", "REGION"),
    SpecFlag("connectivity", "--connectivity", "always|intermittent|offline.", "LEVEL"),
    SpecFlag("budget.monthly_usd", "--budget", "Monthly budget in USD.", "USD"),
    SpecFlag("team.ops_skill", "--ops-skill", "beginner|intermediate|expert.", "LEVEL"),
    SpecFlag("availability", "--availability", "Availability target in percent.", "PCT"),
    SpecFlag(
        "cloud.provider", "--cloud",
        "any|aws|gcp|azure|none: the cloud the team already runs on.", "PROVIDER",
    ),
    SpecFlag(
        "edge.devices", "--edge-devices",
        "own (users' phones, browsers, desktops) | board (Raspberry Pi, Jetson).", "KIND",
    ),
    SpecFlag("model.gpu", "--gpu", "The model needs a GPU.", ""),
    SpecFlag("model.size_mb", "--model-size-mb", "Model file size in MB.", "MB"),
    SpecFlag(
        "model.path", "--model",
        "Model file; its size is used when no size is given.", "PATH",
    ),
    SpecFlag("name", "--name", "Name of the service.", "NAME"),
)  # fmt: skip

#: The flag for each spec field (a public contract, like the field names).
FLAGS: dict[str, str] = {flag.path: flag.flag for flag in SPEC_FLAGS}
