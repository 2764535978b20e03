"""`deploy-advisor scaffold`: the chosen target writes its files (rendered, or an edge bundle)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from deploy_advisor.lockfile import DEFAULT_BASE_IMAGE
from deploy_advisor.targets.base import EdgeOptions, ScaffoldRequest, ScaffoldResult
from deploy_advisor.targets.code import check_code
from deploy_advisor.targets.registry import get_target
from deploy_advisor.targets.rendered import (
    app_name_for,
    build_context,
    kept_findings,
    lock_file,
    render_files,
    render_text_files,
)
from deploy_advisor.targets.scaffold_lock import scaffold_lock, wait_seconds

if TYPE_CHECKING:
    from deploy_advisor.advisor.bom import BillOfMaterials

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


def scaffold(
    *,
    model: Path,
    target: str,
    out_dir: Path,
    plan: str | None = None,
    mode: str = "realtime",
    base_image: str = DEFAULT_BASE_IMAGE,
    wheelhouse: bool = False,
    host_name: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    strict: bool = False,
    app_port: int = 8000,
    listen_port: int = 80,
    edge: EdgeOptions | None = None,
    code: Path | None = None,
    lock_wait_s: float | None = None,
    bom: BillOfMaterials | None = None,
    gpu: bool = False,
    weights: str | None = None,
) -> ScaffoldResult:
    """Write (or with dry_run, only plan) a scaffold of `model` for `target` into `out_dir`,
    holding the directory's scaffold lock (waiting up to `lock_wait_s`) while writing.

    `code` is the user's module or package the model imports: copied to code/ and put on the
    server's import path. `bom` is the advisor's bill of materials: rendered into the files
    and recorded in the lock. `gpu` writes a CUDA image and GPU limits for a plan with a GPU.
    `weights` "volume" mounts the model instead of copying it into the image (None: as the
    earlier scaffold in `out_dir` did, else "image")."""
    request = ScaffoldRequest(
        model=model, out_dir=out_dir, plan=plan, mode=mode, base_image=base_image,
        wheelhouse=wheelhouse, host_name=host_name, force=force, dry_run=dry_run, strict=strict,
        app_port=app_port, listen_port=listen_port, edge=edge or EdgeOptions(),
        code=check_code(code), bom=bom, gpu=gpu, weights=weights,
    )  # fmt: skip
    if dry_run:
        return get_target(target).scaffold(request)
    wait_s = wait_seconds() if lock_wait_s is None else lock_wait_s
    with scaffold_lock(out_dir, wait_s=wait_s):
        return get_target(target).scaffold(request)
