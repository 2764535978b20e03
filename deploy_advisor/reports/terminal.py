"""The report in the terminal: verdict, table, advisor agreement, notes, formulas, baseline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploy_advisor.reports.build import Report
from deploy_advisor.reports.table import (
    COMPACT_COLD,
    compact,
    compact_columns,
    notes,
    spec_line,
)

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = ["render_terminal"]

_COLOUR = {True: "green", False: "red", None: ""}


def render_terminal(report: Report) -> list[RenderableType]:
    """Renderables for `console.print`, top to bottom."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    comparison = report.comparison
    out: list[RenderableType] = [Text(comparison.headline, style="bold")]
    if comparison.agreement:
        out.append(Text(comparison.agreement.sentence))
    line = spec_line(comparison)
    if line:
        out.append(Text(line, style="dim"))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, show_edge=False)
    names = compact_columns(comparison)
    for i, name in enumerate(names):
        # Target and plan may wrap (a `#2` tag stays visible); numbers never do.
        table.add_column(name, justify="left" if i < 2 or name == "emu" else "right", no_wrap=i > 1)
    slo_at = names.index("SLO")
    for row in comparison.rows:
        style = "bold green" if row.cheapest else None
        values: list[str | Text] = list(compact(row, names=names))
        values[slo_at] = Text(str(values[slo_at]), style=_COLOUR[row.slo_passed])
        table.add_row(*values, style=style)
    out.append(table)
    legend = (
        "★ cheapest run that meets the SLO · plan? = assumed · capacity: meas = capacity search, "
        "≥ = held the offered rate (a lower bound), ach = achieved while meeting the SLO, "
        "dflt = default"
    )
    if COMPACT_COLD in names:
        legend += " · cold s = cold start p50/max after scaling to zero"
    out.append(Text(legend))
    out += [Text(f"- {n}", style="dim") for n in notes(comparison)]
    out.append(Text("How the costs are computed:", style="bold"))
    out += [Text(f"  {f}") for f in comparison.formulas]
    if report.has_baseline:
        out += _baseline(report)
    return out


def _baseline(report: Report) -> list[RenderableType]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title="Change against the baseline", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False
    )
    for name in ("run", "p95", "capacity", "$/1M"):
        table.add_column(name, justify="left" if name == "run" else "right")
    for diff in report.diffs:
        deltas = (diff.p95, diff.capacity, diff.usd_per_1m)
        table.add_row(diff.label, *(Text(d.text(), style=_COLOUR[d.better]) for d in deltas))
    out: list[RenderableType] = [table]
    if report.without_baseline:
        out.append(Text("no baseline run for: " + ", ".join(report.without_baseline)))
    return out
