"""What the advisor's bill of materials sets in the files: counts, bounds, balancer, schedule."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from deploy_advisor.errors import InputError

if TYPE_CHECKING:
    from deploy_advisor.advisor.bom import BillOfMaterials

__all__ = [
    "BALANCER_RANGES", "DEFAULT_RATE_PER_S", "bom_lines", "client_rate_per_s", "on_calendar",
    "real_ip_range",
]  # fmt: skip

#: nginx's per-client rate limit without a spec.
DEFAULT_RATE_PER_S = 20
#: The private range a balancer's connections to its backends come from, per the provider's docs
#: (Linode: NodeBalancers reach backends over 192.168.255.0/24).
BALANCER_RANGES = {"linode-nodebalancer": "192.168.255.0/24"}
_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


def client_rate_per_s(bom: BillOfMaterials | None) -> int:
    """nginx's per-client limit: the spec's peak (one client may send all of it), else 20 r/s."""
    if bom is None or not bom.peak_rps:
        return DEFAULT_RATE_PER_S
    return max(1, math.ceil(bom.peak_rps))


def real_ip_range(bom: BillOfMaterials | None) -> str | None:
    """The range to trust X-Forwarded-For from: the priced balancer's, else None (no balancer)."""
    if bom is None or not bom.load_balancer:
        return None
    return BALANCER_RANGES.get(bom.load_balancer, "10.0.0.0/8")


def _field(value: str, width: int) -> str:
    if value == "*":
        return "*"
    if value.startswith("*/"):
        return f"00/{int(value[2:]):02d}" if width == 2 else f"0/{int(value[2:])}"
    return ",".join(f"{int(v):02d}" for v in value.split(","))


def on_calendar(cron: str) -> str:
    """A five-field cron schedule (minute hour day month weekday) as a systemd OnCalendar."""
    parts = cron.split()
    if len(parts) != 5:
        raise InputError(f"schedule {cron!r} is not a five-field cron expression")
    minute, hour, day, month, weekday = parts
    try:
        days = "" if weekday == "*" else ",".join(_DAYS[int(d) % 7] for d in weekday.split(","))
        date = f"*-{_field(month, 2)}-{_field(day, 2)}"
        time = f"{_field(hour, 2)}:{_field(minute, 2)}:00"
    except ValueError:
        raise InputError(f"schedule {cron!r} uses cron syntax systemd timers cannot take") from None
    return f"{days} {date} {time}".strip()


def bom_lines(bom: BillOfMaterials) -> list[str]:
    """The README's bill of materials: what was priced, each item, prerequisites and notes."""
    lines = [
        f"plan {bom.plan} ({bom.provider}) x {bom.instances}, ${bom.monthly_usd:.2f}/month "
        f"in {bom.mode} mode"
    ]
    if bom.min_instances != bom.instances or bom.max_instances != bom.instances:
        top = "no limit" if bom.max_instances is None else bom.max_instances
        lines.append(f"autoscaling from {bom.min_instances} to {top}")
    if bom.headroom:
        lines.append(f"headroom: {bom.headroom}")
    if bom.load_balancer:
        lines.append(f"load balancer: {bom.load_balancer}")
    if bom.gpu:
        lines.append(f"GPU: {bom.gpu}")
    if bom.schedule:
        lines.append(f"schedule (cron, UTC): {bom.schedule}")
    if bom.region:
        lines.append(f"region: {bom.region}")
    lines += [f"prerequisite: {p}" for p in bom.prerequisites]
    lines += list(bom.notes)
    return lines
