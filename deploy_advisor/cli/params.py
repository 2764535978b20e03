"""Every option and argument of the command line (flag, type, help), declared once as an
`Annotated` type; the command modules use them by name, in `--help` order."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from typer import Argument, Option

from deploy_advisor.cli.app import json_option
from deploy_advisor.cli.params_runs import *  # noqa: F403  (the commands use params.NAME)


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
    Argument(
        metavar="MODEL", help="A .joblib, .pkl or .onnx file, or an MLflow model directory.",
        readable=False,
    ),
]  # fmt: skip
InspectJson = Annotated[bool, Option("--json", help="Print one JSON document.")]
Payloads = Annotated[
    Path | None,
    Option(metavar="FILE", help="Write sample request bodies for POST /predict to this JSON file."),
]
Count = Annotated[int, Option(metavar="N", help="How many sample bodies to generate.")]
Seed = Annotated[
    int, Option(min=0, metavar="N", help="Seed for choosing or generating sample rows.")
]
PayloadsForce = Annotated[bool, Option("--force", help="Overwrite the --payloads file.")]
ExampleOutDir = Annotated[
    Path, Option("-o", "--out-dir", metavar="DIR", help="Directory to write the model files to.")
]
ExampleKind = Annotated[
    str,
    Option(
        "--kind", metavar="KIND", help="forest, churn (a DataFrame pipeline), xgboost or lightgbm.",
    ),
]  # fmt: skip
ExampleForce = Annotated[
    bool, Option("--force", help="Overwrite an existing model.joblib and model.onnx.")
]
ServeTarget = Annotated[
    str,
    Argument(
        metavar="MODEL_OR_SCAFFOLD_DIR", help="Model file, MLflow model or scaffold directory."
    ),
]
Host = Annotated[str, Option("--host", metavar="HOST", help="Address to bind (0.0.0.0: all).")]
Port = Annotated[
    int | None,
    Option("--port", min=0, max=65535, metavar="PORT", help="Port (default $PORT, else 8000)."),
]
Workers = Annotated[int, Option("--workers", min=1, metavar="N", help="Worker processes.")]
BatchMax = Annotated[
    int | None,
    Option("--batch-max", min=1, metavar="N", help="Most rows per predict call (default 64)."),
]
BatchWaitMs = Annotated[
    float | None,
    Option(
        "--batch-wait-ms", min=0, metavar="MS",
        help="Longest wait for a batch to fill (default 0).",
    ),
]  # fmt: skip
NoBatching = Annotated[bool, Option("--no-batching", help="Predict each request alone.")]
MaxBodyBytes = Annotated[
    int | None,
    Option(
        "--max-body-bytes", min=1, metavar="BYTES", help="Largest request body (default 1 MiB).",
    ),
]  # fmt: skip
DrainTimeout = Annotated[
    float | None,
    Option(
        "--drain-timeout", min=0, metavar="SECONDS",
        help="Seconds to finish requests on SIGTERM (default 30).",
    ),
]  # fmt: skip
AccessLog = Annotated[
    bool, Option("--access-log/--no-access-log", help="One JSON line per request on stderr.")
]

# --- scaffold, validate, bench-edge ----------------------------------------------------------

ScaffoldModel = Annotated[
    Path,
    Option(
        "--model", metavar="PATH", help="The trained model file (.joblib, .pkl, .onnx).",
        readable=False,
    ),
]  # fmt: skip
ScaffoldOut = Annotated[
    Path, Option("-o", "--out", metavar="DIR", help="Directory to write the scaffold into.")
]
ScaffoldTarget = Annotated[
    str | None,
    Option(
        metavar="TARGET",
        help="docker, kubernetes, heroku, vps or edge; default: the advisor's pick.",
    ),
]  # fmt: skip
ScaffoldSpec = Annotated[
    Path | None,
    Option(metavar="FILE", help="A deploy-advisor.yaml requirements spec.", readable=False),
]
ScaffoldPlan = Annotated[
    str | None, Option(metavar="PLAN", help="Catalog plan to size resources for.")
]
ScaffoldForce = Annotated[
    bool, Option("--force", help="Overwrite files you edited or scaffold did not write.")
]
DryRun = Annotated[bool, Option("--dry-run", help="Print what would be written; write nothing.")]
Wheelhouse = Annotated[
    bool, Option("--wheelhouse", help="Download every wheel into wheels/ for offline builds.")
]
DockerfileBase = Annotated[
    str | None,
    Option(
        metavar="IMAGE", help="Base image of the Dockerfile (ARG BASE_IMAGE); python:3.11-slim.",
    ),
]  # fmt: skip
PublicHost = Annotated[
    str | None, Option(metavar="HOST", help="Public host name (Ingress, nginx, TLS).")
]
Strict = Annotated[
    bool, Option("--strict", help="Refuse when a platform limit would be hit (heroku).")
]
Mode = Annotated[
    str | None,
    Option(
        "--mode", metavar="MODE",
        help="realtime (a server) or batch (a scoring job); default: the advisor's for "
        "--spec, else realtime.",
    ),
]  # fmt: skip
MaxSizeMb = Annotated[
    float | None, Option("--max-size-mb", metavar="MB", help="Edge: refuse a larger model.onnx.")
]
AcceptDrift = Annotated[
    bool, Option("--accept-drift", help="Edge: bundle even if ONNX drifts past the tolerance.")
]
Gpu = Annotated[
    bool,
    Option(
        "--gpu",
        help="Target a GPU: CUDA image, CUDA torch, nvidia.com/gpu limits, a GPU plan "
        "(docker, kubernetes).",
    ),
]
ScaffoldWeights = Annotated[
    str | None,
    Option(
        "--weights", metavar="WHERE",
        help="image (the model is copied into the image) or volume (mounted read-only: a host "
        "directory, a PersistentVolumeClaim; docker, kubernetes); default: the earlier "
        "scaffold's, else image.",
    ),
]  # fmt: skip
Quantize = Annotated[
    bool, Option("--quantize", help="Edge: dynamic int8 quantisation, with its drift.")
]
ValidateJson = Annotated[
    bool, json_option("Print one JSON document: the findings and the checks that ran.")
]
ScaffoldDir = Annotated[
    Path, Argument(metavar="DIR", help="A scaffold directory written by `scaffold`.")
]
Bundle = Annotated[
    Path, Argument(metavar="BUNDLE", help="An edge bundle directory or its .tar.gz.")
]
Cpus = Annotated[float, Option("--cpus", metavar="CPUS", help="CPU limit, in cores.")]
Memory = Annotated[str, Option("--memory", metavar="SIZE", help="Memory limit, e.g. 256m, 1g.")]
Predictions = Annotated[
    int, Option("--predictions", metavar="N", help="One-row predictions to time after loading.")
]
EdgeJson = Annotated[bool, Option("--json", help="Print the result as JSON.")]

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
ModelTask = Annotated[
    str | None,
    Option(
        "--task", metavar="TASK",
        help="Task of a transformers model when its config does not say.",
    ),
]  # fmt: skip
Truncate = Annotated[
    bool, Option("--truncate", help="Cut texts over the model's maximum length (else 422).")
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
        "--chaos",
        "ACTION",
        "stop, kill or rollout replicas (kubernetes); release or rollback (vps): during the run.",
    ),
]
