"""Inline SVG charts drawn in Python: no JavaScript library, no CDN, values kept in `data-`
attributes and `<title>` tooltips so that a browser test can check what was drawn."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["PALETTE", "Bar", "Series", "bar_chart", "histogram", "line_chart"]

PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d")
W, H = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 36


@dataclass(frozen=True)
class Series:
    """A named polyline; points with a None value are left out."""

    name: str
    colour: str
    points: Sequence[tuple[float, float | None]]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    colour: str
    text: str


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude: float = 10.0 ** math.floor(math.log10(value))
    return next(m * magnitude for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * magnitude >= value)


def _svg(kind: str, title: str, body: list[str], attrs: str = "") -> str:
    return (
        f'<svg class="chart" data-chart="{escape(kind)}" {attrs} viewBox="0 0 {W} {H}" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _axes(x_max: float, y_max: float, x_label: str, y_label: str) -> list[str]:
    out = ['<g class="axes" font-size="11" fill="#555">']
    for i in range(5):
        y = TOP + (H - TOP - BOTTOM) * i / 4
        out.append(
            f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>'
        )
        out.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{y_max * (4 - i) / 4:g}</text>'
        )
    for i in range(5):
        x = LEFT + (W - LEFT - RIGHT) * i / 4
        out.append(
            f'<text x="{x:.1f}" y="{H - BOTTOM + 14}" text-anchor="middle">{x_max * i / 4:g}</text>'
        )
    out.append(
        f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 4}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
    )
    out.append(
        f'<text x="12" y="{TOP + (H - TOP - BOTTOM) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 12 {TOP + (H - TOP - BOTTOM) / 2})">{escape(y_label)}</text>'
    )
    out.append("</g>")
    return out


def _xy(x: float, y: float, x_max: float, y_max: float) -> tuple[float, float]:
    return (
        LEFT + (W - LEFT - RIGHT) * x / x_max,
        H - BOTTOM - (H - TOP - BOTTOM) * min(y, y_max) / y_max,
    )


def line_chart(
    *,
    kind: str,
    title: str,
    series: Sequence[Series],
    x_label: str,
    y_label: str,
    threshold: float | None = None,
    markers: bool = False,
    run: str = "",
) -> str:
    """Polylines (one per series) over shared axes, with an optional dashed SLO line."""
    xs = [x for s in series for x, y in s.points if y is not None]
    ys = [y for s in series for _, y in s.points if y is not None] + [threshold or 0]
    x_max, y_max = _nice_max(max(xs, default=1)), _nice_max(max(ys, default=1) * 1.05)
    body = _axes(x_max, y_max, x_label, y_label)
    if threshold is not None:
        _, y = _xy(0, threshold, x_max, y_max)
        body.append(
            f'<line class="slo" data-threshold="{threshold:g}" x1="{LEFT}" x2="{W - RIGHT}"'
            f' y1="{y:.1f}" y2="{y:.1f}" stroke="#d62728" stroke-dasharray="5 4"/>'
        )
    for s in series:
        kept = [(x, y) for x, y in s.points if y is not None]
        coords = " ".join(
            f"{px:.1f},{py:.1f}" for px, py in (_xy(x, y, x_max, y_max) for x, y in kept)
        )
        values = ",".join(f"{y:g}" for _, y in kept)
        body.append(
            f'<polyline data-series="{escape(s.name)}" data-count="{len(kept)}" '
            f'data-values="{values}" points="{coords}" fill="none" stroke="{s.colour}" '
            f'stroke-width="2"><title>{escape(s.name)}</title></polyline>'
        )
        if markers:
            for x, y in kept:
                px, py = _xy(x, y, x_max, y_max)
                body.append(
                    f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{s.colour}">'
                    f"<title>{escape(s.name)}: {y:g} at {x:g}</title></circle>"
                )
    return _svg(kind, title, body, f'data-run="{escape(run)}"')


def bar_chart(*, kind: str, title: str, bars: Sequence[Bar], unit: str) -> str:
    """Horizontal bars, one per label, lengths proportional to the values."""
    v_max = _nice_max(max((b.value for b in bars), default=1))
    row_h = (H - TOP - BOTTOM) / max(len(bars), 1)
    left = 170
    body = ['<g font-size="12" fill="#333">']
    for i, bar in enumerate(bars):
        y = TOP + i * row_h
        width = (W - left - 90) * bar.value / v_max
        body.append(
            f'<text x="{left - 6}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(bar.label)}</text>"
            f'<rect class="bar" data-label="{escape(bar.label)}" data-value="{bar.value:g}" '
            f'x="{left}" y="{y + row_h * 0.15:.1f}" width="{width:.2f}" '
            f'height="{row_h * 0.7:.1f}"'
            f' fill="{bar.colour}"><title>{escape(bar.label)}: {escape(bar.text)}</title></rect>'
            f'<text x="{left + width + 6:.1f}" y="{y + row_h / 2 + 4:.1f}">'
            f"{escape(bar.text)}</text>"
        )
    body.append(f'<text x="{left}" y="{H - 8}" fill="#555">{escape(unit)}</text></g>')
    return _svg(kind, title, body, f'data-max="{v_max:g}"')


def histogram(
    *, title: str, values: Sequence[float], colour: str, run: str, lo: float, hi: float
) -> str:
    """Latency distribution on log-spaced bins shared by every run (same `lo`..`hi`)."""
    bins = 30
    edges = [lo * (hi / lo) ** (i / bins) for i in range(bins + 1)]
    counts = [0] * bins
    for v in values:
        i = int(bins * math.log(max(v, lo) / lo) / math.log(hi / lo)) if hi > lo else 0
        counts[min(max(i, 0), bins - 1)] += 1
    c_max = max(counts, default=0) or 1
    body = ['<g font-size="11" fill="#555">']
    width = (W - LEFT - RIGHT) / bins
    for i, count in enumerate(counts):
        h = (H - TOP - BOTTOM) * count / c_max
        body.append(
            f'<rect class="bin" data-count="{count}" x="{LEFT + i * width:.1f}" '
            f'y="{H - BOTTOM - h:.1f}" width="{width - 1:.1f}" height="{h:.1f}" fill="{colour}">'
            f"<title>{edges[i]:.1f}–{edges[i + 1]:.1f} ms: {count}</title></rect>"
        )
    for i in range(0, bins + 1, 10):
        body.append(
            f'<text x="{LEFT + i * width:.1f}" y="{H - BOTTOM + 14}" '
            f'text-anchor="middle">{edges[i]:.3g}</text>'
        )
    body.append(
        f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 4}" text-anchor="middle">'
        f"response time, ms (log scale)</text></g>"
    )
    attrs = f'data-run="{escape(run)}" data-total="{len(values)}"'
    return _svg("distribution", title, body, attrs)
