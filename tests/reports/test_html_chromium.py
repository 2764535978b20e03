"""The HTML report in real headless Chromium: charts drawn with the runs' data, and pixels."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from deploy_advisor.advisor.catalog import Catalog
from deploy_advisor.reports import fmt
from deploy_advisor.reports.build import Report
from deploy_advisor.reports.compare import compare
from deploy_advisor.reports.html import render_html
from deploy_advisor.reports.runs import load_runs
from tests.conftest import require
from tests.reports.conftest import SPEC
from tests.reports.pngcheck import read_png
from tests.reports.runbuilder import edit_result
from tests.reports.test_labels import LABELS, twins

pytestmark = [pytest.mark.chromium, pytest.mark.slow]


def chromium(
    tmp_path: Path, *args: str, window: str = "1366,900"
) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium offline with a throwaway profile."""
    command = [
        require("chromium"), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={window}",
        *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


class Svgs(HTMLParser):
    """Collect each chart <svg> with the attributes of its polylines, rects and circles."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[dict[str, object]] = []
        self.body: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "body":
            self.body = found
        elif tag == "svg" and "chart" in (found.get("class") or ""):
            self.charts.append({**found, "shapes": []})
        elif tag in ("polyline", "rect", "circle") and self.charts:
            shapes = self.charts[-1]["shapes"]
            assert isinstance(shapes, list)
            shapes.append((tag, found))


class Page(HTMLParser):
    """The comparison table's header and rows, figure captions and legend entries, as text."""

    def __init__(self) -> None:
        super().__init__()
        self.header: list[str] = []
        self.rows: list[tuple[dict[str, str | None], list[str]]] = []
        self.captions: list[str] = []
        self.legend: list[str] = []
        self._in: str | None = None
        self._table = False
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self._table = found.get("id") == "comparison"
        elif tag == "tr" and self._table and "data-label" in found:
            self.rows.append((found, []))
        if tag in ("th", "td", "figcaption") or (tag == "span" and self._in == "legend"):
            self._in, self._text = tag, ""
        elif tag == "p" and "legend" in (found.get("class") or ""):
            self._in = "legend"

    def handle_data(self, data: str) -> None:
        self._text += data

    def handle_endtag(self, tag: str) -> None:
        text = self._text.strip()
        if tag == "table":
            self._table = False
        elif tag == "th" and self._table and self._in == "th":
            self.header.append(text)
        elif tag == "td" and self._table and self.rows and self._in == "td":
            self.rows[-1][1].append(text)
        elif tag == "figcaption":
            self.captions.append(text)
        elif tag == "span" and self._in == "span":
            self.legend.append(text)
            self._in = "legend"
            return
        elif tag == "p" and self._in == "legend":
            self._in = None
            return
        if tag in ("th", "td", "figcaption"):
            self._in = None


def test_charts_render_in_chromium(tmp_path: Path, report: Report) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.read_text())  # no CDN

    dom = chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", page.as_uri()).stdout
    parser = Svgs()
    parser.feed(dom)
    runs = [r.run for r in report.comparison.rows]
    by_kind = Counter(str(c["data-chart"]) for c in parser.charts)
    assert by_kind == {"latency": 4, "throughput": 1, "distribution": 4, "cost": 1, "capacity": 2}
    assert parser.body.get("data-charts-drawn") == str(len(parser.charts))  # JS saw every chart
    for chart in parser.charts:
        assert int(str(chart["data-rendered-width"])) > 300
        drawn = int(str(chart["data-drawn-length"])) + int(str(chart["data-drawn-area"]))
        assert drawn > 0, chart["data-chart"]

    latency = [c for c in parser.charts if c["data-chart"] == "latency"]
    for chart, run in zip(latency, runs, strict=True):
        assert chart["data-run"] == run.label
        lines = {a["data-series"]: a for tag, a in chart["shapes"] if tag == "polyline"}  # type: ignore[attr-defined]
        assert set(lines) == {"p50", "p95", "p99"}
        p95 = lines["p95"]
        assert int(p95["data-count"]) == len(run.timeline)
        assert len(p95["points"].split()) == len(run.timeline)
        assert [float(v) for v in p95["data-values"].split(",")] == [p.p95_ms for p in run.timeline]

    (throughput,) = [c for c in parser.charts if c["data-chart"] == "throughput"]
    lines = [a for tag, a in throughput["shapes"] if tag == "polyline"]  # type: ignore[attr-defined]
    for line, run in zip(lines, runs, strict=True):  # the partial last second is left out
        assert [float(v) for v in line["data-values"].split(",")] == [
            p.rps for p in run.timeline[:-1]
        ]

    table = Page()
    table.feed(dom)
    assert table.header[-2:] == ["$/1M", "$/1M at spec"]
    for (_, values), row in zip(table.rows, report.comparison.rows, strict=True):
        assert values[-2:] == [fmt.usd(row.cost.usd_per_1m), fmt.usd(row.cost.usd_per_1m_spec)]

    for chart, run in zip(
        [c for c in parser.charts if c["data-chart"] == "distribution"], runs, strict=True
    ):
        counts = [int(a["data-count"]) for tag, a in chart["shapes"] if tag == "rect"]  # type: ignore[attr-defined]
        assert sum(counts) == len(run.latencies_ms) == int(str(chart["data-total"]))

    (cost,) = [c for c in parser.charts if c["data-chart"] == "cost"]
    bars = [a for tag, a in cost["shapes"] if tag == "rect"]  # type: ignore[attr-defined]
    values = [float(b["data-value"]) for b in bars]
    assert values == pytest.approx([r.cost.usd_per_1m for r in report.comparison.rows], rel=1e-5)
    widths = [float(b["width"]) for b in bars]
    for value, width in zip(values, widths, strict=True):  # bar lengths proportional to values
        assert width / widths[0] == pytest.approx(value / values[0], rel=0.01)

    shot = tmp_path / "shot.png"
    chromium(tmp_path, "--virtual-time-budget=5000", f"--screenshot={shot}", page.as_uri())
    width, height, pixels = read_png(shot)
    assert (width, height) == (1366, 900)
    colours = Counter(pixels)
    assert len(colours) > 200  # text, table and charts, not a blank page
    assert colours[(0xEE, 0xF8, 0xF0)] > 5000  # the green verdict banner at the top

    tall = tmp_path / "tall.png"
    chromium(tmp_path, "--virtual-time-budget=5000", f"--screenshot={tall}", page.as_uri(),
             window="1366,2600")  # fmt: skip
    _, _, pixels = read_png(tall)
    colours = Counter(pixels)
    assert colours[(0xF5, 0x85, 0x18)] > 2000  # p95 lines and the orange histogram, painted
    assert colours[(0x54, 0xA2, 0x4B)] > 2000  # green cost bars and histogram


