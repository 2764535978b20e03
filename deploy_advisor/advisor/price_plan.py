"""A priced plan of the catalog, and the names its fields take."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from deploy_advisor.errors import CatalogError

__all__ = ["CONFIDENCE_LEVELS", "PLAN_KINDS", "SERVING_KINDS", "TARGETS", "PricePlan", "Risk"]

TARGETS = (
    "heroku", "vps", "docker", "kubernetes", "edge", "serverless", "sagemaker", "cloud-run",
    "azure-ml",
)  # fmt: skip
PLAN_KINDS = ("instance", "node", "control_plane", "load_balancer", "serverless", "device")
CONFIDENCE_LEVELS = ("official", "official-copy", "secondary", "derived", "uncertain")
#: Kinds a recommendation can choose as "the plan" of a target.
SERVING_KINDS = ("instance", "node", "serverless", "device")


@dataclass(frozen=True)
class Risk:
    """A known limit of a plan or provider, shown when it applies to the chosen mode."""

    text: str
    modes: tuple[str, ...] = ()

    def applies(self, mode: str) -> bool:
        return not self.modes or mode in self.modes


@dataclass(frozen=True)
class PricePlan:
    """One priced plan. `vcpu` is None where the vendor publishes no vCPU count."""

    name: str
    provider: str
    target: str
    vcpu: float | None
    memory_mb: float | None
    usd_per_hour: float | None
    usd_per_month: float | None
    source: str | None
    as_of: str | None
    confidence: str
    notes: str = ""
    kind: str = "instance"
    also_for: tuple[str, ...] = ()
    sizing_vcpu: float | None = None
    gpu: str | None = None
    usd_upfront: float | None = None
    amortize_months: float | None = None
    flat_monthly: bool = False
    billing_increment_s: float = 1.0
    usage: Mapping[str, float] = field(default_factory=dict)
    limits: Mapping[str, float] = field(default_factory=dict)
    risks: tuple[Risk, ...] = ()
    node: str | None = None
    min_nodes: int = 1
    control_plane: str | None = None
    ha_control_plane: str | None = None
    load_balancer: str | None = None
    devices: str | None = None
    runtime: str | None = None

    def serves(self, target: str) -> bool:
        return self.target == target or target in self.also_for

    @property
    def compute_vcpu(self) -> float | None:
        """vCPUs used for sizing: the published count, else the catalog's stated assumption."""
        return self.vcpu if self.vcpu is not None else self.sizing_vcpu

    def risk_texts(self, mode: str) -> list[str]:
        values: dict[str, Any] = dict(self.limits)
        values.setdefault("amortize_months", _fmt(self.amortize_months))
        out = []
        for risk in self.risks:
            if risk.applies(mode):
                try:
                    out.append(risk.text.format(**{k: _fmt(v) for k, v in values.items()}))
                except (KeyError, IndexError, ValueError) as exc:
                    raise CatalogError(
                        f"plan {self.name!r}: risk text {risk.text!r} names an unknown limit "
                        f"({exc}); add it under the plan's `limits:`"
                    ) from None
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "provider": self.provider,
            "target": self.target,
            "also_for": list(self.also_for),
            "kind": self.kind,
            "vcpu": self.vcpu,
            "sizing_vcpu": self.sizing_vcpu,
            "memory_mb": self.memory_mb,
            "gpu": self.gpu,
            "usd_per_hour": self.usd_per_hour,
            "usd_per_month": self.usd_per_month,
            "usd_upfront": self.usd_upfront,
            "amortize_months": self.amortize_months,
            "usage": dict(self.usage),
            "limits": dict(self.limits),
            "source": self.source,
            "as_of": self.as_of,
            "confidence": self.confidence,
            "notes": self.notes,
            "devices": self.devices,
            "runtime": self.runtime,
        }


def _fmt(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
