"""Targets whose scaffold is rendered from templates: the class they share and its pipeline."""

from __future__ import annotations

import json
import re
from abc import abstractmethod
from dataclasses import replace
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from deploy_advisor.errors import CheckFailed, EnvironmentMissing, InputError
from deploy_advisor.lockfile import (
    DEFAULT_BASE_IMAGE,
    LOCK_NAME,
    LOCK_VERSION,
    LockedModel,
    ScaffoldLock,
    lock_text,
    read_lock,
)
from deploy_advisor.targets.base import (
    Finding,
    ModelFacts,
    PlanSize,
    RenderContext,
    Requirement,
    ScaffoldRequest,
    ScaffoldResult,
    Target,
)
from deploy_advisor.targets.batch import chunk_rows_for
from deploy_advisor.targets.bom_values import bom_lines
from deploy_advisor.targets.code import CODE_DIR, code_files
from deploy_advisor.targets.facts import model_facts
from deploy_advisor.targets.gpu import GPU_PYTHON, check_gpu_model, gpu_lock, gpu_plan
from deploy_advisor.targets.plans import resolve_plan
from deploy_advisor.targets.registry import targets_with
from deploy_advisor.targets.requirements import (
    render_requirements,
    serving_requirements,
    sklearn_mismatch,
)
from deploy_advisor.targets.requirements_deep import cuda_image
from deploy_advisor.targets.sizing import workers_for
from deploy_advisor.targets.templating import render_template
from deploy_advisor.targets.weights import IMAGE, VOLUME, weights_for
from deploy_advisor.targets.wheelhouse import download_wheels
from deploy_advisor.targets.writer import (
    FileAction,
    GeneratedFile,
    apply_actions,
    plan_actions,
    sha256,
)

if TYPE_CHECKING:
    from deploy_advisor.advisor.bom import BillOfMaterials

__all__ = [
    "RenderedTarget", "app_name_for", "build_context", "kept_findings", "lock_file",
    "render_files", "render_text_files",
]  # fmt: skip


class RenderedTarget(Target):
    """A target whose files are templates rendered from the model and plan, per mode."""

    #: (path, what it is) for the README's file table, realtime and batch.
    file_notes: ClassVar[tuple[tuple[str, str], ...]] = ()
    batch_file_notes: ClassVar[tuple[tuple[str, str], ...]] = ()

    @abstractmethod
    def render(self, ctx: RenderContext) -> dict[str, str]:
        """Target-specific files of a realtime scaffold as {relative path: text}."""

    def render_batch(self, ctx: RenderContext) -> dict[str, str]:
        """Target-specific files of a batch scaffold; only for targets with "batch" in `modes`."""
        raise InputError(
            f"--mode batch is not available for {self.name}; use --target with one of: "
            + ", ".join(targets_with("batch"))
        )

    def readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        """Shell commands for the README: build, run, deploy, rollback (each a code block body)."""
        return {}

    def batch_readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        """Title, build, run and deploy commands of the batch README."""
        return {}

    def file_table(self, ctx: RenderContext) -> tuple[tuple[str, str], ...]:
        """The README's file table of a realtime scaffold: `file_notes` unless the files vary."""
        return self.file_notes

    def bom_notes(self, ctx: RenderContext) -> list[str]:
        """What this target adds to the README's bill of materials (assumptions, commands)."""
        return []

    def preflight(self, ctx: RenderContext) -> list[Finding]:
        """Platform limits the model might break, checked before any file is written."""
        return []

    def scaffold(self, request: ScaffoldRequest) -> ScaffoldResult:
        """Render the files for `request.mode`, check them against the plan and write them."""
        return scaffold_rendered(self, request)


def app_name_for(model: Path) -> str:
    """A DNS-label-safe application name from the model file name."""
    name = re.sub(r"[^a-z0-9]+", "-", model.stem.lower()).strip("-")[:40].strip("-")
    return name if name and name[0].isalpha() else f"model-{name}".strip("-")


