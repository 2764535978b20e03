"""Monthly cost of a plan for the user's traffic.

Realtime: instances needed for `peak_rps` at a per-instance capacity (`capacity_rps`, measured
by a load test, or vCPUs x `rps_per_vcpu`), times the plan price, plus a load balancer in front
of two or more instances and, for Kubernetes, the control-plane fee. Serverless plans are
priced per use from requests per day. Batch: run-hours a month (rows at a rows/s rate) times
the hourly price, compared with the same plan running 24/7. Edge: a device's list price
amortised over the catalog's stated number of months.
"""

from __future__ import annotations

import math

from deploy_advisor.advisor.capacity import (
    BATCH_RUN_OVERHEAD_S,
    DEFAULT_RPS_PER_VCPU,
    HOURS_PER_MONTH,
    RUNS_PER_MONTH,
    batch_run_seconds,
    instances_needed,
    workers_that_fit,
)
from deploy_advisor.advisor.catalog import Catalog, PricePlan
from deploy_advisor.advisor.coldstart import ColdStarts, cold_starts
from deploy_advisor.advisor.constraints import (
    HA_AVAILABILITY,
    HA_CONTROL_PLANE_AVAILABILITY,
    plan_block,
    reserved_mb,
)
from deploy_advisor.advisor.cost_items import (
    Ineligible,
    LineItem,
    PlanCost,
    usd,
    usd_rate,
)
from deploy_advisor.advisor.spec import Spec

__all__ = ["Ineligible", "LineItem", "PlanCost", "lower_bound", "plan_cost"]

#: Targets whose batch scaffold runs on an always-on VM (a systemd timer or cron).
ALWAYS_ON_BATCH = ("vps", "docker")


def plan_cost(
    plan: PricePlan,
    spec: Spec,
    mode: str,
    catalog: Catalog,
    *,
    capacity_rps: float | None = None,
    rps_per_vcpu: float | None = None,
    batch_rows_per_vcpu_s: float | None = None,
    target: str | None = None,
    weigh_cold_starts: bool = False,
) -> PlanCost | Ineligible:
    """What `plan` costs a month for `spec` in `mode` on `target`, or why it cannot serve it.

    With `weigh_cold_starts` (the advice), a serverless plan whose cold starts would land in the
    p95 budget is priced kept warm, or ruled out when it cannot be; without (a run that scaled to
    zero, priced by `report`), it is priced per use.

    `capacity_rps` is the measured requests/s one instance sustains; when None, capacity is
    the plan's vCPUs (workers) x `rps_per_vcpu` (default `DEFAULT_RPS_PER_VCPU`), and unknown
    for a GPU plan (a GPU's throughput is not a vCPU figure).
    """
    block = plan_block(plan, spec, mode)
    if block is not None:
        return Ineligible(plan, block)
    if plan.kind == "device":
        return _device(plan)
    if mode == "batch":
        return _batch(plan, spec, catalog, batch_rows_per_vcpu_s, target)
    if plan.kind == "serverless":
        cold = cold_starts(spec)
        if not (weigh_cold_starts and cold.in_p95):
            return _serverless(plan, spec, catalog, rps_per_vcpu)
        if "warm_usd_per_vcpu_second" in plan.usage:
            return _warm(plan, spec, rps_per_vcpu, cold)
        return Ineligible(
            plan,
            f"{cold.why()}; {plan.name} keeps no instance warm (provisioned concurrency is not "
            "in the catalog)",
        )
    return _realtime(plan, spec, catalog, capacity_rps, rps_per_vcpu)


def lower_bound(
    plan: PricePlan, spec: Spec, mode: str, catalog: Catalog, target: str | None = None
) -> float:
    """A cheap floor under `plan_cost(...).monthly_usd`, to skip plans that cannot be cheapest."""
    if plan.kind in ("serverless", "device"):
        return 0.0
    price = _price_month(plan, catalog)
    if mode == "batch" and target in ALWAYS_ON_BATCH:
        return price
    if mode == "batch":
        if plan.kind == "node":
            return plan.min_nodes * price
        if plan.flat_monthly:
            return price
        runs = RUNS_PER_MONTH[spec.latency.freshness]
        return min(price, runs * _price_hour(plan, catalog) * BATCH_RUN_OVERHEAD_S / 3600)
    return price * (plan.min_nodes if plan.kind == "node" else 1)


