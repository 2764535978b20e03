"""The price catalog: plans per provider with their price, size, source, date and confidence.

The packaged `catalog.yaml` holds the figures from the pricing research; `--catalog FILE`
extends it (a plan with an existing name replaces it) or, with `replace=True`, replaces it.
Plain dataclasses and hand-written checks keep loading fast (no pydantic on this path).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from deploy_advisor.advisor.price_plan import (
    CONFIDENCE_LEVELS,
    PLAN_KINDS,
    SERVING_KINDS,
    TARGETS,
    PricePlan,
    Risk,
)
from deploy_advisor.advisor.yamlfile import parse_yaml, read_text_file
from deploy_advisor.errors import CatalogError, InputError

__all__ = [
    "CONFIDENCE_LEVELS",
    "PLAN_KINDS",
    "TARGETS",
    "Catalog",
    "SERVING_KINDS",
    "PricePlan",
    "Risk",
    "load_catalog",
]

_NUMBER_FIELDS = (
    "vcpu",
    "sizing_vcpu",
    "memory_mb",
    "usd_per_hour",
    "usd_per_month",
    "usd_upfront",
    "amortize_months",
    "billing_increment_s",
    "min_nodes",
)
_TEXT_FIELDS = (
    "name",
    "provider",
    "target",
    "kind",
    "gpu",
    "source",
    "as_of",
    "confidence",
    "notes",
    "node",
    "control_plane",
    "ha_control_plane",
    "load_balancer",
    "devices",
    "runtime",
)
_PLAN_KEYS = frozenset(
    _NUMBER_FIELDS + _TEXT_FIELDS + ("also_for", "usage", "limits", "risks", "flat_monthly")
)
_PROVIDER_KEYS = frozenset(
    (
        "source",
        "as_of",
        "confidence",
        "notes",
        "limits",
        "risks",
        "billing_increment_s",
        "load_balancer",
        "regions",
        "region_prices",
    )
)
_TOP_KEYS = frozenset(
    ("version", "currency", "hours_per_month", "amortize_months", "providers", "plans")
)
# Fields a node plan copies from the instance plan it names in `node:`.
_NODE_INHERITS = (
    "vcpu",
    "sizing_vcpu",
    "memory_mb",
    "gpu",
    "usd_per_hour",
    "usd_per_month",
    "source",
    "as_of",
    "confidence",
    "billing_increment_s",
)


@dataclass(frozen=True)
class Catalog:
    """All plans by name, plus the catalog's conventions."""

    plans: Mapping[str, PricePlan]
    hours_per_month: float = 730.0
    amortize_months: float = 36.0
    currency: str = "USD"
    providers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def plan(self, name: str) -> PricePlan:
        try:
            return self.plans[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self.plans), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise CatalogError(
                f"no plan named {name!r} in the price catalog{hint} "
                "(`deploy-advisor catalog` lists them)"
            ) from None

    def regions(self, provider: str) -> tuple[str, ...]:
        """The regions a provider's plans run in; empty when the catalog lists none."""
        return tuple(str(r) for r in self.providers.get(provider, {}).get("regions") or ())

    def plans_for(self, target: str) -> list[PricePlan]:
        """Plans that can host `target`, cheapest first."""
        return list(self._by_target.get(target, ()))

    def listing(self, target: str | None = None) -> list[PricePlan]:
        """What `deploy-advisor catalog` lists: the plans of `target`, else every plan by target."""
        if target is None:
            return [p for t in TARGETS for p in self.plans_for(t) if p.target == t]
        if target not in TARGETS:
            raise InputError(f"--target is {target!r}; use one of {', '.join(TARGETS)}")
        return self.plans_for(target)

    def listing_json(self, plans: list[PricePlan]) -> dict[str, Any]:
        """`plans` with the catalog's conventions, as `catalog --json` prints them."""
        return {
            "currency": self.currency,
            "hours_per_month": self.hours_per_month,
            "amortize_months": self.amortize_months,
            "plans": [p.to_json() for p in plans],
        }

    @cached_property
    def _by_target(self) -> dict[str, tuple[PricePlan, ...]]:
        ordered = sorted(self.plans.values(), key=lambda p: (_sort_price(p), p.name))
        return {t: tuple(p for p in ordered if p.serves(t)) for t in TARGETS}

    def __iter__(self) -> Iterator[PricePlan]:
        return iter(self.plans.values())


def _sort_price(plan: PricePlan) -> float:
    for value in (plan.usd_per_month, plan.usd_upfront, plan.usd_per_hour):
        if value is not None:
            return value
    return math.inf


# --- loading -------------------------------------------------------------------------------


@cache
def _packaged_document() -> Mapping[str, Any]:
    text = (Path(__file__).parent / "catalog.yaml").read_text(encoding="utf-8")
    data = parse_yaml(text, "the packaged catalog", CatalogError)
    if not isinstance(data, dict):  # pragma: no cover - packaged file
        raise CatalogError("the packaged catalog is not a mapping; reinstall deploy-advisor")
    return data


