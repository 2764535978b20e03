"""Comparing runs: `report`, and `quickstart` (the whole path on the bundled example)."""

from __future__ import annotations

from pathlib import Path

from deploy_advisor import console
from deploy_advisor.cli import params
from deploy_advisor.cli.app import app

__all__ = ["quickstart_command", "report_command"]


@app.command("report")
def report_command(
    run_dirs: params.RunDirs, spec: params.ReportSpec = None, html: params.Html = None,
    md: params.Markdown = None, json_output: params.ReportJson = False,
    baseline: params.Baseline = None, catalog: params.ExtraCatalog = None,
    force: params.ReportForce = False,
) -> None:  # fmt: skip
    """Compare load-test runs: latency, SLO, capacity and cost per target."""
    from deploy_advisor.reports.build import build_report
    from deploy_advisor.reports.output import write_html, write_markdown

    report = build_report(
        run_dirs=run_dirs, spec_path=spec, baseline_dirs=baseline, catalog_path=catalog
    )
    if html is not None:
        console.success(f"wrote {write_html(report, path=html, force=force)}")
    if md is not None:
        console.success(f"wrote {write_markdown(report, path=md, force=force)}")
    if json_output:
        from deploy_advisor.reports.json_doc import report_json

        console.emit_json(report_json(report))
        return
    from deploy_advisor.reports.terminal import render_terminal

    for renderable in render_terminal(report):
        console.print(renderable)


@app.command("quickstart")
def quickstart_command(
    out: params.QuickstartOut = Path("deploy-advisor-quickstart"),
    duration: params.QuickDuration = "8s", base_image: params.QuickBaseImage = None,
    targets: params.QuickTargets = None, force: params.Reuse = False,
) -> None:  # fmt: skip
    """On the example model and spec: recommend, scaffold, bench briefly, write the report."""
    from deploy_advisor.files import check_output_dir
    from deploy_advisor.loadtest.runner import parse_duration
    from deploy_advisor.loadtest.session import parse_targets
    from deploy_advisor.quickstart import run_quickstart
    from deploy_advisor.reports.terminal import render_terminal

    check_output_dir(out, flag="-o")
    names = parse_targets(targets) if targets is not None else None
    result = run_quickstart(
        out_dir=out, duration_s=parse_duration(duration, flag="--duration"),
        base_image=base_image, targets=names, force=force,
    )  # fmt: skip
    for renderable in render_terminal(result.report):
        console.print(renderable)
    for note in result.plan_notes.values():
        console.print(note)
    for name, reason in result.skipped.items():
        console.print(f"not benchmarked: {name} ({reason})")
    console.print(f"HTML report: {result.html}")