def _price_month(plan: PricePlan, catalog: Catalog) -> float:
    if plan.usd_per_month is not None:
        return plan.usd_per_month
    assert plan.usd_per_hour is not None
    return plan.usd_per_hour * catalog.hours_per_month


def _price_hour(plan: PricePlan, catalog: Catalog) -> float:
    if plan.usd_per_hour is not None:
        return plan.usd_per_hour
    assert plan.usd_per_month is not None
    return plan.usd_per_month / catalog.hours_per_month


def _workers(plan: PricePlan, spec: Spec) -> tuple[int, float]:
    vcpu = plan.compute_vcpu or 1.0
    assert plan.memory_mb is not None
    fit = workers_that_fit(plan.memory_mb, spec.model.size_mb, reserved_mb=reserved_mb(plan))
    workers = max(1, min(fit, max(1, math.floor(vcpu))))
    return workers, vcpu


def _realtime(
    plan: PricePlan,
    spec: Spec,
    catalog: Catalog,
    capacity_rps: float | None,
    rps_per_vcpu: float | None,
) -> PlanCost | Ineligible:
    rate = rps_per_vcpu or DEFAULT_RPS_PER_VCPU
    workers, vcpu = _workers(plan, spec)
    measured = capacity_rps is not None
    per_instance: float | None
    if capacity_rps is not None:
        per_instance = capacity_rps
        how = f"{per_instance:g} req/s per instance (measured)"
    elif plan.gpu:
        per_instance = None
        how = (
            f"unknown until measured: a GPU's throughput ({plan.gpu}) is not a vCPU figure; "
            "priced as one GPU instance for the peak; run `deploy-advisor loadtest "
            "--find-capacity` on it"
        )
    else:
        per_instance = min(float(workers), vcpu) * rate
        unit = "vCPU-equivalent, both assumed" if plan.vcpu is None else "vCPU, assumed"
        plural = "s" if workers > 1 else ""
        how = (
            f"{per_instance:g} req/s per instance "
            f"({workers} worker{plural} x {rate:g} req/s per {unit})"
        )
    needed = 1 if per_instance is None else instances_needed(spec.traffic.peak_rps, per_instance)
    instances = needed
    why = [f"{needed} for {spec.traffic.peak_rps:g} req/s peak"]
    headroom = None
    if spec.availability >= HA_AVAILABILITY:
        instances = needed + 1
        headroom = (
            f"N+1: {needed} instance{'s carry' if needed > 1 else ' carries'} the "
            f"{spec.traffic.peak_rps:g} req/s peak and one more is spare, so losing one keeps "
            f"{spec.availability:g}% availability"
        )
        why.append(f"+1 spare for {spec.availability:g}% availability (N+1)")
    if plan.kind == "node" and instances < plan.min_nodes:
        instances = plan.min_nodes
        why.append(f"{plan.min_nodes} nodes minimum")
    max_instances = plan.limits.get("max_instances")
    if max_instances is not None and instances > max_instances:
        each = "" if per_instance is None else f" at {per_instance:g} req/s each"
        return Ineligible(
            plan,
            f"needs {instances} instances ({'; '.join(why)}){each}; "
            f"{plan.name} runs at most {max_instances:g}",
        )
    price = _price_month(plan, catalog)
    base = price if plan.flat_monthly else instances * price
    quantity = 1 if plan.flat_monthly else instances
    items = [LineItem(plan.kind, plan.name, quantity, base / quantity, base, _what(plan))]
    extras: list[PricePlan] = []
    if plan.kind == "node":
        cp_name = plan.control_plane
        if spec.availability >= HA_CONTROL_PLANE_AVAILABILITY and plan.ha_control_plane:
            cp_name = plan.ha_control_plane
        if cp_name is not None:
            extras.append(catalog.plan(cp_name))
    routed = plan.target == "heroku"  # Heroku's router spreads requests over the dynos
    lb_missing = instances > 1 and not plan.load_balancer and not routed
    if plan.load_balancer and (instances > 1 or plan.kind == "node"):
        extras.append(catalog.plan(plan.load_balancer))
    for extra in extras:
        extra_usd = _price_month(extra, catalog)
        items.append(LineItem(extra.kind, extra.name, 1, extra_usd, extra_usd, _what(extra)))
    monthly = sum(i.monthly_usd for i in items)

    def explain() -> list[str]:
        lines = [f"{instances} x {plan.name} at {usd(price)} = {usd(base)} ({', '.join(why)})"]
        if plan.flat_monthly:
            lines[0] = f"{plan.name}: flat {usd(price)} a month"
        for extra in extras:
            what = "control plane" if extra.kind == "control_plane" else "load balancer"
            lines.append(f"{what} {extra.name}: {usd(_price_month(extra, catalog))}")
        if lb_missing:
            lines.append("load balancer not included (price not in the catalog)")
        elif routed and instances > 1:
            lines.append("load balancing included (Heroku's router)")
        lines.append(f"capacity {how}")
        return lines

    return PlanCost(
        plan=plan,
        mode="realtime",
        monthly_usd=monthly,
        instances=instances,
        capacity_rps=per_instance,
        workers=workers,
        explain=explain,
        extras=tuple(extras),
        capacity_measured=measured,
        items=tuple(items),
        headroom=headroom,
    )


