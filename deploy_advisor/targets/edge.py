"""Edge: an ONNX bundle with a minimal runtime for a device, written through the scaffold writer."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from deploy_advisor.files import write_atomic
from deploy_advisor.lockfile import (
    LOCK_NAME,
    LOCK_VERSION,
    LockedModel,
    LockedTarball,
    ScaffoldLock,
    lock_text,
    read_lock,
)
from deploy_advisor.targets.base import (
    EdgeOptions,
    Finding,
    ScaffoldRequest,
    ScaffoldResult,
    Target,
)
from deploy_advisor.targets.code import code_on_path
from deploy_advisor.targets.registry import register
from deploy_advisor.targets.rendered import kept_findings
from deploy_advisor.targets.writer import (
    FileAction,
    GeneratedFile,
    apply_actions,
    check_conflicts,
    file_action,
    plan_actions,
    sha256,
)

if TYPE_CHECKING:
    from deploy_advisor.edge.bundle import EdgeBundle

__all__ = ["EdgeOptions", "EdgeTarget", "scaffold_edge"]


@dataclass(frozen=True)
class EdgeScaffold:
    """What `scaffold --target edge` did: the file actions (the tarball's last, its path as
    shown to the user), the tarball and the check results."""

    actions: list[FileAction]
    findings: list[Finding]
    tarball: Path


@register
class EdgeTarget(Target):
    """A device (Raspberry Pi, Jetson): ONNX model, onnxruntime-only runtime, tarball."""

    name = "edge"
    description = "Edge bundle (ONNX + minimal runtime)"
    no_gpu = "an edge bundle runs on the users' devices, not on a server's GPU"
    modes = ("edge",)

    def scaffold(self, request: ScaffoldRequest) -> ScaffoldResult:
        """Export and check the model, then write the bundle and its tarball."""
        with code_on_path(request.code):
            done = scaffold_edge(
                model=request.model, out_dir=request.out_dir, options=request.edge,
                force=request.force, dry_run=request.dry_run,
            )  # fmt: skip
        findings = done.findings + kept_findings(done.actions)
        return ScaffoldResult(self.name, request.out_dir, done.actions, findings, request.dry_run)

    def validate(self, directory: Path) -> list[Finding]:
        """The model loads, the runtime is there, and bundle.json matches the model."""
        findings: list[Finding] = []
        for needed in ("model.onnx", "edge_runtime/__main__.py", "requirements.txt"):
            if not (directory / needed).is_file():
                findings.append(Finding("error", "edge-bundle", "missing from the bundle", needed))
        if findings:
            return findings
        info = json.loads((directory / "bundle.json").read_text())
        if info["model"]["sha256"] != sha256((directory / "model.onnx").read_bytes()):
            findings.append(
                Finding("error", "edge-bundle", "model.onnx differs from bundle.json", "model.onnx")
            )
        return findings


def scaffold_edge(
    *,
    model: Path,
    out_dir: Path,
    options: EdgeOptions,
    force: bool = False,
    dry_run: bool = False,
) -> EdgeScaffold:
    """Export and check the model, then write the bundle into `out_dir` and `out_dir`.tar.gz.

    The tarball is planned like every other file (its sha256 is in the lock): one that scaffold
    did not write, or that changed since, is a conflict unless `force`."""
    from deploy_advisor.edge.bundle import prepare_bundle

    name = out_dir.resolve().name
    bundle = prepare_bundle(
        model_path=model,
        name=name,
        max_size_mb=options.max_size_mb,
        accept_drift=options.accept_drift,
        quantize_model=options.quantize,
    )
    files = {rel: GeneratedFile(content) for rel, content in bundle.files.items()}
    packed = GeneratedFile(_tarball_bytes(bundle.files, name))
    tarball = out_dir.resolve().with_name(name + ".tar.gz")
    shown = out_dir.with_name(tarball.name) if out_dir.name not in {"", ".."} else tarball
    lock = ScaffoldLock(
        version=LOCK_VERSION,
        target="edge",
        mode="edge",
        plan=None,
        model=LockedModel(
            file="model.onnx",
            format="onnx",
            n_features=bundle.export.n_features,
            sha256=bundle.model_sha256,
            load_seconds=bundle.load_seconds,
            rss_mb=None,
        ),
        files={rel: sha256(files[rel].content) for rel in sorted(files)},
        tarball=LockedTarball(file=tarball.name, sha256=sha256(packed.content)),
    )
    files[LOCK_NAME] = GeneratedFile(lock_text(lock).encode())
    previous = read_lock(out_dir)
    earlier = previous.tarball if previous else None
    locked = earlier.sha256 if earlier and earlier.file == tarball.name else None
    actions = plan_actions(files, out_dir=out_dir, force=force)
    packing = file_action(str(shown), packed, tarball, locked=locked, force=force)
    actions.append(packing)
    if not dry_run:
        check_conflicts(actions)
        apply_actions(actions[:-1], out_dir=out_dir)
        if packing.action in {"create", "overwrite"}:
            write_atomic(tarball, packed.content)
    return EdgeScaffold(actions=actions, findings=_findings(bundle), tarball=tarball)


def _tarball_bytes(files: dict[str, bytes], name: str) -> bytes:
    """The reproducible .tar.gz of the bundle, built aside so it can be compared before writing."""
    from deploy_advisor.edge.bundle import write_tarball

    with tempfile.TemporaryDirectory(prefix="da-edge-tar-") as tmp:
        path = Path(tmp) / f"{name}.tar.gz"
        write_tarball(files=files, name=name, tarball=path)
        return path.read_bytes()


def _findings(bundle: EdgeBundle) -> list[Finding]:
    """Parity, quantisation and size as info lines for the user."""
    lines = []
    if bundle.parity is None:
        lines.append("parity: not checked, the model was given as ONNX and is taken as is")
    else:
        p = bundle.parity
        verdict = "within" if p.within else "OVER, accepted with --accept-drift:"
        lines.append(
            f"parity: max abs difference {p.max_abs_diff:.3g} in {p.compared} on {p.rows} "
            f"sample rows, {verdict} tolerance {p.tolerance:g}"
        )
    q = bundle.quantization
    if q is not None and q.note:
        lines.append(f"quantisation: {q.note}; model.onnx kept unquantised")
    elif q is not None:
        kept = "used" if bundle.quantized else "not used"
        lines.append(
            f"quantisation: {q.size_before / 1e6:.3f} MB -> {q.size_after / 1e6:.3f} MB, "
            f"max abs difference {q.max_abs_diff:.3g} vs the unquantised ONNX ({kept})"
        )
    lines.append(
        f"model.onnx: {bundle.model_size_bytes / 1e6:.3f} MB, opens in "
        f"{bundle.load_seconds * 1000:.1f} ms here"
    )
    return [Finding("info", "edge", line) for line in lines]
