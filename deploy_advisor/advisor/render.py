"""Terminal output for `recommend` and `catalog`: rich tables printed through `console`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploy_advisor import console

if TYPE_CHECKING:
    from deploy_advisor.advisor.catalog import PricePlan
    from deploy_advisor.advisor.recommend import Recommendation

__all__ = ["render_catalog", "render_recommendation", "render_verdict"]


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def _bullets(title: str, lines: list[str], marker: str = "-") -> None:
    """A bold title, then one wrapped, hanging-indented line per item."""
    from rich.table import Table
    from rich.text import Text

    if title:
        console.print(Text(title, style="bold"))
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right")
    grid.add_column(overflow="fold")
    for line in lines:
        grid.add_row(marker, line)
    console.print(grid)


def _items(rec: Recommendation) -> str:
    bom = rec.bom
    if bom is None:
        return ""
    parts = []
    for item in bom.line_items:
        count = f"{item.quantity:g} x " if item.kind in ("instance", "node") else ""
        parts.append(f"{count}{item.plan}")
    return f" ({' + '.join(parts)})"


def render_verdict(rec: Recommendation) -> None:
    """About ten lines: the pick, its price, three reasons, the risks, what would change it."""
    from rich.text import Text

    head = Text()
    head.append("Recommendation: ", style="bold")
    cost = rec.chosen.cost
    where = rec.target
    if cost is not None and cost.plan.devices == "own":
        where = "the users' own devices"
    head.append(f"{rec.mode} on {where}", style="bold green")
    if cost is not None:
        head.append(f", {_money(cost.monthly_usd)}/month{_items(rec)}")
    console.print(head)
    reasons = list(rec.chosen.reasons)
    if cost is not None and cost.headroom:
        reasons.insert(1, cost.headroom)
    bom = rec.bom
    if bom is not None and bom.runtime:
        reasons.insert(1, f"runs with {bom.runtime}")
    _bullets("Why", reasons[:3])
    if rec.risks:
        _bullets("Risks", rec.risks[:3])
    if rec.what_if is not None:
        changes = [rec.what_if.line()] + [o.describe() for o in rec.what_if.others]
        _bullets("What would change this", changes[:3])
    console.print("`--details` prints the tables, the cost breakdown and the assumptions.")


def render_recommendation(rec: Recommendation, *, details: bool = False) -> None:
    """The short verdict, or with `details` every table behind it."""
    if not details:
        render_verdict(rec)
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    chosen = rec.chosen
    cost = chosen.cost
    head = Text()
    head.append("Recommendation: ", style="bold")
    head.append(f"{rec.mode} on {rec.target}", style="bold green")
    if cost is not None:
        head.append(f", plan {cost.plan.name} at {_money(cost.monthly_usd)}/month")
    console.print(head)
    console.print(f"Spec: {rec.spec.origin}")
    console.print()

    # Modes, with each factor's contribution (the explained table).
    modes = Table(
        title="Modes: each factor's contribution (weight x score / total weight)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    modes.add_column("factor")
    modes.add_column("weight", justify="right")
    order = sorted(rec.modes, key=lambda m: (not rec.modes[m].eligible, -rec.modes[m].score))
    for m in order:
        modes.add_column(("> " if m == rec.mode else "") + m, justify="right")
    modes.add_column(f"why ({rec.mode})", overflow="fold")
    by_mode = {m: {f.name: f for f in rec.modes[m].factors} for m in order}
    for factor in rec.modes[rec.mode].factors:
        cells = []
        for m in order:
            f = by_mode[m].get(factor.name)
            cells.append("-" if f is None or not rec.modes[m].eligible else f"{f.contribution:.2f}")
        modes.add_row(factor.name, f"{factor.weight:g}", *cells, factor.reason)
    totals = [f"{rec.modes[m].score:.2f}" if rec.modes[m].eligible else "ruled out" for m in order]
    modes.add_row("score", "", *totals, "", style="bold", end_section=True)
    console.print(modes)
    for m in order:
        if not rec.modes[m].eligible:
            console.print(f"  {m} ruled out: {rec.modes[m].ruled_out}")
    console.print()

    # Targets ranked, with plan and cost.
    targets = Table(
        title=f"Targets for {rec.mode}, ranked",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    targets.add_column("#", justify="right")
    targets.add_column("target", no_wrap=True)
    targets.add_column("score", justify="right")
    targets.add_column("plan", overflow="fold")
    targets.add_column("$/month", justify="right")
    targets.add_column("reasons", overflow="fold")
    rank = 0
    for t in rec.targets:
        if t.eligible:
            rank += 1
            assert t.cost is not None
            targets.add_row(
                str(rank),
                ("> " if t.name == rec.target else "") + t.name,
                f"{t.score:.2f}",
                t.cost.plan.name,
                _money(t.cost.monthly_usd),
                "; ".join(t.reasons),
            )
        else:
            targets.add_row("-", t.name, "-", "-", "-", f"ineligible: {t.ruled_out}")
    console.print(targets)

    # Why this target: factor by factor.
    why = Table(
        title=f"Why {rec.target}: each factor's contribution",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    why.add_column("factor")
    why.add_column("weight", justify="right")
    why.add_column("score", justify="right")
    why.add_column("contribution", justify="right")
    why.add_column("reason", overflow="fold")
    for f in chosen.factors:
        why.add_row(f.name, f"{f.weight:g}", f"{f.score:.2f}", f"{f.contribution:.2f}", f.reason)
    why.add_row("total", "", "", f"{chosen.score:.2f}", "", style="bold")
    console.print(why)

    if cost is not None:
        as_of = f"as of {cost.plan.as_of}" if cost.plan.as_of else "no date shown"
        source = (
            f"price source: {cost.plan.source or 'none given'} ({as_of}, "
            f"confidence {cost.plan.confidence})"
        )
        _bullets(f"Cost of {cost.plan.name} ({cost.plan.provider})", [*cost.breakdown, source], "")
        console.print()
    risks = rec.risks
    if risks:
        _bullets("Risks", risks)
        console.print()
    _bullets("Assumptions", rec.assumptions)
    console.print()
    if rec.what_if is not None:
        change = Text("What would change this: ", style="bold")
        change.append(rec.what_if.line(), style="")
        console.print(change)
        if rec.what_if.others:
            _bullets("", [o.describe() for o in rec.what_if.others], "or:")


def render_catalog(plans: list[PricePlan], *, title: str) -> None:
    from rich import box
    from rich.table import Table

    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for name, justify in (
        ("plan", "left"),
        ("target", "left"),
        ("vCPU", "right"),
        ("memory", "right"),
        ("$/hour", "right"),
        ("$/month", "right"),
        ("confidence", "left"),
        ("as of", "left"),
    ):
        wraps = name == "target"
        table.add_column(
            name,
            justify=justify,  # type: ignore[arg-type]
            no_wrap=not wraps,
            overflow="fold" if wraps else "ellipsis",
        )
    for p in plans:
        vcpu = "-" if p.vcpu is None else f"{p.vcpu:g}"
        if p.vcpu is None and p.sizing_vcpu is not None:
            vcpu = f"~{p.sizing_vcpu:g}"
        memory = "-" if p.memory_mb is None else f"{p.memory_mb / 1024:g} GB"
        per_hour = "-" if p.usd_per_hour is None else f"{p.usd_per_hour:.4g}"
        per_month = "-" if p.usd_per_month is None else f"{p.usd_per_month:,.2f}"
        if p.kind == "device" and p.usd_upfront is not None:
            per_month = f"{per_month} ({p.usd_upfront:g}/{p.amortize_months:g}mo)"
        if p.kind == "serverless":
            per_month = "per use"
        target = "+".join((p.target, *p.also_for))
        table.add_row(
            p.name, target, vcpu, memory, per_hour, per_month, p.confidence, p.as_of or "-"
        )
    console.print(table)
    console.print(
        "~ = vCPU-equivalents assumed for sizing (no published count). "
        "`deploy-advisor catalog --json` adds each plan's provider, source URL, limits and notes."
    )