def load_catalog(extra: Path | None = None, *, replace: bool = False) -> Catalog:
    """The packaged catalog, extended by (or, with `replace`, replaced by) the file `extra`."""
    documents: list[tuple[str, Mapping[str, Any]]] = []
    if extra is None or not replace:
        documents.append(("the packaged catalog", _packaged_document()))
    if extra is not None:
        where = f"catalog {str(extra)!r}"
        data = parse_yaml(
            read_text_file(Path(extra), "catalog file", CatalogError), where, CatalogError
        )
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise CatalogError(
                f"{where} must be a mapping with `providers:` and `plans:`, "
                f"not {type(data).__name__}"
            )
        documents.append((where, data))
    elif replace:
        raise CatalogError("--replace-catalog needs --catalog FILE")
    return _build(documents)


def _build(documents: list[tuple[str, Mapping[str, Any]]]) -> Catalog:
    meta: dict[str, Any] = {"hours_per_month": 730.0, "amortize_months": 36.0, "currency": "USD"}
    providers: dict[str, dict[str, Any]] = {}
    raw_plans: dict[str, tuple[str, dict[str, Any]]] = {}
    for where, doc in documents:
        unknown = sorted(str(k) for k in doc if k not in _TOP_KEYS)
        if unknown:
            raise CatalogError(
                f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(_TOP_KEYS))}"
            )
        for key in ("hours_per_month", "amortize_months"):
            if key in doc:
                meta[key] = _number(doc[key], f"{where}: {key}", positive=True)
        if "currency" in doc:
            meta["currency"] = str(doc["currency"])
        provs = doc.get("providers") or {}
        if not isinstance(provs, dict):
            raise CatalogError(f"{where}: `providers` must be a mapping of provider names")
        for pname, pdata in provs.items():
            if not isinstance(pdata, dict):
                raise CatalogError(f"{where}: provider {pname!r} must be a mapping")
            bad = sorted(str(k) for k in pdata if k not in _PROVIDER_KEYS)
            if bad:
                raise CatalogError(
                    f"{where}: provider {pname!r} has unknown key {bad[0]!r}; "
                    f"allowed: {', '.join(sorted(_PROVIDER_KEYS))}"
                )
            _mapping(pdata.get("limits"), f"{where}: provider {pname!r}: limits")
            _list(pdata.get("risks"), f"{where}: provider {pname!r}: risks")
            _list(pdata.get("regions"), f"{where}: provider {pname!r}: regions")
            earlier = providers.get(str(pname), {})  # a file extends a packaged provider
            limits = {**(earlier.get("limits") or {}), **(pdata.get("limits") or {})}
            providers[str(pname)] = {**earlier, **pdata, "limits": limits}
        plans = doc.get("plans") or []
        if not isinstance(plans, list):
            raise CatalogError(f"{where}: `plans` must be a list of plans")
        for i, pdata in enumerate(plans):
            if not isinstance(pdata, dict):
                raise CatalogError(f"{where}: plan #{i + 1} must be a mapping")
            name = pdata.get("name")
            if not isinstance(name, str) or not name:
                raise CatalogError(f"{where}: plan #{i + 1} has no `name`; give it one")
            raw_plans[name] = (where, dict(pdata))

    built: dict[str, PricePlan] = {}
    for name, (where, pdata) in raw_plans.items():
        built[name] = _plan(name, where, pdata, providers, raw_plans, meta)
    for plan in built.values():
        for ref in (plan.control_plane, plan.ha_control_plane, plan.load_balancer):
            if ref is not None and ref not in built:
                raise CatalogError(
                    f"plan {plan.name!r} refers to {ref!r}, which is not in the catalog; "
                    "add that plan or fix the name"
                )
    return Catalog(
        plans=built,
        hours_per_month=float(meta["hours_per_month"]),
        amortize_months=float(meta["amortize_months"]),
        currency=str(meta["currency"]),
        providers=providers,
    )