def build_context(
    target: RenderedTarget,
    facts: ModelFacts,
    *,
    app_name: str,
    plan: PlanSize,
    mode: str = "realtime",
    base_image: str = DEFAULT_BASE_IMAGE,
    wheelhouse: bool = False,
    host_name: str | None = None,
    app_port: int = 8000,
    listen_port: int = 80,
    bom: BillOfMaterials | None = None,
    gpu: bool = False,
    weights: str = IMAGE,
) -> RenderContext:
    """The render context for one target: plan size, workers and pinned requirements; with
    `gpu`, for the plan's GPU: CUDA torch, Ubuntu's Python, one worker owning the GPU."""
    if mode not in {"realtime", "batch"}:
        raise InputError(f"mode {mode!r} is unknown; use realtime or batch")
    if host_name is not None and not re.fullmatch(
        r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?", host_name
    ):
        raise InputError(
            f"--host {host_name!r} is not a DNS name; pass e.g. --host api.example.com"
        )
    if mode not in target.modes:
        raise InputError(
            f"--mode {mode} is not available for {target.name}; use --target with one of: "
            + ", ".join(targets_with(mode))
        )
    size = plan
    requirements = serving_requirements(facts, gunicorn=target.serves_with_gunicorn, gpu=gpu)
    if mode == "batch":
        from importlib.metadata import version

        reads = "reads and writes CSV/Parquet in the batch scorer"
        requirements = (*requirements, Requirement("pyarrow", version("pyarrow"), reads))
    return RenderContext(
        mode=mode,  # type: ignore[arg-type]
        app_name=app_name,
        model=facts,
        plan=size,
        requirements=requirements,
        python_version=GPU_PYTHON if gpu else "3.11",
        base_image=base_image,
        wheelhouse=wheelhouse,
        host_name=host_name,
        workers=1 if gpu else workers_for(size, facts),
        app_port=app_port,
        listen_port=listen_port,
        bom=bom,
        gpu=size.gpu if gpu else None,
        weights=weights,
    )


def _tree(root: Traversable, prefix: str) -> dict[str, GeneratedFile]:
    files = {}
    for item in root.iterdir():
        if item.name == "__pycache__" or item.name.endswith((".pyc", ".pyo")):
            continue
        path = f"{prefix}/{item.name}"
        files.update(
            _tree(item, path) if item.is_dir() else {path: GeneratedFile(item.read_bytes())}
        )
    return files


def _runtime_files() -> dict[str, GeneratedFile]:
    """The runtime package, copied verbatim as `model_server/`."""
    try:
        root = resources.files("deploy_advisor.runtime")
    except ModuleNotFoundError:
        raise EnvironmentMissing(
            "deploy_advisor.runtime is missing; reinstall deploy-advisor"
        ) from None
    return _tree(root, "model_server")


def _locustfile() -> GeneratedFile:
    try:
        source = resources.files("deploy_advisor.loadtest").joinpath("locustfile.py")
        return GeneratedFile(source.read_bytes())
    except (ModuleNotFoundError, FileNotFoundError):
        raise EnvironmentMissing(
            "deploy_advisor/loadtest/locustfile.py is missing; reinstall"
        ) from None


def render_text_files(target: RenderedTarget, ctx: RenderContext) -> dict[str, str]:
    """Every templated file of the scaffold (target files, README, requirements, samples)."""
    text = target.render_batch(ctx) if ctx.mode == "batch" else dict(target.render(ctx))
    payloads = json.loads(ctx.model.payloads_json)
    text["requirements.txt"] = render_requirements(ctx.requirements)
    batch = ctx.mode == "batch"
    if not batch:  # request bodies for the server; a batch job has none
        text["samples/payloads.json"] = ctx.model.payloads_json
        text["samples/first.json"] = json.dumps(payloads[0]) + "\n"
    text["README.md"] = render_template(
        "batch/README.md.j2" if batch else "common/README.md.j2",
        app_name=ctx.app_name,
        target_title=target.description,
        model=ctx.model,
        plan=ctx.plan,
        files=list(target.batch_file_notes if batch else target.file_table(ctx)),
        commands=target.batch_readme_commands(ctx) if batch else target.readme_commands(ctx),
        local_port=ctx.app_port,
        chunk_rows=chunk_rows_for(ctx),
        input_kind=ctx.model.input_kind,
        bom_lines=[*bom_lines(ctx.bom), *target.bom_notes(ctx)] if ctx.bom else [],
        gpu=gpu_lock(ctx) if ctx.gpu else None,
    )
    return text


def render_files(
    target: RenderedTarget, ctx: RenderContext, *, model_path: Path, code: Path | None = None
) -> dict[str, GeneratedFile]:
    """Every file of the scaffold except the lock, as {relative path: file}."""
    text = render_text_files(target, ctx)
    files = {
        p: GeneratedFile(body.encode(), executable=p.endswith(".sh")) for p, body in text.items()
    }
    files.update(_runtime_files())
    if ctx.mode != "batch":
        files["locustfile.py"] = _locustfile()
    if model_path.is_dir():  # a transformers save_pretrained directory, copied whole
        for item in sorted(model_path.rglob("*")):
            if item.is_file():
                rel = item.relative_to(model_path).as_posix()
                files[f"{ctx.model.file}/{rel}"] = GeneratedFile(item.read_bytes())
    else:
        files[ctx.model.file] = GeneratedFile(model_path.read_bytes())
    if code is not None:
        files.update(code_files(code))
    if ctx.wheelhouse:
        for wheel in download_wheels(
            text["requirements.txt"], python_version=ctx.python_version, cpu_torch=not ctx.gpu
        ):
            files[f"wheels/{wheel.name}"] = GeneratedFile(wheel.read_bytes())
    return files


