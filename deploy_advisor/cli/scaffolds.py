"""Writing and checking what gets deployed: `scaffold`, `validate` and `bench-edge`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploy_advisor import console
from deploy_advisor.cli import params
from deploy_advisor.cli.app import app

if TYPE_CHECKING:
    from deploy_advisor.targets.scaffold import ScaffoldResult

__all__ = ["bench_edge", "scaffold", "validate"]


@app.command()
def scaffold(
    model: params.ScaffoldModel, out: params.ScaffoldOut, target: params.ScaffoldTarget = None,
    spec: params.ScaffoldSpec = None, plan: params.ScaffoldPlan = None,
    force: params.ScaffoldForce = False, dry_run: params.DryRun = False,
    wheelhouse: params.Wheelhouse = False, base_image: params.DockerfileBase = None,
    host: params.PublicHost = None, strict: params.Strict = False, mode: params.Mode = None,
    max_size_mb: params.MaxSizeMb = None, accept_drift: params.AcceptDrift = False,
    quantize: params.Quantize = False, code: params.ScaffoldCode = None,
    gpu: params.Gpu = False, weights: params.ScaffoldWeights = None,
) -> None:  # fmt: skip
    """Write the serving app, model, pinned requirements and target files into a directory."""
    from deploy_advisor.files import check_output_dir, output_errors
    from deploy_advisor.targets.choice import ScaffoldFlags, choose, write_choice
    from deploy_advisor.targets.code import check_code, code_on_path

    check_output_dir(out, flag="-o")
    flags = ScaffoldFlags(
        plan=plan, host_name=host, base_image=base_image, wheelhouse=wheelhouse,
        max_size_mb=max_size_mb, accept_drift=accept_drift, quantize=quantize, code=code,
        gpu=gpu, weights=weights,
    )  # fmt: skip
    with code_on_path(check_code(code)):  # the advisor may load the model to size it
        chosen = choose(target=target, mode=mode, spec=spec, flags=flags, model=model)
    for note in chosen.notes:
        console.info(note)
    with output_errors(out, flag="-o"):
        result = write_choice(
            chosen, model=model, out_dir=out, flags=flags, force=force, dry_run=dry_run,
            strict=strict,
        )  # fmt: skip
    _print_scaffold(result, mode=chosen.mode)


def _print_scaffold(result: ScaffoldResult, *, mode: str) -> None:
    """The findings, what was (or with --dry-run, would be) written, and what to do next."""
    for finding in result.findings:
        if finding.severity == "info":
            console.info(finding.message)
        else:
            console.warn(finding.message)
    counts: dict[str, int] = {}
    for action in result.actions:
        counts[action.action] = counts.get(action.action, 0) + 1
        if result.dry_run:
            why = f"  ({action.reason})" if action.action == "conflict" else ""
            console.print(f"{action.action:<10} {action.path}{why}", markup=False, soft_wrap=True)
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    out = result.out_dir
    if result.dry_run:
        console.info(f"dry run: nothing written to {out} ({summary})")
        return
    for action in result.actions:
        if action.action == "remove":
            console.info(f"removed {action.path} (the previous scaffold's, not in this one)")
    console.success(f"{result.target} scaffold ({mode}) in {out} ({summary})")
    console.info(f"next: deploy-advisor validate {out}; see {out / 'README.md'}")


@app.command()
def validate(directory: params.ScaffoldDir, as_json: params.ValidateJson = False) -> None:
    """Lint and schema-check a scaffold's files; exit 1 when any check fails."""

    from deploy_advisor.errors import CheckFailed
    from deploy_advisor.targets.validate import validate_dir

    report = validate_dir(directory=directory)
    if as_json:
        console.emit_json(report.to_dict())
    for finding in [] if as_json else report.findings:
        console.print(finding.line(), markup=False, soft_wrap=True)
    if not report.ok:
        raise CheckFailed(
            f"{len(report.errors)} check(s) failed in {directory}; see the lines above"
        )
    console.success(f"{directory}: no errors ({len(report.findings)} notes)")


@app.command("bench-edge")
def bench_edge(
    bundle: params.Bundle, cpus: params.Cpus = 0.5, memory: params.Memory = "256m",
    predictions: params.Predictions = 1000, as_json: params.EdgeJson = False,
) -> None:  # fmt: skip
    """Run an edge bundle in a container with CPU/memory limits: load time, p50/p99, memory."""
    from dataclasses import asdict

    from deploy_advisor.edge.bench import bench_edge as run_bench

    console.info(f"building the bundle image and running it with --cpus {cpus:g} --memory {memory}")
    result = run_bench(bundle=bundle, cpus=cpus, memory=memory, predictions=predictions)
    if as_json:
        console.emit_json(asdict(result))
        return
    console.print(
        f"bench-edge {bundle.name}  (--cpus {result.cpus:g}, --memory {result.memory})\n"
        f"  load time         {result.load_ms:>9.1f} ms   (import onnxruntime + open the model)\n"
        f"  latency p50       {result.p50_ms:>9.3f} ms   per one-row prediction\n"
        f"  latency p99       {result.p99_ms:>9.3f} ms   over {result.predictions:,} predictions\n"
        f"  peak memory       {result.peak_rss_mb:>9.1f} MB   (resident, VmHWM)\n"
        f"This is an {result.note}.",
        markup=False,
        soft_wrap=True,
    )
