"""Build an edge bundle: model.onnx, the edge runtime, requirements, Dockerfile, README, tarball."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from importlib import metadata, resources
from pathlib import Path

from deploy_advisor.errors import InputError, ModelError
from deploy_advisor.files import write_atomic_with

from .deep import DEEP_SUFFIXES, check_deep_parity, deep_sample, export_torch
from .export import ExportedModel, export_onnx, load_original
from .parity import DEFAULT_TOLERANCE, ParityReport, SampleRows, check_parity, numeric_sample
from .quantize import QuantizeReport, quantize
from .typed import input_columns, typed_sample

__all__ = ["EdgeBundle", "check_size", "prepare_bundle", "write_tarball"]

MODEL_FILE = "model.onnx"
SAMPLE_ROWS = 20


@dataclass(frozen=True)
class EdgeBundle:
    """The files of a bundle (relative path -> bytes) and what the checks found."""

    name: str
    files: dict[str, bytes]
    model_size_bytes: int
    model_sha256: str
    export: ExportedModel
    parity: ParityReport | None
    quantization: QuantizeReport | None
    quantized: bool
    load_seconds: float


def check_size(*, size_bytes: int, max_size_mb: float | None) -> None:
    """Refuse a model over the size budget, saying by how much and what to try."""
    if max_size_mb is None or size_bytes <= max_size_mb * 1_000_000:
        return
    raise ModelError(
        f"model.onnx is {size_bytes / 1_000_000:.2f} MB, over --max-size-mb {max_size_mb:g}; "
        "try --quantize, a smaller model (fewer or shallower trees), or raise --max-size-mb"
    )


def prepare_bundle(
    *,
    model_path: Path,
    name: str,
    max_size_mb: float | None = None,
    accept_drift: bool = False,
    quantize_model: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
) -> EdgeBundle:
    """Export, check parity, optionally quantise and check the size; nothing is written."""
    if max_size_mb is not None and max_size_mb <= 0:
        raise InputError(f"--max-size-mb {max_size_mb:g} must be a positive number of MB")
    with tempfile.TemporaryDirectory(prefix="da-edge-") as tmp:
        stage = Path(tmp) / name
        stage.mkdir()
        model_file = stage / MODEL_FILE
        exported, sample, parity = _export_checked(
            model_path, model_file, tolerance=tolerance, accept_drift=accept_drift
        )
        report, quantized = None, False
        if quantize_model:
            quantized_file = stage / "model.quant.onnx"
            report = quantize(onnx_path=model_file, out_path=quantized_file, sample=sample)
            quantized = _adopt_quantized(stage, report, tolerance, accept_drift)
        size = model_file.stat().st_size
        check_size(size_bytes=size, max_size_mb=max_size_mb)
        sha = hashlib.sha256(model_file.read_bytes()).hexdigest()
        load_seconds = _load_seconds(model_file)
        _write_runtime(stage)
        _write_support_files(stage, model_path, exported, parity, quantized, sample, size, sha)
        files = {
            path.relative_to(stage).as_posix(): path.read_bytes()
            for path in sorted(stage.rglob("*"))
            if path.is_file()
        }
    return EdgeBundle(
        name=name,
        files=files,
        model_size_bytes=size,
        model_sha256=sha,
        export=exported,
        parity=parity,
        quantization=report,
        quantized=quantized,
        load_seconds=load_seconds,
    )


def _export_checked(
    model_path: Path, model_file: Path, *, tolerance: float, accept_drift: bool
) -> tuple[ExportedModel, SampleRows, ParityReport | None]:
    """Write `model_file` and compare it with the original (not for an .onnx input)."""
    if model_path.suffix.lower() in DEEP_SUFFIXES or model_path.is_dir():
        program = export_torch(model_path, model_file)
        exported = ExportedModel(
            path=model_file,
            converted=True,
            n_features=program.n_features,
            size_bytes=model_file.stat().st_size,
        )
        sample = deep_sample(program)
        report = check_deep_parity(
            program=program, onnx_path=model_file, sample=sample, tolerance=tolerance,
            accept_drift=accept_drift,
        )  # fmt: skip
        return exported, sample, report
    exported = export_onnx(model_path=model_path, out_path=model_file)
    estimator = load_original(model_path) if exported.converted else None
    sample = _sample(estimator, exported)
    parity = (
        check_parity(
            estimator=estimator,
            onnx_path=model_file,
            sample=sample,
            tolerance=tolerance,
            accept_drift=accept_drift,
        )
        if exported.converted
        else None
    )
    return exported, sample, parity


def _load_seconds(model_file: Path) -> float:
    """How long onnxruntime takes to open the model here (the import is already paid)."""
    import time

    import onnxruntime as ort

    started = time.perf_counter()
    ort.InferenceSession(str(model_file), providers=["CPUExecutionProvider"])
    return round(time.perf_counter() - started, 4)


def _sample(estimator: object, exported: ExportedModel) -> SampleRows:
    if exported.schema is not None:
        return typed_sample(estimator, exported.schema, shown=SAMPLE_ROWS)
    return numeric_sample(estimator, n_features=exported.n_features, shown=SAMPLE_ROWS)


def _adopt_quantized(
    stage: Path, report: QuantizeReport, tolerance: float, accept_drift: bool
) -> bool:
    """Keep the quantised model if it is smaller and close enough; say why not otherwise."""
    quantized = stage / "model.quant.onnx"
    if not report.changed:
        quantized.unlink(missing_ok=True)
        return False
    if report.max_abs_diff > tolerance and not accept_drift:
        raise ModelError(
            f"the quantised model differs from the unquantised one by up to "
            f"{report.max_abs_diff:.3g}, over the tolerance {tolerance:g}; drop --quantize or "
            "pass --accept-drift"
        )
    quantized.replace(stage / MODEL_FILE)
    return True


def _write_runtime(stage: Path) -> None:
    source = resources.files("deploy_advisor") / "edge_runtime"
    with resources.as_file(source) as path:
        shutil.copytree(path, stage / "edge_runtime", ignore=shutil.ignore_patterns("__pycache__"))


def _write_support_files(
    stage: Path,
    model_path: Path,
    exported: ExportedModel,
    parity: ParityReport | None,
    quantized: bool,
    sample: SampleRows,
    size: int,
    sha: str,
) -> None:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    name = stage.name
    env = Environment(
        loader=PackageLoader("deploy_advisor", "targets/templates/edge"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    context = {
        "model_name": model_path.name,
        "image_name": f"{name}:latest",
        "bundle_name": name,
        "size_mb": f"{size / 1_000_000:.2f}",
        "n_features": exported.n_features,
        "quantized": quantized,
        "source_name": model_path.name,
        "converted": exported.converted,
        "parity_line": _parity_line(parity),
        "columns": _column_list(exported),
    }
    for template, target in (("Dockerfile.j2", "Dockerfile"), ("README.md.j2", "README.md")):
        (stage / target).write_text(env.get_template(template).render(**context))
    (stage / ".dockerignore").write_text("**/__pycache__\n*.tar.gz\n")
    (stage / "requirements.txt").write_text(
        f"onnxruntime=={metadata.version('onnxruntime')}\nnumpy=={metadata.version('numpy')}\n"
    )
    (stage / "sample.json").write_text(json.dumps(sample.body) + "\n")
    info = {
        "version": 1,
        "model": {
            "file": MODEL_FILE,
            "sha256": sha,
            "size_bytes": size,
            "n_features": exported.n_features,
            "source": model_path.name,
            "converted": exported.converted,
            "quantized": quantized,
        },
        "parity": asdict(parity) if parity else None,
    }
    if exported.schema is not None:
        info["inputs"] = [c.to_json() for c in input_columns(exported.schema)]
    (stage / "bundle.json").write_text(json.dumps(info, indent=2) + "\n")


def _column_list(exported: ExportedModel) -> str:
    """One README line per typed column; empty for a model of numbers."""
    if exported.schema is None:
        return ""
    kinds = {"string": "a string", "float": "a number", "int": "a whole number", "bool": "boolean"}
    lines = []
    for c in exported.schema.columns:
        line = f"- `{c.name}`: {kinds[c.type]}"
        if c.categories:
            line += f", one of {_few(c.categories)}"
        elif c.known_values:
            line += f" (seen in training: {_few(c.known_values)}; others are ignored)"
        lines.append(line + (", may be missing" if c.nullable else ""))
    return "\n".join(lines)


def _few(values: tuple[object, ...]) -> str:
    return ", ".join(map(str, values[:6])) + (", ..." if len(values) > 6 else "")


def _parity_line(parity: ParityReport | None) -> str:
    if parity is None:
        return "not checked: the model was given as ONNX"
    verdict = "within" if parity.within else "OVER (accepted with --accept-drift)"
    return (
        f"max abs difference {parity.max_abs_diff:.3g} in {parity.compared} on {parity.rows} "
        f"sample rows, {verdict} the tolerance {parity.tolerance:g}"
    )


def write_tarball(*, files: dict[str, bytes], name: str, tarball: Path) -> None:
    """A reproducible .tar.gz of the bundle under `name/`: sorted, zero times and owners, and no
    file name in the gzip header, so the same files always give the same bytes."""
    import io

    def pack(tmp: Path) -> None:
        with (
            tmp.open("wb") as raw,
            gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as packed,
            tarfile.open(fileobj=packed, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            folders = sorted({str(Path(name, rel).parent) for rel in files} | {name})
            for folder in folders:
                info = tarfile.TarInfo(folder)
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            for rel in sorted(files):
                info = tarfile.TarInfo(f"{name}/{rel}")
                info.size, info.mode = len(files[rel]), 0o644
                tar.addfile(info, io.BytesIO(files[rel]))

    tarball.parent.mkdir(parents=True, exist_ok=True)
    write_atomic_with(tarball, pack)
