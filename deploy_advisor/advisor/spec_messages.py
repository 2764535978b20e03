"""Wording of spec errors: example values per field and how values are shown."""

from __future__ import annotations

from typing import Any

__all__ = ["HINTS", "is_number", "kind", "num", "show"]

HINTS: dict[str, str] = {
    "name": "name: churn-model",
    "model": "model: {path: model.joblib, size_mb: 40, gpu: false}",
    "model.path": "path: model.joblib",
    "model.size_mb": "size_mb: 40",
    "model.gpu": "gpu: false",
    "latency": "latency: {p95_ms: 200, freshness: realtime}",
    "latency.p95_ms": "p95_ms: 200 (or null when nobody waits)",
    "latency.freshness": "freshness: realtime",
    "traffic": "traffic: {requests_per_day: 50000, peak_rps: 20}",
    "traffic.requests_per_day": "requests_per_day: 50000",
    "traffic.peak_rps": "peak_rps: 20",
    "traffic.pattern": "pattern: steady",
    "traffic.batch_rows": "batch_rows: 100000",
    "traffic.payload_kb": "payload_kb: 2",
    "privacy": "privacy: {pii: false, on_device_only: false, region: null}",
    "privacy.pii": "pii: false",
    "privacy.on_device_only": "on_device_only: false",
    "privacy.region": "region: eu",
    "connectivity": "connectivity: always",
    "budget": "budget: {monthly_usd: 100}",
    "budget.monthly_usd": "monthly_usd: 100",
    "team": "team: {ops_skill: intermediate}",
    "team.ops_skill": "ops_skill: intermediate",
    "availability": "availability: 99.9",
    "edge": "edge: {devices: own}",
    "edge.devices": "devices: own (or board)",
    "cloud": "cloud: {provider: aws}",
    "cloud.provider": "provider: aws (or any, gcp, azure, none)",
}


def is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def show(value: Any) -> str:
    if isinstance(value, dict | list):
        text = f"a {kind(value)}"
    elif isinstance(value, str):
        text = repr(value)
    else:
        text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return text


def kind(value: Any) -> str:
    return {dict: "mapping", list: "list", str: "string", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def num(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:g}"
    return str(value)
