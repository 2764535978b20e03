"""`deploy-advisor scaffold`: render a target's files plus the shared ones and write them safely."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from deploy_advisor.errors import CheckFailed, EnvironmentMissing, InputError
from deploy_advisor.targets import get_target
from deploy_advisor.targets.base import (
    Finding,
    ModelFacts,
    PlanSize,
    RenderContext,
    Requirement,
    Target,
)
from deploy_advisor.targets.batch import (
    BATCH_TARGETS,
    CHUNK_ROWS,
    batch_files,
    batch_readme_commands,
    describe_batch_files,
)
from deploy_advisor.targets.edge import EdgeOptions, scaffold_edge
from deploy_advisor.targets.facts import model_facts
from deploy_advisor.targets.plans import resolve_plan
from deploy_advisor.targets.requirements import (
    render_requirements,
    serving_requirements,
    sklearn_mismatch,
)
from deploy_advisor.targets.sizing import workers_for
from deploy_advisor.targets.templating import render_template
from deploy_advisor.targets.wheelhouse import download_wheels
from deploy_advisor.targets.writer import (
    LOCK_NAME,
    FileAction,
    GeneratedFile,
    apply_actions,
    plan_actions,
    read_lock,
    sha256,
)

__all__ = [
    "ScaffoldResult",
    "app_name_for",
    "build_context",
    "kept_findings",
    "lock_file",
    "render_files",
    "render_text_files",
    "scaffold",
]


@dataclass(frozen=True)
class ScaffoldResult:
    """What scaffolding did (or would do, with dry_run): one action per file, and the warnings."""

    target: str
    out_dir: Path
    actions: list[FileAction]
    findings: list[Finding]
    dry_run: bool


def app_name_for(model: Path) -> str:
    """A DNS-label-safe application name from the model file name."""
    name = re.sub(r"[^a-z0-9]+", "-", model.stem.lower()).strip("-")[:40].strip("-")
    return name if name and name[0].isalpha() else f"model-{name}".strip("-")


def build_context(
    target: Target,
    facts: ModelFacts,
    *,
    app_name: str,
    plan: PlanSize,
    mode: str = "realtime",
    base_image: str = "python:3.11-slim",
    wheelhouse: bool = False,
    host_name: str | None = None,
    app_port: int = 8000,
    listen_port: int = 80,
) -> RenderContext:
    """The render context for one target: plan size, workers and pinned requirements."""
    if mode not in {"realtime", "batch"}:
        raise InputError(f"mode {mode!r} is unknown; use realtime or batch")
    if host_name is not None and not re.fullmatch(
        r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?", host_name
    ):
        raise InputError(
            f"--host {host_name!r} is not a DNS name; pass e.g. --host api.example.com"
        )
    if mode == "batch" and target.name not in BATCH_TARGETS:
        raise InputError(
            f"--mode batch is not available for {target.name}; use --target with one of: "
            + ", ".join(BATCH_TARGETS)
        )
    size = plan
    requirements = serving_requirements(facts, gunicorn=target.serves_with_gunicorn)
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
        base_image=base_image,
        wheelhouse=wheelhouse,
        host_name=host_name,
        workers=workers_for(size, facts),
        app_port=app_port,
        listen_port=listen_port,
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
        source = resources.files("deploy_advisor.benchmarks").joinpath("locustfile.py")
        return GeneratedFile(source.read_bytes())
    except (ModuleNotFoundError, FileNotFoundError):
        raise EnvironmentMissing(
            "deploy_advisor/benchmarks/locustfile.py is missing; reinstall"
        ) from None


def render_text_files(target: Target, ctx: RenderContext) -> dict[str, str]:
    """Every templated file of the scaffold (target files, README, requirements, samples)."""
    text = batch_files(target.name, ctx) if ctx.mode == "batch" else dict(target.render(ctx))
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
        files=describe_batch_files(target.name) if batch else target.describe_files(),
        commands=batch_readme_commands(target.name, ctx) if batch else target.readme_commands(ctx),
        local_port=ctx.app_port,
        chunk_rows=CHUNK_ROWS,
    )
    return text


def render_files(
    target: Target, ctx: RenderContext, *, model_path: Path
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
    if ctx.wheelhouse:
        for wheel in download_wheels(text["requirements.txt"], python_version=ctx.python_version):
            files[f"wheels/{wheel.name}"] = GeneratedFile(wheel.read_bytes())
    return files


def _reuse_measurements(facts: ModelFacts, lock: dict[str, Any]) -> ModelFacts:
    """The same model keeps its earlier timings, so re-running scaffold changes no file."""
    earlier = lock.get("model") or {}
    if earlier.get("sha256") != facts.sha256:
        return facts
    try:
        return replace(
            facts,
            load_seconds=float(earlier["load_seconds"]),
            rss_mb=float(earlier["rss_mb"]),
            predict_ms=float(earlier["predict_ms"]),
        )
    except (KeyError, TypeError, ValueError):
        return facts


def lock_file(target: Target, ctx: RenderContext, files: dict[str, GeneratedFile]) -> GeneratedFile:
    """deploy-advisor.lock.json: target, mode, plan, model facts and the sha256 of every file."""
    lock = {
        "version": 1,
        "target": target.name,
        "mode": ctx.mode,
        "plan": ctx.plan.name,
        "model": {
            "file": ctx.model.file,
            "format": ctx.model.format,
            "n_features": ctx.model.n_features,
            "sha256": ctx.model.sha256,
            "load_seconds": ctx.model.load_seconds,
            "rss_mb": ctx.model.rss_mb,
            "predict_ms": ctx.model.predict_ms,
            "trained_sklearn_version": ctx.model.trained_sklearn_version,
        },
        "files": {path: sha256(files[path].content) for path in sorted(files)},
    }
    return GeneratedFile((json.dumps(lock, indent=2) + "\n").encode())


def scaffold(
    *,
    model: Path,
    target: str,
    out_dir: Path,
    plan: str | None = None,
    mode: str = "realtime",
    base_image: str = "python:3.11-slim",
    wheelhouse: bool = False,
    host_name: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    strict: bool = False,
    app_port: int = 8000,
    listen_port: int = 80,
    edge: EdgeOptions | None = None,
) -> ScaffoldResult:
    """Write (or with dry_run, only plan) a scaffold of `model` for `target` into `out_dir`."""
    chosen = get_target(target)
    if chosen.name == "edge":
        done = scaffold_edge(
            model=model, out_dir=out_dir, options=edge or EdgeOptions(), force=force,
            dry_run=dry_run,
        )  # fmt: skip
        findings = done.findings + kept_findings(done.actions)
        return ScaffoldResult(chosen.name, out_dir, done.actions, findings, dry_run)
    size = resolve_plan(chosen, plan)
    facts = _reuse_measurements(model_facts(model), read_lock(out_dir))
    ctx = build_context(
        chosen, facts, app_name=app_name_for(model), plan=size, mode=mode,
        base_image=base_image, wheelhouse=wheelhouse, host_name=host_name,
        app_port=app_port, listen_port=listen_port,
    )  # fmt: skip
    findings = chosen.preflight(ctx)
    mismatch = sklearn_mismatch(facts)
    if mismatch:
        findings.insert(0, Finding("warning", "sklearn-version", mismatch))
    refusing = [f for f in findings if f.severity != "info" and f.check != "sklearn-version"]
    if strict and refusing:
        reasons = "; ".join(f.message for f in refusing)
        raise CheckFailed(f"preflight refused with --strict: {reasons}")
    files = render_files(chosen, ctx, model_path=model)
    files[LOCK_NAME] = lock_file(chosen, ctx, files)
    # model/ is copied whole into the image or release: it must hold the current model only.
    actions = plan_actions(files, out_dir=out_dir, force=force, owned_dirs=("model",))
    if not dry_run:
        apply_actions(actions, out_dir=out_dir)
    return ScaffoldResult(chosen.name, out_dir, actions, findings + kept_findings(actions), dry_run)


def kept_findings(actions: list[FileAction]) -> list[Finding]:
    """A warning for each file left in place that the user should look at."""
    return [
        Finding("warning", "kept", f"{a.path}: {a.reason}") for a in actions if a.action == "keep"
    ]