def _number(value: Any, what: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CatalogError(f"{what} is {value!r}, which is not a number; write a number")
    if value < 0:
        raise CatalogError(f"{what} is {value}, which is negative; use 0 or more")
    if positive and value == 0:
        raise CatalogError(f"{what} is 0; it must be above 0")
    return float(value)


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CatalogError(f"{what} is {value!r}, which is not a mapping; write `key: value` pairs")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CatalogError(f"{what} is {value!r}, which is not a list; write one `- item` a line")
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _plan(
    name: str,
    where: str,
    pdata: dict[str, Any],
    providers: Mapping[str, Mapping[str, Any]],
    raw_plans: Mapping[str, tuple[str, dict[str, Any]]],
    meta: Mapping[str, Any],
) -> PricePlan:
    what = f"{where}: plan {name!r}"
    bad = sorted(str(k) for k in pdata if k not in _PLAN_KEYS)
    if bad:
        close = difflib.get_close_matches(bad[0], sorted(_PLAN_KEYS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise CatalogError(f"{what} has unknown key {bad[0]!r}{hint}")
    provider = pdata.get("provider")
    if not isinstance(provider, str):
        raise CatalogError(f"{what} has no `provider`; name one")
    prov = providers.get(provider, {})
    merged: dict[str, Any] = {}
    node_ref = pdata.get("node")
    for key in ("node", "control_plane", "ha_control_plane", "load_balancer"):
        ref = pdata.get(key)
        if ref is not None and not isinstance(ref, str):
            raise CatalogError(f"{what}: {key} is {ref!r}, which is not a plan name")
    if node_ref is not None:
        if node_ref not in raw_plans:
            raise CatalogError(f"{what} uses node {node_ref!r}, which is not in the catalog")
        node_data = raw_plans[node_ref][1]
        node_prov = providers.get(str(node_data.get("provider")), {})
        for key in _NODE_INHERITS:
            if key in node_data:
                merged[key] = node_data[key]
            elif key in node_prov:
                merged[key] = node_prov[key]
    for key in ("source", "as_of", "confidence", "notes", "billing_increment_s", "load_balancer"):
        if key in prov and key not in merged:
            merged[key] = prov[key]
    merged.update(pdata)
    limits = {**(prov.get("limits") or {}), **_mapping(pdata.get("limits"), f"{what}: limits")}
    risks_raw = list(prov.get("risks") or []) + _list(pdata.get("risks"), f"{what}: risks")

    target = merged.get("target")
    if target not in TARGETS:
        raise CatalogError(f"{what} has target {target!r}; use one of {', '.join(TARGETS)}")
    kind = merged.get("kind", "instance")
    if kind not in PLAN_KINDS:
        raise CatalogError(f"{what} has kind {kind!r}; use one of {', '.join(PLAN_KINDS)}")
    if merged.get("devices") not in (None, "own", "board"):
        raise CatalogError(f"{what} has devices {merged['devices']!r}; use own or board")
    also_for = merged.get("also_for") or []
    if not isinstance(also_for, list) or any(t not in TARGETS for t in also_for):
        raise CatalogError(f"{what}: also_for must be a list of {', '.join(TARGETS)}")
    confidence = _text(merged.get("confidence")) or "uncertain"
    if confidence not in CONFIDENCE_LEVELS and not confidence.startswith(CONFIDENCE_LEVELS):
        raise CatalogError(
            f"{what} has confidence {confidence!r}; use one of {', '.join(CONFIDENCE_LEVELS)}"
        )
    numbers: dict[str, float | None] = {}
    for key in _NUMBER_FIELDS:
        value = merged.get(key)
        numbers[key] = None if value is None else _number(value, f"{what}: {key}")
    for key, value in limits.items():
        limits[key] = _number(value, f"{what}: limits.{key}")
    usage = merged.get("usage") or {}
    if not isinstance(usage, dict):
        raise CatalogError(f"{what}: usage must be a mapping of per-use prices")
    usage = {str(k): _number(v, f"{what}: usage.{k}") for k, v in usage.items()}
    risks = []
    for r in risks_raw:
        if isinstance(r, str):
            risks.append(Risk(r))
        elif isinstance(r, dict) and isinstance(r.get("text"), str):
            modes = r.get("modes") or []
            risks.append(Risk(r["text"], tuple(str(m) for m in modes)))
        else:
            raise CatalogError(f"{what}: each risk needs a `text`")

    amortize = numbers["amortize_months"]
    per_month = numbers["usd_per_month"]
    upfront = numbers["usd_upfront"]
    if kind == "device":
        amortize = amortize or float(meta["amortize_months"])
        if per_month is None and upfront is not None:
            per_month = round(upfront / amortize, 2)
    per_hour = numbers["usd_per_hour"]
    if kind in ("instance", "node") and per_month is None and per_hour is None:
        raise CatalogError(f"{what} has neither usd_per_month nor usd_per_hour; give one")
    if kind == "serverless" and not usage:
        raise CatalogError(f"{what} is serverless but has no `usage` prices")
    for key in ("memory_mb",):
        if kind in ("instance", "node", "serverless", "device") and numbers[key] is None:
            raise CatalogError(f"{what} has no {key}; give the plan's memory in MB")
    return PricePlan(
        name=name,
        provider=provider,
        target=str(target),
        vcpu=numbers["vcpu"],
        memory_mb=numbers["memory_mb"],
        usd_per_hour=per_hour,
        usd_per_month=per_month,
        source=_text(merged.get("source")),
        as_of=_text(merged.get("as_of")),
        confidence=confidence,
        notes=_text(merged.get("notes")) or "",
        kind=str(kind),
        also_for=tuple(str(t) for t in also_for),
        sizing_vcpu=numbers["sizing_vcpu"],
        gpu=_text(merged.get("gpu")),
        usd_upfront=upfront,
        amortize_months=amortize,
        flat_monthly=bool(merged.get("flat_monthly", False)),
        billing_increment_s=numbers["billing_increment_s"] or 1.0,
        usage=usage,
        limits=limits,
        risks=tuple(risks),
        node=_text(node_ref),
        min_nodes=int(numbers["min_nodes"] or 1),
        control_plane=_text(merged.get("control_plane")),
        ha_control_plane=_text(merged.get("ha_control_plane")),
        load_balancer=_text(merged.get("load_balancer")),
        devices=_text(merged.get("devices")),
        runtime=_text(merged.get("runtime")),
    )