def _what(plan: PricePlan) -> str:
    return {
        "control_plane": "Kubernetes control plane",
        "load_balancer": "load balancer",
        "node": "cluster node",
        "device": "device (amortised)",
    }.get(plan.kind, "instance")


def _usage(plan: PricePlan, monthly: float, what: str) -> tuple[LineItem, ...]:
    return (LineItem("usage", plan.name, 1, monthly, monthly, what),)


def _requests_per_month(spec: Spec) -> float:
    return spec.traffic.requests_per_day * HOURS_PER_MONTH / 24


def _serverless(
    plan: PricePlan, spec: Spec, catalog: Catalog, rps_per_vcpu: float | None
) -> PlanCost:
    rate = rps_per_vcpu or DEFAULT_RPS_PER_VCPU
    u = plan.usage
    requests = _requests_per_month(spec)
    seconds_per_request = 1.0 / rate
    if "usd_per_vcpu_second" in u:
        vcpu = plan.vcpu or 1.0
        billed = max(u.get("billing_increment_s", 0.0), seconds_per_request)
        vcpu_s = requests * billed * vcpu
        gib_s = requests * billed * (plan.memory_mb or 0) / 1024
        cpu = max(0.0, vcpu_s - u.get("free_vcpu_seconds", 0)) * u["usd_per_vcpu_second"]
        mem = max(0.0, gib_s - u.get("free_gib_seconds", 0)) * u.get("usd_per_gib_second", 0)
        paid_requests = max(0.0, requests - u.get("free_requests", 0))
        request_fees = paid_requests / 1e6 * u.get("usd_per_million_requests", 0)
        monthly = cpu + mem + request_fees

        def explain() -> list[str]:
            free = (
                f"{u.get('free_vcpu_seconds', 0):,.0f} vCPU-s, "
                f"{u.get('free_gib_seconds', 0):,.0f} GiB-s, "
                f"{u.get('free_requests', 0):,.0f} requests"
            )
            return [
                f"{requests:,.0f} requests a month x {billed:g} s billed = {vcpu_s:,.0f} vCPU-s "
                f"and {gib_s:,.0f} GiB-s; after the monthly free tier ({free}): {usd(monthly)}",
                f"request fees {usd(request_fees)} ({paid_requests:,.0f} requests beyond the free "
                f"tier at {usd_rate(u.get('usd_per_million_requests', 0))} per million)",
                _IDLE,
                f"scales with traffic; {rate:g} req/s per vCPU assumed for compute time",
            ]

    else:
        per_second = u.get("usd_per_second", 0.0)
        compute = requests * seconds_per_request * per_second
        data = requests * spec.traffic.payload_kb * 1024 / 1e9 * u.get("usd_per_gb_processed", 0)
        monthly = compute + data

        def explain() -> list[str]:
            return [
                f"{requests:,.0f} requests x {seconds_per_request * 1000:g} ms at "
                f"${per_second:g}/s = {usd(compute)}, data processed {usd(data)}",
                _IDLE,
                f"scales with traffic; {rate:g} req/s per vCPU assumed for compute time",
            ]

    return PlanCost(
        plan=plan,
        mode="realtime",
        monthly_usd=monthly,
        instances=0,
        capacity_rps=None,
        explain=explain,
        items=_usage(plan, monthly, f"{requests:,.0f} requests a month, billed per use"),
    )


