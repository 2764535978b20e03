"""Comparing runs: `report`, and `quickstart` (the whole path on the bundled example)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deploy_advisor import console
from deploy_advisor.cli.app import app

__all__ = ["quickstart_command", "report_command"]


@app.command("report")
def report_command(
    run_dirs: Annotated[list[Path], typer.Argument(metavar="RUNDIR...", help="Run directories.")],
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            help="Requirements spec: judge the SLO, price the spec's traffic.",
            readable=False,
        ),
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML file.")
    ] = None,
    md: Annotated[
        Path | None, typer.Option("--md", help="Write Markdown for a pull request.")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON document only.")
    ] = False,
    baseline: Annotated[
        list[Path] | None,
        typer.Option("--baseline", metavar="RUNDIR", help="Earlier run to diff (repeatable)."),
    ] = None,
    catalog: Annotated[
        Path | None, typer.Option("--catalog", help="Extra price catalog (YAML).", readable=False)
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files that are not earlier reports.")
    ] = False,
) -> None:
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
    out: Annotated[
        Path, typer.Option("-o", "--out", help="Directory for the spec, scaffolds, runs, report.")
    ] = Path("deploy-advisor-quickstart"),
    duration: Annotated[str, typer.Option("--duration", help="Load per target, e.g. 8s.")] = "8s",
    base_image: Annotated[
        str | None, typer.Option("--base-image", help="Base image of the docker scaffold.")
    ] = None,
    targets: Annotated[
        str | None, typer.Option("--targets", help="Targets to bench, e.g. local,docker.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Reuse a non-empty -o directory.")] = False,
) -> None:
    """On the example model and spec: recommend, scaffold, bench briefly, write the report."""
    from deploy_advisor.benchmarks.runner import parse_duration
    from deploy_advisor.benchmarks.session import parse_targets
    from deploy_advisor.quickstart import run_quickstart
    from deploy_advisor.reports.terminal import render_terminal

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
