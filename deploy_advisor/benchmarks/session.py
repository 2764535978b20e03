"""What `loadtest` and `bench` do: pick the server (launch a scaffold or take a URL), run, judge."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from deploy_advisor import console
from deploy_advisor.benchmarks.capacity import find_capacity
from deploy_advisor.benchmarks.launch import Launched, launch_local
from deploy_advisor.benchmarks.loadtest import check_url, prepare_run_dir, run_loadtest
from deploy_advisor.benchmarks.result import RunInfo, write_result
from deploy_advisor.benchmarks.runner import LOCUSTFILE, LoadShape
from deploy_advisor.benchmarks.scaffold import Scaffold, read_scaffold
from deploy_advisor.benchmarks.slo import Slo
from deploy_advisor.errors import InputError, LaunchError

__all__ = [
    "LoadTestRequest", "default_run_dir", "launcher", "parse_plans", "run_bench", "run_session",
]  # fmt: skip


@dataclass(frozen=True)
class LoadTestRequest:
    """Everything one `loadtest` needs; exactly one of `directory` and `url` is set."""

    directory: Path | None
    url: str | None
    target: str | None
    plan: str | None
    shape: LoadShape
    slos: list[Slo]
    slo_text: str | None
    run_dir: Path | None
    find_capacity: bool = False
    force: bool = False
    live: bool = True
    payloads: Path | None = None


def default_run_dir(target: str) -> Path:
    return Path("runs") / f"{target}-{datetime.now():%Y%m%d-%H%M%S}"


def launcher(
    target: str, scaffold: Scaffold, *, plan: str | None, log: Path
) -> AbstractContextManager[Launched]:
    """The context manager that brings `target` up locally from `scaffold` and tears it down."""
    if target == "local":
        return launch_local(scaffold, log=log)
    try:
        from deploy_advisor.targets import get_target  # type: ignore[attr-defined]
    except ImportError as exc:
        raise LaunchError(f"launching target {target!r} needs deploy_advisor.targets") from exc
    launch = get_target(target).launch
    return launch(scaffold.directory, plan=plan)  # type: ignore[no-any-return]


@contextmanager
def _server(
    request: LoadTestRequest, run_dir: Path
) -> Iterator[tuple[Launched, RunInfo, Path, Path]]:
    """Yields the server to load, what to record about it, the payloads and the locustfile."""
    if request.url is not None:
        url = check_url(request.url)
        launched = Launched(base_url=url, emulated=False, describe=url)
        if request.directory is not None:
            raise InputError("pass either a scaffold DIR or --url, not both")
        target = request.target or "url"
        payloads = request.payloads or Path("samples/payloads.json")
        if not payloads.is_file():
            raise InputError(f"{payloads} not found; --url needs --payloads PATH (a JSON list)")
        yield launched, RunInfo(target, request.plan, False, None, url), payloads, LOCUSTFILE
        return
    if request.directory is None:
        raise InputError("pass a scaffold DIR or --url URL to say where to send load")
    scaffold = read_scaffold(request.directory)
    target = request.target or scaffold.target or "local"
    plan = request.plan or (scaffold.plan if target == scaffold.target else None)
    console.info(f"Starting {target} from {scaffold.directory} …")
    with launcher(target, scaffold, plan=plan, log=run_dir / "server.log") as launched:
        console.info(f"Ready: {launched.describe} at {launched.base_url}")
        info = RunInfo(target, plan, launched.emulated, scaffold.model_path.name, launched.base_url)
        payloads = request.payloads or scaffold.payloads
        yield launched, info, payloads, scaffold.locustfile or LOCUSTFILE


def run_session(request: LoadTestRequest) -> tuple[dict[str, Any], Path]:
    """Run one load test (or a capacity search) and write its run directory."""
    target_name = request.target or ("url" if request.url else "local")
    run_dir = prepare_run_dir(request.run_dir or default_run_dir(target_name), force=request.force)
    with _server(request, run_dir) as (launched, info, payloads, locustfile):

        def one_run(shape: LoadShape, directory: Path, title: str) -> dict[str, Any]:
            return run_loadtest(
                info=info, shape=shape, slos=request.slos, run_dir=directory, payloads=payloads,
                locustfile=locustfile, live=request.live, title=title,
                server_stats=launched.stats.fresh() if launched.stats else None,
            )  # fmt: skip

        if not request.find_capacity:
            return one_run(request.shape, run_dir, info.target), run_dir
        if not request.slos or request.shape.rate is None:
            raise InputError("--find-capacity needs --slo and a start --rate")
        count = iter(range(1, 1000))

        def step(rate: float) -> dict[str, Any]:
            shape = replace(request.shape, rate=rate, users=_users_for(rate))
            directory = run_dir / "steps" / f"{next(count):02d}-{rate:g}rps"
            directory.mkdir(parents=True)
            return one_run(shape, directory, f"{info.target} @ {rate:g} req/s")

        search = find_capacity(
            run_step=step, slo_text=request.slo_text or "", start_rate=request.shape.rate
        )
    best = search.best or search.results[0]
    result = dict(best, capacity=search.to_json())
    result["partial"] = any(r["partial"] for r in search.results)
    if search.stopped_by == "generator":
        result["warnings"] = [
            *result["warnings"],
            "capacity search stopped because the load generator became the bottleneck; "
            "the capacity is a lower bound",
        ]
    write_result(run_dir, result)
    return result, run_dir


def run_bench(
    *, directory: Path, targets: list[str], plans: dict[str, str], base: LoadTestRequest,
    out: Path,
) -> list[tuple[dict[str, Any], Path]]:  # fmt: skip
    """The same load against each target in turn; one run directory per target under `out`."""
    results = []
    for target in targets:
        run_dir = out / target
        request = replace(
            base, directory=directory, url=None, target=target, plan=plans.get(target),
            run_dir=run_dir,
        )  # fmt: skip
        results.append(run_session(request))
        if results[-1][0]["partial"]:
            break
    return results


def parse_plans(text: str | None) -> dict[str, str]:
    """`docker=linode-2gb,heroku=heroku-basic` → {target: plan}."""
    plans: dict[str, str] = {}
    for pair in (text or "").split(","):
        if pair.strip():
            name, sep, value = pair.partition("=")
            if not sep or not value.strip():
                raise InputError(
                    f"--plans entry {pair!r} must be TARGET=PLAN, e.g. docker=linode-2gb"
                )
            plans[name.strip()] = value.strip()
    return plans


def _users_for(rate: float) -> int:
    from deploy_advisor.benchmarks.runner import load_shape

    return load_shape(rate=rate, users=None, duration_s=2, ramp_s=0).users
