"""`deploy-advisor quickstart`: recommend, scaffold, bench and report on the bundled example."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from deploy_advisor import console
from deploy_advisor.errors import DeployAdvisorError, InputError
from deploy_advisor.lockfile import DEFAULT_BASE_IMAGE

if TYPE_CHECKING:
    from deploy_advisor.advisor.recommend import Recommendation
    from deploy_advisor.reports.build import Report

__all__ = ["EMULATED_TARGETS", "QuickstartResult", "example_spec_text", "run_quickstart"]

#: Targets benchmarked, besides local and docker, when a Docker engine is reachable.
EMULATED_TARGETS = ("vps", "heroku", "kubernetes", "cloud-run")
_SCAFFOLDABLE = ("docker", "vps", "heroku", "kubernetes", "cloud-run")
#: Cold starts measured before the load on a target that scales to zero (Cloud Run).
COLD_STARTS = 3


@dataclass(frozen=True)
class QuickstartResult:
    """What quickstart wrote: the spec, the pick, scaffolds, run directories and the reports."""

    out_dir: Path
    spec: Path
    target: str
    plan: str | None
    scaffolds: dict[str, Path]
    runs: dict[str, Path]
    report: Report
    skipped: dict[str, DeployAdvisorError] = field(default_factory=dict)
    html: Path | None = None
    markdown: Path | None = None
    plan_notes: dict[str, str] = field(default_factory=dict)


def example_spec_text() -> str:
    """The bundled example requirements spec (also at examples/deploy-advisor.yaml in the repo)."""
    return resources.files("deploy_advisor.examples").joinpath("deploy-advisor.yaml").read_text()


def _engine_problem() -> str | None:
    """None when a Docker engine answers, else why not, in a few words."""
    try:
        from deploy_advisor.emulate.containers import docker_client

        docker_client()
    except DeployAdvisorError as exc:
        return str(exc).split(";")[0]
    return None


def _bench_plans(rec: Recommendation) -> tuple[dict[str, str], dict[str, str]]:
    """Per target, the plan to scaffold and bench, and a note where it is not the advisor's.

    The advisor's plan is used when it is billed per instance or node. A plan billed per use
    (serverless) is benched as the per-instance plan of the same vCPU and memory, which a run can
    price; without one, docker emulates the plan's own limits, a managed target (Cloud Run) runs
    the plan itself, scaled to zero and priced per use, and a plan with no size gives way to
    the target's default plan."""
    from deploy_advisor.advisor.catalog import load_catalog

    catalog = load_catalog()
    plans: dict[str, str] = {}
    notes: dict[str, str] = {}
    for result in rec.targets:
        if result.cost is None:
            continue
        pick, name = result.cost.plan, result.name
        if pick.kind in ("instance", "node"):
            plans[name] = pick.name
            continue
        size = f"{pick.vcpu:g} vCPU, {pick.memory_mb:g} MB" if pick.vcpu else None
        twin = next(
            (
                p for p in catalog.plans_for(name)
                if p.kind in ("instance", "node") and size
                and (p.vcpu, p.memory_mb) == (pick.vcpu, pick.memory_mb)
            ),
            None,
        )  # fmt: skip
        if twin is not None:
            plans[name] = twin.name
            notes[name] = (
                f"{name} is benched as {twin.name} ({size}), the size of the advisor's "
                f"{pick.name}: that plan is billed per use and a run is priced per instance"
            )
        elif name == "docker" and size:
            plans[name] = pick.name
            notes[name] = (
                f"docker is benched with the advisor's {pick.name} limits ({size}); that plan is "
                "billed per use, so the report shows no per-instance cost for it"
            )
        elif size:  # a managed target's own per-use plan (Cloud Run): emulated as it is
            plans[name] = pick.name
        else:
            notes[name] = (
                f"the advisor's {pick.name} for {name} is billed per use and has no size to "
                f"emulate; {name} is benched on its default plan"
            )
    return plans, notes


def _check_targets(targets: list[str] | None) -> None:
    """Every --targets name must be benchable (checked before anything is written)."""
    if targets is None:
        return
    from deploy_advisor.loadtest.session import benchable_targets, check_target

    if not targets:
        raise InputError(
            f"--targets is empty; name one or more of: {', '.join(benchable_targets())}"
        )
    for name in targets:
        check_target(name, flag="--targets")


def _prepare(out_dir: Path, *, force: bool) -> Path:
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} is a file; pass -o DIR with a directory path")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise InputError(f"{out_dir} is not empty; pass --force to reuse it or choose another -o")
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = out_dir / "deploy-advisor.yaml"
    spec.write_text(example_spec_text(), encoding="utf-8")
    return spec