_IDLE = "idle time $0.00: it scales to zero between requests"


def _warm(plan: PricePlan, spec: Spec, rps_per_vcpu: float | None, cold: ColdStarts) -> PlanCost:
    """A serverless service kept warm (min instances, CPU always allocated) for the peak."""
    u = plan.usage
    vcpu = plan.vcpu or 1.0
    per_instance = vcpu * (rps_per_vcpu or DEFAULT_RPS_PER_VCPU)
    warm = instances_needed(spec.traffic.peak_rps, per_instance) if spec.traffic.peak_rps else 1
    seconds = HOURS_PER_MONTH * 3600 * warm
    vcpu_s, gib_s = seconds * vcpu, seconds * (plan.memory_mb or 0) / 1024
    cpu = max(0.0, vcpu_s - u.get("warm_free_vcpu_seconds", 0)) * u["warm_usd_per_vcpu_second"]
    mem = max(0.0, gib_s - u.get("warm_free_gib_seconds", 0)) * u.get("warm_usd_per_gib_second", 0)
    monthly = cpu + mem
    what = f"min instances {warm}, kept warm all month"

    def explain() -> list[str]:
        return [
            f"{cold.why()}: {what} (instance-based billing, CPU always allocated, no request "
            f"fees): {vcpu_s:,.0f} vCPU-s and {gib_s:,.0f} GiB-s after the free tier = "
            f"{usd(monthly)}",
            f"{warm} warm instance{'s' if warm > 1 else ''} at {per_instance:g} req/s each "
            f"carry the {spec.traffic.peak_rps:g} req/s peak",
        ]

    return PlanCost(
        plan=plan,
        mode="realtime",
        monthly_usd=monthly,
        instances=warm,
        capacity_rps=per_instance,
        explain=explain,
        items=_usage(plan, monthly, what),
    )


