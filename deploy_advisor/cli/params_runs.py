"""The options of `loadtest`, `bench`, `report` and `quickstart`, declared once like those in
`params` (which re-exports them)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from typer import Argument, Option

from deploy_advisor.cli.app import json_option

# --- loadtest, bench -------------------------------------------------------------------------

Rate = Annotated[float | None, Option("--rate", metavar="RPS", help="Open loop: req/s to hold.")]
Users = Annotated[
    int | None, Option("--users", metavar="N", help="Closed loop: users that never wait.")
]
Duration = Annotated[
    str,
    Option(
        "--duration", metavar="DURATION",
        help="e.g. 30s or 2m (default 30s); every run stops by itself.",
    ),
]  # fmt: skip
Ramp = Annotated[
    str | None, Option("--ramp", metavar="DURATION", help="Time to start all users (default ≤5s).")
]
Slo = Annotated[
    str | None, Option("--slo", metavar="SLO", help='e.g. "p95<200ms,p99<500ms,errors<1%".')
]
LoadScaffold = Annotated[
    Path | None, Argument(metavar="SCAFFOLD_DIR", help="Scaffold to launch and load.")
]
Url = Annotated[str | None, Option("--url", metavar="URL", help="Load a running server.")]
LoadTarget = Annotated[
    str | None,
    Option("--target", metavar="TARGET", help="local, docker, vps, heroku or kubernetes."),
]
LoadPlan = Annotated[
    str | None, Option("--plan", metavar="PLAN", help="Plan whose limits to emulate.")
]
Processes = Annotated[int, Option("--processes", metavar="N", help="Locust processes here.")]
FindCapacity = Annotated[
    bool, Option("--find-capacity", help="Raise the rate from --rate until an SLO breaks.")
]
LoadPayloads = Annotated[
    Path | None,
    Option("--payloads", metavar="FILE", help="JSON list of request bodies (with --url)."),
]
RunDir = Annotated[Path | None, Option("--out", metavar="DIR", help="Run directory.")]
RunForce = Annotated[bool, Option("--force", help="Replace a result already in --out.")]
ResultJson = Annotated[bool, json_option("Print only the result JSON.")]
Master = Annotated[bool, Option("--master", help="Locust master for workers on other machines.")]
ExpectWorkers = Annotated[
    int, Option("--expect-workers", metavar="N", help="Workers the master waits for.")
]
Worker = Annotated[
    str | None, Option("--worker", metavar="HOST", help="Be a Locust worker of the master at HOST.")
]
BaseImage = Annotated[
    str | None,
    Option(
        "--base-image", envvar="DEPLOY_ADVISOR_BASE_IMAGE", metavar="IMAGE",
        help="Base image for docker/kubernetes builds (default python:3.11-slim).",
    ),
]  # fmt: skip
ColdStarts = Annotated[
    int,
    Option(
        "--cold-starts", metavar="N",
        help="Scale-to-zero targets: stop and wake the server N times first, timing each.",
    ),
]  # fmt: skip
BenchScaffold = Annotated[
    Path, Argument(metavar="SCAFFOLD_DIR", help="Scaffold to launch on each target.")
]
BenchTargets = Annotated[str, Option("--targets", metavar="TARGETS", help="e.g. local,docker,vps.")]
Plans = Annotated[
    str | None,
    Option("--plans", metavar="PAIRS", help="TARGET=PLAN pairs, e.g. docker=linode-2gb."),
]
RunsParent = Annotated[Path | None, Option("--out", metavar="DIR", help="Parent of the run dirs.")]
ResultsJson = Annotated[bool, json_option("Print only a JSON list: one result per target.")]

# --- report, quickstart ----------------------------------------------------------------------

RunDirs = Annotated[list[Path], Argument(metavar="RUNDIR...", help="Run directories.")]
ReportSpec = Annotated[
    Path | None,
    Option(
        "--spec", metavar="FILE",
        help="Requirements spec: judge the SLO, price the spec's traffic.",
        readable=False,
    ),
]  # fmt: skip
Html = Annotated[
    Path | None, Option("--html", metavar="FILE", help="Write a self-contained HTML file.")
]
Markdown = Annotated[
    Path | None, Option("--md", metavar="FILE", help="Write Markdown for a pull request.")
]
ReportJson = Annotated[bool, Option("--json", help="Print one JSON document only.")]
Baseline = Annotated[
    list[Path] | None,
    Option("--baseline", metavar="RUNDIR", help="Earlier run to diff (repeatable)."),
]
ExtraCatalog = Annotated[
    Path | None,
    Option("--catalog", metavar="FILE", help="Extra price catalog (YAML).", readable=False),
]
ReportForce = Annotated[
    bool, Option("--force", help="Overwrite files that are not earlier reports.")
]
QuickstartOut = Annotated[
    Path,
    Option("-o", "--out", metavar="DIR", help="Directory for the spec, scaffolds, runs, report."),
]
QuickDuration = Annotated[
    str, Option("--duration", metavar="DURATION", help="Load per target, e.g. 8s.")
]
QuickBaseImage = Annotated[
    str | None, Option("--base-image", metavar="IMAGE", help="Base image of the docker scaffold.")
]
QuickTargets = Annotated[
    str | None, Option("--targets", metavar="TARGETS", help="Targets to bench, e.g. local,docker.")
]
Reuse = Annotated[bool, Option("--force", help="Reuse a non-empty -o directory.")]
