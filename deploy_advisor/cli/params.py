"""Every option and argument of the command line (flag, type, help), declared once as an
`Annotated` type; the command modules use them by name, in `--help` order."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from typer import Argument, Option

from deploy_advisor.cli.app import json_option


def _file_option(flag: str, help: str) -> Any:
    """An option naming a FILE that our own reader opens (it says what is wrong in one line)."""
    return Option(flag, metavar="FILE", readable=False, help=help)


def _valued_option(flag: str, metavar: str, help: str) -> Any:
    """An option taking one value shown as `metavar` in --help."""
    return Option(flag, metavar=metavar, help=help)


# --- recommend, init, catalog ----------------------------------------------------------------

SpecArgument = Annotated[
    Path | None,
    Argument(
        metavar="SPEC",
        help="Requirements spec [default: ./deploy-advisor.yaml if present].",
        readable=False,  # our reader says what is wrong in one line
        show_default=False,
    ),
]
Weights = Annotated[
    Path | None, _file_option("--weights", "Weights YAML overriding the packaged weights.")
]
Catalog = Annotated[
    Path | None, _file_option("--catalog", "Price catalog YAML that extends the packaged one.")
]
ReplaceCatalog = Annotated[
    bool, Option("--replace-catalog", help="Use only the --catalog file, not the packaged catalog.")
]
RpsPerVcpu = Annotated[
    str | None,
    _valued_option(
        "--rps-per-vcpu", "RPS", "Measured requests/s per vCPU [default: 100, assumed]."
    ),
]
AdviceJson = Annotated[bool, json_option("Print exactly one JSON object.")]
Details = Annotated[bool, Option("--details", help="Print the full tables.")]
SpecOutput = Annotated[Path, Option("--output", "-o", metavar="FILE", help="File to write.")]
SpecForce = Annotated[bool, Option("--force", help="Overwrite an existing file.")]
NoInput = Annotated[
    bool, Option("--no-input", help="Ask nothing: take the defaults plus the flags.")
]
CatalogTarget = Annotated[
    str | None,
    _valued_option(
        "--target", "TARGET", "Only plans for heroku|vps|docker|kubernetes|edge|serverless."
    ),
]

# --- inspect, example-model, serve -----------------------------------------------------------

InspectModel = Annotated[
    Path,
    Argument(help="A .joblib, .pkl or .onnx file, or an MLflow model directory.", readable=False),
]
InspectJson = Annotated[bool, Option("--json", help="Print one JSON document.")]
Payloads = Annotated[
    Path | None, Option(help="Write sample request bodies for POST /predict to this JSON file.")
]
Count = Annotated[int, Option(help="How many sample bodies to generate.")]
Seed = Annotated[int, Option(help="Seed for choosing or generating sample rows.")]
PayloadsForce = Annotated[bool, Option("--force", help="Overwrite the --payloads file.")]
ExampleOutDir = Annotated[
    Path, Option("-o", "--out-dir", help="Directory to write the model files to.")
]
ExampleKind = Annotated[
    str, Option("--kind", help="forest, churn (a DataFrame pipeline), xgboost or lightgbm.")
]
ExampleForce = Annotated[
    bool, Option("--force", help="Overwrite an existing model.joblib and model.onnx.")
]
ServeTarget = Annotated[
    str,
    Argument(
        metavar="MODEL_OR_SCAFFOLD_DIR", help="Model file, MLflow model or scaffold directory."
    ),
]
Host = Annotated[str, Option("--host", help="Address to bind (0.0.0.0: all).")]
Port = Annotated[
    int | None, Option("--port", min=0, max=65535, help="Port (default $PORT, else 8000).")
]
Workers = Annotated[int, Option("--workers", min=1, help="Worker processes.")]
BatchMax = Annotated[
    int | None, Option("--batch-max", min=1, help="Most rows per predict call (default 64).")
]
BatchWaitMs = Annotated[
    float | None,
    Option("--batch-wait-ms", min=0, help="Longest wait for a batch to fill (default 0)."),
]
NoBatching = Annotated[bool, Option("--no-batching", help="Predict each request alone.")]
MaxBodyBytes = Annotated[
    int | None, Option("--max-body-bytes", min=1, help="Largest request body (default 1 MiB).")
]
DrainTimeout = Annotated[
    float | None,
    Option("--drain-timeout", min=0, help="Seconds to finish requests on SIGTERM (default 30)."),
]
AccessLog = Annotated[
    bool, Option("--access-log/--no-access-log", help="One JSON line per request on stderr.")
]

# --- scaffold, validate, bench-edge ----------------------------------------------------------

ScaffoldModel = Annotated[
    Path, Option("--model", help="The trained model file (.joblib, .pkl, .onnx).", readable=False)
]
ScaffoldOut = Annotated[Path, Option("-o", "--out", help="Directory to write the scaffold into.")]
ScaffoldTarget = Annotated[
    str | None, Option(help="docker, kubernetes, heroku, vps or edge; default: the advisor's pick.")
]
ScaffoldSpec = Annotated[
    Path | None, Option(help="A deploy-advisor.yaml requirements spec.", readable=False)
]
ScaffoldPlan = Annotated[str | None, Option(help="Catalog plan to size resources for.")]
ScaffoldForce = Annotated[
    bool, Option("--force", help="Overwrite files you edited or scaffold did not write.")
]
DryRun = Annotated[bool, Option("--dry-run", help="Print what would be written; write nothing.")]
Wheelhouse = Annotated[
    bool, Option("--wheelhouse", help="Download every wheel into wheels/ for offline builds.")
]
DockerfileBase = Annotated[
    str | None, Option(help="Base image of the Dockerfile (ARG BASE_IMAGE); python:3.11-slim.")
]
PublicHost = Annotated[str | None, Option(help="Public host name (Ingress, nginx, TLS).")]
Strict = Annotated[
    bool, Option("--strict", help="Refuse when a platform limit would be hit (heroku).")
]
Mode = Annotated[
    str | None,
    Option(
        "--mode",
        help="realtime (a server) or batch (a scoring job); default: the advisor's for "
        "--spec, else realtime.",
    ),
]
MaxSizeMb = Annotated[
    float | None, Option("--max-size-mb", help="Edge: refuse a larger model.onnx.")
]
AcceptDrift = Annotated[
    bool, Option("--accept-drift", help="Edge: bundle even if ONNX drifts past the tolerance.")
]
Quantize = Annotated[
    bool, Option("--quantize", help="Edge: dynamic int8 quantisation, with its drift.")
]
ScaffoldDir = Annotated[Path, Argument(help="A scaffold directory written by `scaffold`.")]
Bundle = Annotated[Path, Argument(help="An edge bundle directory or its .tar.gz.")]
Cpus = Annotated[float, Option("--cpus", help="CPU limit, in cores.")]
Memory = Annotated[str, Option("--memory", help="Memory limit, e.g. 256m, 1g.")]
Predictions = Annotated[
    int, Option("--predictions", help="One-row predictions to time after loading.")
]
EdgeJson = Annotated[bool, Option("--json", help="Print the result as JSON.")]

# --- loadtest, bench -------------------------------------------------------------------------

Rate = Annotated[float | None, Option("--rate", help="Open loop: req/s to hold.")]
Users = Annotated[int | None, Option("--users", help="Closed loop: users that never wait.")]
Duration = Annotated[
    str, Option("--duration", help="e.g. 30s or 2m (default 30s); every run stops by itself.")
]
Ramp = Annotated[str | None, Option("--ramp", help="Time to start all users (default ≤5s).")]
Slo = Annotated[str | None, Option("--slo", help='e.g. "p95<200ms,p99<500ms,errors<1%".')]
LoadScaffold = Annotated[Path | None, Argument(help="Scaffold to launch and load.")]
Url = Annotated[str | None, Option("--url", help="Load a running server.")]
LoadTarget = Annotated[
    str | None, Option("--target", help="local, docker, vps, heroku or kubernetes.")
]
LoadPlan = Annotated[str | None, Option("--plan", help="Plan whose limits to emulate.")]
Processes = Annotated[int, Option("--processes", help="Locust processes here.")]
FindCapacity = Annotated[
    bool, Option("--find-capacity", help="Raise the rate from --rate until an SLO breaks.")
]
LoadPayloads = Annotated[
    Path | None, Option("--payloads", help="JSON list of request bodies (with --url).")
]
RunDir = Annotated[Path | None, Option("--out", help="Run directory.")]
RunForce = Annotated[bool, Option("--force", help="Replace a result already in --out.")]
ResultJson = Annotated[bool, json_option("Print only the result JSON.")]
Master = Annotated[bool, Option("--master", help="Locust master for workers on other machines.")]
ExpectWorkers = Annotated[int, Option("--expect-workers", help="Workers the master waits for.")]
Worker = Annotated[str | None, Option("--worker", help="Be a Locust worker of the master at HOST.")]
BaseImage = Annotated[
    str | None,
    Option(
        "--base-image", envvar="DEPLOY_ADVISOR_BASE_IMAGE",
        help="Base image for docker/kubernetes builds (default python:3.11-slim).",
    ),
]  # fmt: skip
BenchScaffold = Annotated[Path, Argument(help="Scaffold to launch on each target.")]
BenchTargets = Annotated[str, Option("--targets", help="e.g. local,docker,vps.")]
Plans = Annotated[str | None, Option("--plans", help="TARGET=PLAN pairs, e.g. docker=linode-2gb.")]
RunsParent = Annotated[Path | None, Option("--out", help="Parent of the run dirs.")]
ResultsJson = Annotated[bool, json_option("Print only a JSON list: one result per target.")]

# --- report, quickstart ----------------------------------------------------------------------

RunDirs = Annotated[list[Path], Argument(metavar="RUNDIR...", help="Run directories.")]
ReportSpec = Annotated[
    Path | None,
    Option(
        "--spec", help="Requirements spec: judge the SLO, price the spec's traffic.",
        readable=False,
    ),
]  # fmt: skip
Html = Annotated[Path | None, Option("--html", help="Write a self-contained HTML file.")]
Markdown = Annotated[Path | None, Option("--md", help="Write Markdown for a pull request.")]
ReportJson = Annotated[bool, Option("--json", help="Print one JSON document only.")]
Baseline = Annotated[
    list[Path] | None,
    Option("--baseline", metavar="RUNDIR", help="Earlier run to diff (repeatable)."),
]
ExtraCatalog = Annotated[
    Path | None, Option("--catalog", help="Extra price catalog (YAML).", readable=False)
]
ReportForce = Annotated[
    bool, Option("--force", help="Overwrite files that are not earlier reports.")
]
QuickstartOut = Annotated[
    Path, Option("-o", "--out", help="Directory for the spec, scaffolds, runs, report.")
]
QuickDuration = Annotated[str, Option("--duration", help="Load per target, e.g. 8s.")]
QuickBaseImage = Annotated[
    str | None, Option("--base-image", help="Base image of the docker scaffold.")
]
QuickTargets = Annotated[
    str | None, Option("--targets", help="Targets to bench, e.g. local,docker.")
]
Reuse = Annotated[bool, Option("--force", help="Reuse a non-empty -o directory.")]

ModelSample = Annotated[
    Path | None,
    _file_option(
        "--sample", "CSV or Parquet rows of training data: correct types, ranges, categories."
    ),
]
ModelSchema = Annotated[
    Path | None, _file_option("--schema", "JSON input schema replacing the derived one.")
]
TrustTypes = Annotated[
    str | None,
    _valued_option(
        "--trust-types", "TYPES", "Comma-separated types a .skops file may hold beyond skops' own."
    ),
]
ModelOutput = Annotated[
    str | None,
    _valued_option(
        "--output",
        "KIND",
        "predict, predict_proba, decision_function or raw (default: probabilities).",
    ),
]
ScaffoldCode = Annotated[
    Path | None,
    _valued_option(
        "--code", "PATH", "Your .py file or package the model imports; copied to code/."
    ),
]
Chaos = Annotated[
    str | None,
    _valued_option(
        "--chaos", "ACTION", "stop, kill or rollout replicas during the run (kubernetes)."
    ),
]