def _batch(
    plan: PricePlan,
    spec: Spec,
    catalog: Catalog,
    rows_per_vcpu_s: float | None,
    target: str | None,
) -> PlanCost | Ineligible:
    runs = RUNS_PER_MONTH[spec.latency.freshness]
    days = HOURS_PER_MONTH / 24
    rows = float(spec.traffic.batch_rows) or spec.traffic.requests_per_day * days / runs
    vcpu = plan.compute_vcpu or 1.0
    run_s = batch_run_seconds(rows, vcpu, rows_per_vcpu_s=rows_per_vcpu_s)
    interval_s = HOURS_PER_MONTH * 3600 / runs
    parallel = max(1, math.ceil(run_s / interval_s))
    if parallel > 1:
        run_s = run_s / parallel

    def what() -> str:
        return f"{runs:,.1f} runs/month x {rows:,.0f} rows"

    if plan.kind == "serverless":
        u = plan.usage
        vcpu_s = runs * run_s * parallel * vcpu
        gib_s = vcpu_s / vcpu * (plan.memory_mb or 0) / 1024
        jobs_cpu = u["jobs_usd_per_vcpu_second"]
        monthly = vcpu_s * jobs_cpu + gib_s * u.get("jobs_usd_per_gib_second", 0.0)
        return PlanCost(
            plan=plan,
            mode="batch",
            monthly_usd=monthly,
            instances=parallel,
            run_hours=runs * run_s * parallel / 3600,
            explain=lambda: [f"{what()}: {vcpu_s:,.0f} vCPU-s as jobs = {usd(monthly)}"],
            items=_usage(plan, monthly, f"{vcpu_s:,.0f} vCPU-s of jobs a month"),
        )
    increment = plan.billing_increment_s or 1.0
    billed_s = math.ceil(run_s / increment - 1e-9) * increment
    run_hours = runs * billed_s * parallel / 3600
    price_month = _price_month(plan, catalog)
    if plan.kind == "node":
        # A CronJob needs the cluster up all month: control plane plus its minimum nodes.
        nodes = plan.min_nodes * price_month
        extras: list[PricePlan] = []
        node_items = [
            LineItem("node", plan.name, plan.min_nodes, price_month, nodes, "cluster node")
        ]
        if plan.control_plane:
            cp = catalog.plan(plan.control_plane)
            cp_usd = _price_month(cp, catalog)
            node_items.append(LineItem(cp.kind, cp.name, 1, cp_usd, cp_usd, _what(cp)))
            extras.append(cp)
        monthly = sum(i.monthly_usd for i in node_items)

        def explain_node() -> list[str]:
            lines = [f"{plan.min_nodes} x {plan.name} nodes kept up all month: {usd(nodes)}"]
            lines += [f"control plane {e.name}: {usd(_price_month(e, catalog))}" for e in extras]
            lines.append(f"{what()}: {run_hours:,.1f} run-hours a month as a CronJob")
            return lines

        return PlanCost(
            plan=plan,
            mode="batch",
            monthly_usd=monthly,
            instances=plan.min_nodes,
            run_hours=run_hours,
            always_on_usd=monthly,
            explain=explain_node,
            extras=tuple(extras),
            items=tuple(node_items),
        )
    if plan.flat_monthly:
        pool = plan.limits.get("pool_dyno_hours")
        if pool is not None and run_hours > pool:
            return Ineligible(
                plan,
                f"{run_hours:,.0f} run-hours a month exceed {plan.name}'s {pool:g} dyno-hour pool",
            )
        return PlanCost(
            plan=plan,
            mode="batch",
            monthly_usd=price_month,
            instances=parallel,
            run_hours=run_hours,
            always_on_usd=price_month,
            explain=lambda: [
                f"{what()}: {run_hours:,.1f} run-hours within a flat {usd(price_month)}"
            ],
            items=(LineItem(plan.kind, plan.name, 1, price_month, price_month, "flat plan"),),
        )
    per_hour = _price_hour(plan, catalog)
    ephemeral = runs * per_hour * billed_s * parallel / 3600
    always_on = price_month * parallel
    kept_on = target in ALWAYS_ON_BATCH or always_on < ephemeral
    monthly = always_on if kept_on else ephemeral
    if kept_on:
        items = (LineItem(plan.kind, plan.name, parallel, price_month, always_on, "always-on VM"),)
    else:
        items = (
            LineItem("run_hours", plan.name, run_hours, per_hour, ephemeral, "run-hours a month"),
        )

    def explain() -> list[str]:
        billing = f"billed per {increment / 3600:g} h" if increment >= 3600 else "billed per second"
        lines = [
            f"{what()}: {run_s / 60:,.1f} min a run ({billing}) = {run_hours:,.1f} run-hours x "
            f"{usd_rate(per_hour)}/h = {usd(ephemeral)} a month",
            f"the same plan running 24/7 would cost {usd(always_on)} a month",
        ]
        if target in ALWAYS_ON_BATCH:
            lines.append(
                f"priced always on: the {target} batch scaffold runs the job on a VM kept up "
                "all month (a systemd timer or cron), not one created per run"
            )
        elif always_on < ephemeral:
            lines.append("runs are frequent enough that keeping it on is cheaper")
        return lines

    return PlanCost(
        plan=plan,
        mode="batch",
        monthly_usd=monthly,
        instances=parallel,
        run_hours=run_hours,
        always_on_usd=always_on,
        explain=explain,
        items=items,
    )


def _device(plan: PricePlan) -> PlanCost:
    monthly = plan.usd_per_month or 0.0
    upfront = plan.usd_upfront
    months = plan.amortize_months or 36

    def explain() -> list[str]:
        if plan.devices == "own":
            return [f"no hardware to buy: the users' own devices run it ({plan.runtime})"]
        if upfront is None:
            return [f"{usd(monthly)} per device a month"]
        return [
            f"{usd(upfront)} list price / {months:g} months = {usd(monthly)} per device a month"
        ]

    what = "the users' own devices" if plan.devices == "own" else "device (amortised)"
    return PlanCost(
        plan=plan,
        mode="edge",
        monthly_usd=monthly,
        instances=1,
        explain=explain,
        items=(LineItem("device", plan.name, 1, monthly, monthly, what),),
    )
