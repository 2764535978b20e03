"""The report as Markdown for a pull-request comment."""

from __future__ import annotations

from deploy_advisor.reports.build import Report
from deploy_advisor.reports.table import cells, columns, notes, spec_line

__all__ = ["MARKER", "render_markdown"]

MARKER = "<!-- deploy-advisor report -->"
_ICON = {True: "🟢", False: "🔴", None: ""}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]], *, right_from: int) -> list[str]:
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def render_markdown(report: Report) -> str:
    """Markdown text: verdict, table, advisor agreement, notes, formulas, baseline diff."""
    comparison = report.comparison
    lines = [MARKER, "### deploy-advisor report", "", f"**{comparison.headline}**", ""]
    if comparison.agreement:
        lines += [f"> {comparison.agreement.sentence}", ""]
    line = spec_line(comparison)
    if line:
        lines += [line, ""]
    rows = []
    names = columns(comparison)
    for row in comparison.rows:
        values = cells(row, names=names)
        if row.cheapest:
            values = [f"**{v}**" if v != "—" else v for v in values]
        rows.append(values)
    lines += _table(list(names), rows, right_from=3)
    lines += [
        "",
        "★ cheapest run that meets the SLO; `plan?` = plan assumed (the run named none); "
        "`≥` capacity = a lower bound (the run held its offered rate).",
    ]
    if report.has_baseline:
        lines += ["", "#### Change against the baseline", ""]
        diff_rows = [
            [
                d.label,
                *(
                    f"{_ICON[x.better]} {x.text()}".strip()
                    for x in (d.p95, d.capacity, d.usd_per_1m)
                ),
            ]
            for d in report.diffs
        ]
        lines += _table(["run", "p95", "capacity", "$/1M"], diff_rows, right_from=1)
        if report.without_baseline:
            lines += ["", "No baseline run for: " + ", ".join(report.without_baseline) + "."]
    extra = notes(comparison)
    if extra:
        lines += ["", "<details><summary>Notes</summary>", ""]
        lines += [f"- {n}" for n in extra] + ["", "</details>"]
    lines += ["", "<details><summary>How the costs are computed</summary>", ""]
    lines += [f"- {f}" for f in comparison.formulas] + ["", "</details>", ""]
    return "\n".join(lines)
