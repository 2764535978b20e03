"""The report as one self-contained HTML file: inline CSS, inline SVG charts, no CDN."""

from __future__ import annotations

from importlib import resources

from deploy_advisor import __version__
from deploy_advisor.reports import fmt
from deploy_advisor.reports.build import Report
from deploy_advisor.reports.charts import PALETTE, Bar, Series, bar_chart, histogram, line_chart
from deploy_advisor.reports.compare import Comparison, Row
from deploy_advisor.reports.runs import TimelinePoint
from deploy_advisor.reports.table import cells, columns, notes, spec_line

__all__ = ["GENERATOR", "render_html"]

GENERATOR = "deploy-advisor report"
_LATENCY = (("p50", "#4c78a8"), ("p95", "#f58518"), ("p99", "#e45756"))


def _threshold(comparison: Comparison) -> float | None:
    if comparison.spec and comparison.spec.p95_ms:
        return comparison.spec.p95_ms
    found = [v.threshold for r in comparison.rows for v in r.run.slo if v.name == "p95"]
    return found[0] if found else None


def _whole_seconds(row: Row) -> list[TimelinePoint]:
    """The timeline without its last second, which ends at the last request's start and so
    counts only part of a second's requests; a one-second run keeps its only point."""
    timeline = row.run.timeline
    return timeline[:-1] if len(timeline) > 1 else list(timeline)


def _charts(comparison: Comparison) -> dict[str, list[str]]:
    rows = comparison.rows
    threshold = _threshold(comparison)
    latency = [
        line_chart(
            kind="latency",
            title=f"{r.label}: latency percentiles over time",
            run=r.label,
            series=[
                Series(name, colour, [(p.t, getattr(p, f"{name}_ms")) for p in r.run.timeline])
                for name, colour in _LATENCY
            ],
            x_label="seconds",
            y_label="ms",
            threshold=threshold,
        )
        for r in rows
    ]
    throughput = line_chart(
        kind="throughput",
        title="Throughput over time",
        series=[
            Series(r.label, PALETTE[i % len(PALETTE)], [(p.t, p.rps) for p in _whole_seconds(r)])
            for i, r in enumerate(rows)
        ],
        x_label="seconds",
        y_label="req/s",
    )
    everything = [v for r in rows for v in r.run.latencies_ms if v > 0]
    lo, hi = (min(everything), max(everything)) if everything else (1.0, 10.0)
    distribution = [
        histogram(
            title=f"{r.label}: latency distribution",
            values=r.run.latencies_ms,
            colour=PALETTE[i % len(PALETTE)],
            run=r.label,
            lo=max(lo, 0.01),
            hi=max(hi, lo * 1.01),
        )
        for i, r in enumerate(rows)
        if r.run.latencies_ms
    ]
    priced = [r for r in rows if r.cost.usd_per_1m is not None]
    cost = (
        [
            bar_chart(
                kind="cost",
                title="Cost per 1M predictions",
                bars=[
                    Bar(
                        r.label,
                        r.cost.usd_per_1m or 0.0,
                        "#54a24b"
                        if r.slo_passed
                        else "#e45756"
                        if r.slo_passed is False
                        else "#999",
                        fmt.usd(r.cost.usd_per_1m),
                    )
                    for r in priced
                ],
                unit="$ per 1M predictions (green: meets the SLO, red: breaks it)",
            )
        ]
        if priced
        else []
    )
    capacity = [
        line_chart(
            kind="capacity",
            title=f"{r.label}: p95 at each offered rate ({r.run.capacity.slo})",
            run=r.label,
            series=[Series("p95", "#f58518", [(s.rate, s.p95_ms) for s in r.run.capacity.steps])],
            x_label="offered req/s",
            y_label="p95 ms",
            threshold=threshold,
            markers=True,
        )
        for r in rows
        if r.run.capacity and r.run.capacity.steps
    ]
    return {
        "latency": latency,
        "throughput": [throughput],
        "distribution": distribution,
        "cost": cost,
        "capacity": capacity,
    }


def render_html(report: Report) -> str:
    """The whole page as one string."""
    from jinja2 import Environment, StrictUndefined
    from markupsafe import Markup

    template_text = resources.files(__package__).joinpath("report.html.j2").read_text("utf-8")
    env = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
    comparison = report.comparison
    charts = {k: [Markup(svg) for svg in v] for k, v in _charts(comparison).items()}
    names = columns(comparison)
    return env.from_string(template_text).render(
        generator=GENERATOR,
        version=__version__,
        comparison=comparison,
        report=report,
        columns=names,
        slo_column=names.index("SLO"),
        rows=[(row, cells(row, names=names)) for row in comparison.rows],
        notes=notes(comparison),
        spec_line=spec_line(comparison),
        charts=charts,
        distribution_labels=[r.label for r in comparison.rows if r.run.latencies_ms],
        capacity_labels=[
            f"{r.label} ({r.run.capacity.slo})"
            for r in comparison.rows
            if r.run.capacity and r.run.capacity.steps
        ],
    )