def run_quickstart(
    *,
    out_dir: Path,
    duration_s: float = 8.0,
    base_image: str | None = None,
    targets: list[str] | None = None,
    force: bool = False,
) -> QuickstartResult:
    """Recommend, scaffold, bench each target for `duration_s` and write the HTML report."""
    from deploy_advisor.advisor.recommend import recommend
    from deploy_advisor.advisor.spec import load_spec
    from deploy_advisor.intake.example import make_example_model
    from deploy_advisor.loadtest.runner import check_duration
    from deploy_advisor.targets.scaffold import scaffold

    _check_targets(targets)
    check_duration(duration_s)
    spec_path = _prepare(out_dir, force=force)
    console.info("[1/4] recommend: the example spec (realtime churn model, peak 20 req/s)")
    spec = load_spec(spec_path)
    rec = recommend(spec, what_if=False)
    plans, plan_notes = _bench_plans(rec)
    console.success(f"advisor picks {rec.mode} on {rec.target} ({rec.plan or 'no plan'})")

    problem = _engine_problem()
    if targets is None:
        targets = ["local"] if problem else ["local", "docker", *EMULATED_TARGETS]
        if problem:
            console.warn(f"{problem}: benchmarking the local target only")
    wanted = {rec.target, "docker", *(t for t in targets if t != "local")}
    console.info("[2/4] scaffold: the example RandomForest (breast_cancer) for " + ", ".join(
        sorted(t for t in wanted if t in _SCAFFOLDABLE)))  # fmt: skip
    model = make_example_model(out_dir / "model", force=True).joblib_path
    scaffolds: dict[str, Path] = {}
    for name in sorted(t for t in wanted if t in _SCAFFOLDABLE):
        written = scaffold(
            model=model, target=name, out_dir=out_dir / "scaffolds" / name, plan=plans.get(name),
            base_image=base_image or DEFAULT_BASE_IMAGE, wheelhouse=problem is None, force=True,
        )  # fmt: skip
        scaffolds[name] = written.out_dir
        console.success(f"{name} scaffold in {written.out_dir}")

    notes = {name: note for name, note in plan_notes.items() if name in targets}
    for note in notes.values():
        console.info(note)
    runs, skipped = _bench(targets, scaffolds, plans, out_dir=out_dir, spec_p95=spec.latency.p95_ms,
                           rate=float(spec.traffic.peak_rps), duration_s=duration_s,
                           base_image=base_image)  # fmt: skip
    if not runs:
        raise _nothing_benched(skipped)
    report, html, markdown = _report(list(runs.values()), spec_path=spec_path, out_dir=out_dir)
    return QuickstartResult(
        out_dir=out_dir, spec=spec_path, target=rec.target, plan=rec.plan, scaffolds=scaffolds,
        runs=runs, report=report, skipped=skipped, html=html, markdown=markdown,
        plan_notes=notes,
    )  # fmt: skip


def _nothing_benched(skipped: dict[str, DeployAdvisorError]) -> DeployAdvisorError:
    """One line for a quickstart where every target failed, with each target's reason; the exit
    code is the first failure's (4 for an engine or launch problem)."""
    reasons = "; ".join(f"{name}: {exc}" for name, exc in skipped.items())
    first = next(iter(skipped.values()))
    return type(first)(f"every target failed, so there is nothing to report: {reasons}")


def _bench(
    targets: list[str], scaffolds: dict[str, Path], plans: dict[str, str], *, out_dir: Path,
    spec_p95: float | None, rate: float, duration_s: float, base_image: str | None,
) -> tuple[dict[str, Path], dict[str, DeployAdvisorError]]:  # fmt: skip
    """One short run per target at the spec's peak rate; targets that cannot launch are skipped."""
    from deploy_advisor.loadtest.runner import load_shape
    from deploy_advisor.loadtest.session import LoadTestRequest, run_session
    from deploy_advisor.loadtest.slo import parse_slos

    slo = f"p95<{spec_p95:g}ms" if spec_p95 else None
    shape = load_shape(
        rate=rate, users=None, duration_s=duration_s, ramp_s=min(1.0, duration_s / 4)
    )
    console.info(f"[3/4] bench: {', '.join(targets)} at {rate:g} req/s for {duration_s:g} s each")
    runs: dict[str, Path] = {}
    skipped: dict[str, DeployAdvisorError] = {}
    for name in targets:
        source = scaffolds.get(name) or scaffolds.get("docker") or next(iter(scaffolds.values()))
        run_dir = out_dir / "runs" / name
        plan = plans.get(name) if name != "local" else None
        request = LoadTestRequest(
            directory=source, url=None, target=name, plan=plan,
            shape=shape, slos=parse_slos(slo) if slo else [], slo_text=slo, run_dir=run_dir,
            force=True, live=False, base_image=base_image, cold_starts=COLD_STARTS,
        )  # fmt: skip
        try:
            result, _ = run_session(request)
        except DeployAdvisorError as exc:
            if name == "local":
                raise
            skipped[name] = exc
            console.warn(f"skipped {name}: {exc}")
            if not (run_dir / "result.json").exists():
                shutil.rmtree(run_dir, ignore_errors=True)
            continue
        runs[name] = run_dir
        if result["error"]:
            console.warn(f"{name}: {result['error']}")
            continue
        p95 = result["latency_ms"]["p95"]
        cold = result.get("cold_start") or {}
        waits = (
            f", {cold['count']} cold starts p50 {cold['p50_ms']:.0f} ms"
            if cold.get("count")
            else ""
        )
        console.success(
            f"{name}: {result['achieved_rps']:.1f} req/s, p95 {p95:.1f} ms, "
            f"{result['failures']['total']} errors of {result['requests']}{waits}"
        )
    return runs, skipped


def _report(runs: list[Path], *, spec_path: Path, out_dir: Path) -> tuple[Report, Path, Path]:
    from deploy_advisor.reports.build import build_report
    from deploy_advisor.reports.output import write_html, write_markdown

    console.info(f"[4/4] report: {len(runs)} run{'s' if len(runs) != 1 else ''}")
    report = build_report(run_dirs=runs, spec_path=spec_path)
    html = write_html(report, path=out_dir / "report.html", force=True)
    markdown = write_markdown(report, path=out_dir / "report.md", force=True)
    return report, html, markdown