def test_runs_of_one_target_and_plan_are_told_apart(tmp_path: Path, catalog: Catalog) -> None:
    dirs = twins(tmp_path / "runs")
    result = json.loads((dirs[-1] / "result.json").read_text())
    result["timeline"][-1]["rps"] = 7  # the last second ended at the last request: a dip
    edit_result(dirs[-1], timeline=result["timeline"])
    comparison = compare(runs=load_runs(dirs), catalog=catalog, spec=SPEC, rps_per_vcpu=100.0)
    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(Report(comparison)), encoding="utf-8")
    dom = chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", page_file.as_uri()).stdout
    page, svgs = Page(), Svgs()
    page.feed(dom)
    svgs.feed(dom)
    assert [attrs["data-label"] for attrs, _ in page.rows] == LABELS
    assert [values[0].removeprefix("★ ") for _, values in page.rows] == [
        "docker #1", "docker #2", "docker #3", "url #1", "url #2", "vps",
    ]  # fmt: skip
    assert page.captions[: len(LABELS)] == LABELS  # latency charts, one per run
    assert [t for t in page.legend if t in LABELS] == LABELS  # throughput legend
    (throughput,) = [c for c in svgs.charts if c["data-chart"] == "throughput"]
    lines = [a for tag, a in throughput["shapes"] if tag == "polyline"]  # type: ignore[attr-defined]
    assert [line["data-series"] for line in lines] == LABELS
    vps = [float(v) for v in lines[-1]["data-values"].split(",")]
    assert len(vps) == len(result["timeline"]) - 1 and min(vps) == 50  # no dip at the end
    latency = [c["data-run"] for c in svgs.charts if c["data-chart"] == "latency"]
    assert latency == LABELS