def _reuse_measurements(facts: ModelFacts, lock: ScaffoldLock | None) -> ModelFacts:
    """The same model keeps its earlier timings, so re-running scaffold changes no file."""
    earlier = lock.model if lock else None
    if earlier is None or earlier.sha256 != facts.sha256:
        return facts
    timings = (earlier.load_seconds, earlier.rss_mb, earlier.predict_ms)
    if None in timings:
        return facts
    load_seconds, rss_mb, predict_ms = (float(t or 0) for t in timings)
    return replace(facts, load_seconds=load_seconds, rss_mb=rss_mb, predict_ms=predict_ms)


def lock_file(
    target: RenderedTarget, ctx: RenderContext, files: dict[str, GeneratedFile]
) -> GeneratedFile:
    """deploy-advisor.lock.json: target, mode, plan, model facts and the sha256 of every file."""
    lock = ScaffoldLock(
        version=LOCK_VERSION,
        target=target.name,
        mode=ctx.mode,
        plan=ctx.plan.name,
        model=LockedModel(
            file=ctx.model.file,
            format=ctx.model.format,
            n_features=ctx.model.n_features,
            sha256=ctx.model.sha256,
            load_seconds=ctx.model.load_seconds,
            rss_mb=ctx.model.rss_mb,
            predict_ms=ctx.model.predict_ms,
            trained_sklearn_version=ctx.model.trained_sklearn_version,
        ),
        files={path: sha256(files[path].content) for path in sorted(files)},
    )
    if ctx.model.pins:
        lock.model_requires = {r.name: r.version for r in ctx.model.pins}
    if ctx.model.code_dir:
        lock.code = {"dir": ctx.model.code_dir, "on_import_path": True}
    if ctx.gpu is not None:
        lock.gpu = gpu_lock(ctx)
    if ctx.weights == VOLUME:
        lock.weights = VOLUME
    if ctx.bom is not None:
        lock.bom = ctx.bom.to_json()
    return GeneratedFile(lock_text(lock).encode())


def scaffold_rendered(target: RenderedTarget, request: ScaffoldRequest) -> ScaffoldResult:
    """The rendered scaffold of `request.model` for `target`, written unless dry_run."""
    size = gpu_plan(target, request.plan) if request.gpu else resolve_plan(target, request.plan)
    earlier = read_lock(request.out_dir)
    facts = _reuse_measurements(model_facts(request.model, code=request.code), earlier)
    base_image = request.base_image
    if request.gpu:
        check_gpu_model(facts)
        base_image = cuda_image() if base_image == DEFAULT_BASE_IMAGE else base_image
    ctx = build_context(
        target, facts, app_name=app_name_for(request.model), plan=size, mode=request.mode,
        base_image=base_image, wheelhouse=request.wheelhouse,
        host_name=request.host_name, app_port=request.app_port, listen_port=request.listen_port,
        bom=request.bom, gpu=request.gpu, weights=_weights(target, request, earlier),
    )  # fmt: skip
    findings = target.preflight(ctx)
    mismatch = sklearn_mismatch(facts)
    if mismatch:
        findings.insert(0, Finding("warning", "sklearn-version", mismatch))
    refusing = [f for f in findings if f.severity != "info" and f.check != "sklearn-version"]
    if request.strict and refusing:
        reasons = "; ".join(f.message for f in refusing)
        raise CheckFailed(f"preflight refused with --strict: {reasons}")
    files = render_files(target, ctx, model_path=request.model, code=request.code)
    files[LOCK_NAME] = lock_file(target, ctx, files)
    # model/ is copied whole into the image or release: it must hold the current model only.
    actions = plan_actions(
        files, out_dir=request.out_dir, force=request.force, owned_dirs=("model", CODE_DIR)
    )
    if not request.dry_run:
        apply_actions(actions, out_dir=request.out_dir)
    found = findings + kept_findings(actions)
    return ScaffoldResult(target.name, request.out_dir, actions, found, request.dry_run)


def _weights(target: RenderedTarget, request: ScaffoldRequest, earlier: ScaffoldLock | None) -> str:
    """--weights, else the earlier scaffold's choice; a volume only for a server that mounts one."""
    if request.weights == VOLUME and (request.mode == "batch" or not target.takes_weights_volume):
        raise InputError(
            f"--weights volume does not apply to {target.name} in {request.mode} mode; drop "
            "--weights, or pass --target docker or kubernetes without --mode batch"
        )
    if request.mode == "batch" or not target.takes_weights_volume:
        return IMAGE
    return weights_for(request.weights, earlier)


def kept_findings(actions: list[FileAction]) -> list[Finding]:
    """A warning for each file left in place that the user should look at."""
    return [
        Finding("warning", "kept", f"{a.path}: {a.reason}") for a in actions if a.action == "keep"
    ]
