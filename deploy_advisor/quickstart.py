"""`deploy-advisor quickstart`: recommend, scaffold, bench and report on the bundled example."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from deploy_advisor import console
from deploy_advisor.errors import DeployAdvisorError, InputError

if TYPE_CHECKING:
    from deploy_advisor.advisor.recommend import Recommendation

__all__ = ["EMULATED_TARGETS", "QuickstartResult", "example_spec_text", "run_quickstart"]

#: Targets benchmarked, besides local and docker, when a Docker engine is reachable.
EMULATED_TARGETS = ("vps", "heroku", "kubernetes")
_SCAFFOLDABLE = ("docker", "vps", "heroku", "kubernetes")


@dataclass(frozen=True)
class QuickstartResult:
    """What quickstart wrote: the spec, the pick, scaffolds, run directories and the reports."""

    out_dir: Path
    spec: Path
    target: str
    plan: str | None
    scaffolds: dict[str, Path]
    runs: dict[str, Path]
    skipped: dict[str, str] = field(default_factory=dict)
    html: Path | None = None
    markdown: Path | None = None


def example_spec_text() -> str:
    """The bundled example requirements spec (also at examples/deploy-advisor.yaml in the repo)."""
    return resources.files("deploy_advisor.examples").joinpath("deploy-advisor.yaml").read_text()


def _engine_problem() -> str | None:
    """None when a Docker engine answers, else why not, in a few words."""
    try:
        from deploy_advisor.benchmarks.containers import docker_client

        docker_client()
    except DeployAdvisorError as exc:
        return str(exc).split(";")[0]
    return None


def _instance_plans(rec: Recommendation) -> dict[str, str]:
    """Per target, the advisor's cheapest fitting plan billed per instance (priceable by a run)."""
    plans: dict[str, str] = {}
    for result in rec.targets:
        costs = [result.cost, *result.alternatives] if result.cost else []
        for cost in costs:
            if cost.plan.kind in ("instance", "node"):
                plans[result.name] = cost.plan.name
                break
    return plans


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
    from deploy_advisor.targets.scaffold import scaffold

    spec_path = _prepare(out_dir, force=force)
    console.info("[1/4] recommend: the example spec (realtime churn model, peak 20 req/s)")
    spec = load_spec(spec_path)
    rec = recommend(spec, what_if=False)
    plans = _instance_plans(rec)
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
            base_image=base_image or "python:3.11-slim", wheelhouse=problem is None, force=True,
        )  # fmt: skip
        scaffolds[name] = written.out_dir
        console.success(f"{name} scaffold in {written.out_dir}")

    runs, skipped = _bench(targets, scaffolds, plans, out_dir=out_dir, spec_p95=spec.latency.p95_ms,
                           rate=float(spec.traffic.peak_rps), duration_s=duration_s,
                           base_image=base_image)  # fmt: skip
    html, markdown = _report(list(runs.values()), spec_path=spec_path, out_dir=out_dir)
    return QuickstartResult(
        out_dir=out_dir, spec=spec_path, target=rec.target, plan=rec.plan, scaffolds=scaffolds,
        runs=runs, skipped=skipped, html=html, markdown=markdown,
    )  # fmt: skip


def _bench(
    targets: list[str], scaffolds: dict[str, Path], plans: dict[str, str], *, out_dir: Path,
    spec_p95: float | None, rate: float, duration_s: float, base_image: str | None,
) -> tuple[dict[str, Path], dict[str, str]]:  # fmt: skip
    """One short run per target at the spec's peak rate; targets that cannot launch are skipped."""
    from deploy_advisor.benchmarks.runner import load_shape
    from deploy_advisor.benchmarks.session import LoadTestRequest, run_session
    from deploy_advisor.benchmarks.slo import parse_slos

    slo = f"p95<{spec_p95:g}ms" if spec_p95 else None
    shape = load_shape(
        rate=rate, users=None, duration_s=duration_s, ramp_s=min(1.0, duration_s / 4)
    )
    console.info(f"[3/4] bench: {', '.join(targets)} at {rate:g} req/s for {duration_s:g} s each")
    runs: dict[str, Path] = {}
    skipped: dict[str, str] = {}
    for name in targets:
        source = scaffolds.get(name) or scaffolds.get("docker") or next(iter(scaffolds.values()))
        run_dir = out_dir / "runs" / name
        plan = plans.get(name) if name != "local" else None
        request = LoadTestRequest(
            directory=source, url=None, target=name, plan=plan,
            shape=shape, slos=parse_slos(slo) if slo else [], slo_text=slo, run_dir=run_dir,
            force=True, live=False, base_image=base_image,
        )  # fmt: skip
        try:
            result, _ = run_session(request)
        except DeployAdvisorError as exc:
            if name == "local":
                raise
            skipped[name] = str(exc)
            console.warn(f"skipped {name}: {exc}")
            if not (run_dir / "result.json").exists():
                shutil.rmtree(run_dir, ignore_errors=True)
            continue
        runs[name] = run_dir
        p95 = result["latency_ms"]["p95"]
        console.success(
            f"{name}: {result['achieved_rps']:.1f} req/s, p95 {p95:.1f} ms, "
            f"{result['failures']['total']} errors of {result['requests']}"
        )
    return runs, skipped


def _report(runs: list[Path], *, spec_path: Path, out_dir: Path) -> tuple[Path, Path]:
    from deploy_advisor.reports.build import build_report
    from deploy_advisor.reports.html import GENERATOR, render_html
    from deploy_advisor.reports.markdown import MARKER, render_markdown
    from deploy_advisor.reports.output import write_report_file

    console.info(f"[4/4] report: {len(runs)} run{'s' if len(runs) != 1 else ''}")
    report = build_report(run_dirs=runs, spec_path=spec_path)
    html = write_report_file(
        path=out_dir / "report.html", text=render_html(report), marker=GENERATOR, force=True
    )
    markdown = write_report_file(
        path=out_dir / "report.md", text=render_markdown(report), marker=MARKER, force=True
    )
    return html, markdown
