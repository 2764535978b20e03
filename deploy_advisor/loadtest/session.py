"""What `loadtest` and `bench` do: pick the server (launch a scaffold or take a URL), run, judge."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from deploy_advisor import console
from deploy_advisor.emulate.launched import Launched
from deploy_advisor.errors import InputError
from deploy_advisor.loadtest.capacity_search import find_capacity
from deploy_advisor.loadtest.chaos import check_chaos, with_chaos
from deploy_advisor.loadtest.cold_probe import probe_cold_starts
from deploy_advisor.loadtest.local_server import launch_local
from deploy_advisor.loadtest.one_run import (
    check_run_dir,
    check_url,
    prepare_run_dir,
    run_loadtest,
)
from deploy_advisor.loadtest.payload_check import check_payloads
from deploy_advisor.loadtest.result import RunInfo, cold_start_summary, write_result
from deploy_advisor.loadtest.runner import LOCUSTFILE, LoadShape
from deploy_advisor.loadtest.slo import Slo
from deploy_advisor.lockfile import Scaffold, read_scaffold

__all__ = [
    "LoadTestRequest", "benchable_targets", "check_plan", "check_request", "check_target",
    "default_run_dir", "launcher", "parse_plans", "parse_targets", "run_bench", "run_session",
    "run_worker_session", "scaffold_for",
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
    base_image: str | None = None
    chaos: str | None = None
    cold_starts: int = 0
    """A server that scales to zero is stopped and woken this many times before the load, so
    the run measures that many cold starts (a steady load never idles long enough)."""


#: Each cold start waits for a container start and a model load.
MAX_COLD_STARTS = 20


def default_run_dir(target: str) -> Path:
    return Path("runs") / f"{target}-{datetime.now():%Y%m%d-%H%M%S}"


def launcher(
    target: str, scaffold: Scaffold, *, plan: str | None, log: Path, base_image: str | None = None
) -> AbstractContextManager[Launched]:
    """The context manager that brings `target` up locally from `scaffold` and tears it down."""
    if target == "local":
        return launch_local(scaffold, log=log)
    from deploy_advisor.targets import get_target

    return get_target(target).launch(scaffold.directory, plan=plan, base_image=base_image, log=log)


def scaffold_for(target: str, scaffold: Scaffold, *, plan: str | None, out_dir: Path) -> Scaffold:
    """`scaffold` itself when it was written for `target` (or for local runs); else the same
    model scaffolded for `target` into `out_dir`, so one `bench DIR` can run every target."""
    if target in ("local", scaffold.target):
        return scaffold
    from deploy_advisor.targets.scaffold import scaffold as write_scaffold

    wheelhouse = (scaffold.directory / "wheels").is_dir()
    console.info(f"Scaffolding {scaffold.model_path.name} for {target} in {out_dir} …")
    write_scaffold(
        model=scaffold.model_path, target=target, out_dir=out_dir, plan=plan,
        wheelhouse=wheelhouse, force=True,
    )  # fmt: skip
    return read_scaffold(out_dir)


def benchable_targets() -> list[str]:
    """`local` and every registered target that can be launched here for a load test."""
    from deploy_advisor.targets import get_target, target_names

    return ["local", *(n for n in target_names() if get_target(n).launches_locally)]


def check_target(name: str, *, flag: str = "--target") -> str:
    """`name` when it can be launched for a load test; else one line listing the valid names."""
    valid = benchable_targets()
    if name in valid:
        return name
    from deploy_advisor.targets import target_names

    choices = ", ".join(valid)
    if name in target_names():
        extra = "; measure an edge bundle with `bench-edge`" if name == "edge" else ""
        raise InputError(
            f"{flag} {name}: that target cannot be launched for a load test; use one of: "
            f"{choices}{extra}"
        )
    raise InputError(f"{flag} {name!r} is not a target; use one of: {choices}")


def parse_targets(text: str, *, flag: str = "--targets") -> list[str]:
    """`local,docker` → ["local", "docker"], each checked, repeats dropped; empty is an error."""
    names = list(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))
    if not names:
        raise InputError(f"{flag} is empty; name one or more of: {', '.join(benchable_targets())}")
    for name in names:
        check_target(name, flag=flag)
    return names


def check_plan(plan: str | None, *, named: str | None = None, target: str | None = None) -> None:
    """A named plan must be in the price catalog (the error lists close names) and, for a
    launcher that sizes the server as that plan, be one of `target`'s; `named` is how the user
    gave it, default `--plan PLAN`."""
    if plan is None:
        return
    from deploy_advisor.advisor.catalog import load_catalog
    from deploy_advisor.errors import CatalogError
    from deploy_advisor.targets import get_target, target_names
    from deploy_advisor.targets.plans import resolve_plan

    try:
        load_catalog().plan(plan)
        if target in target_names():
            chosen = get_target(target)
            resolve_plan(chosen, plan, any_target=chosen.emulates_any_plan)
    except CatalogError as exc:
        raise InputError(f"{named or f'--plan {plan}'}: {exc}") from None


@dataclass(frozen=True)
class _Checked:
    """A request whose every input was checked, before anything is written or launched."""

    target: str
    plan: str | None
    run_dir: Path
    payloads: Path
    url: str | None = None
    scaffold: Scaffold | None = None


def check_request(request: LoadTestRequest) -> _Checked:
    """Check every input of `request` (URL or scaffold, target, plan, payloads, run directory,
    capacity flags) without writing or starting anything; errors are one line, exit 2."""
    if request.url is not None and request.directory is not None:
        raise InputError("pass either a scaffold DIR or --url, not both")
    if request.url is None and request.directory is None:
        raise InputError("pass a scaffold DIR or --url URL to say where to send load")
    if request.find_capacity and (not request.slos or request.shape.rate is None):
        raise InputError("--find-capacity needs --slo and a start --rate")
    if not 0 <= request.cold_starts <= MAX_COLD_STARTS:
        raise InputError(
            f"--cold-starts {request.cold_starts} is out of range; use 0 to {MAX_COLD_STARTS}"
        )
    if request.cold_starts and request.url is not None:
        raise InputError("--cold-starts needs a scaffold DIR launched here, not --url")
    check_plan(request.plan)
    if request.url is not None:
        if request.chaos is not None:
            raise InputError("--chaos needs a scaffold DIR launched here, not --url")
        url = check_url(request.url)
        target = request.target or "url"
        from deploy_advisor.targets import target_names

        if target not in ("url", "local", *target_names()):
            raise InputError(
                f"--target {target!r} is not a target; with --url it only labels the run: "
                f"use one of: {', '.join(target_names())}"
            )
        if request.payloads is None and not Path("samples/payloads.json").is_file():
            raise InputError("--url needs --payloads PATH, a JSON list of request bodies")
        payloads = check_payloads(request.payloads or Path("samples/payloads.json"))
        run_dir = request.run_dir or default_run_dir(target)
        check_run_dir(run_dir, force=request.force)
        return _Checked(target, request.plan, run_dir, payloads, url=url)
    assert request.directory is not None
    scaffold = read_scaffold(request.directory)
    target = check_target(request.target or scaffold.target or "local")
    plan = request.plan or (scaffold.plan if target == scaffold.target else None)
    check_plan(request.plan, target=target)
    if request.payloads is not None:
        payloads = check_payloads(request.payloads)
    else:
        payloads = check_payloads(scaffold.payloads, flag=None)
    run_dir = request.run_dir or default_run_dir(target)
    check_run_dir(run_dir, force=request.force)
    if check_chaos(request.chaos, target=target) and request.find_capacity:
        raise InputError("--chaos runs one load test; drop --find-capacity")
    return _Checked(target, plan, run_dir, payloads, scaffold=scaffold)


@contextmanager
def _server(
    request: LoadTestRequest, checked: _Checked, run_dir: Path
) -> Iterator[tuple[Launched, RunInfo, Path]]:
    """Yields the server to load, what to record about it, and the locustfile."""
    if checked.url is not None:
        launched = Launched(base_url=checked.url, emulated=False, describe=checked.url)
        yield launched, RunInfo(checked.target, checked.plan, False, None, checked.url), LOCUSTFILE
        return
    assert checked.scaffold is not None
    target, plan = checked.target, checked.plan
    scaffold = scaffold_for(target, checked.scaffold, plan=plan, out_dir=run_dir / "scaffold")
    console.info(f"Starting {target} from {scaffold.directory} …")
    log = run_dir / "server.log"
    with launcher(target, scaffold, plan=plan, log=log, base_image=request.base_image) as launched:
        console.info(f"Ready: {launched.describe} at {launched.base_url}")
        plan = launched.plan or plan
        info = RunInfo(
            target,
            plan,
            launched.emulated,
            scaffold.model_path.name,
            launched.base_url,
            deployment=_deployment(target, scaffold.directory),
        )
        yield launched, info, scaffold.locustfile or LOCUSTFILE


def _deployment(target: str, scaffold: Path) -> dict[str, Any] | None:
    """What `report` needs to price the run beyond its plan, as the target reads its scaffold."""
    if target == "local":
        return None
    from deploy_advisor.targets import get_target

    return get_target(target).deployment(scaffold)


def run_session(
    request: LoadTestRequest, *, checked: _Checked | None = None
) -> tuple[dict[str, Any], Path]:
    """Run one load test (or a capacity search) and write its run directory.

    Every input is checked before the run directory is created or anything is launched."""
    checked = checked or check_request(request)
    created = not checked.run_dir.exists()
    run_dir = prepare_run_dir(checked.run_dir, force=request.force)
    try:
        return _run(request, checked, run_dir)
    except BaseException:
        if created and not any(run_dir.iterdir()):
            run_dir.rmdir()  # nothing to look at: leave no empty directory behind
        raise


def _run(request: LoadTestRequest, checked: _Checked, run_dir: Path) -> tuple[dict[str, Any], Path]:
    """Launch or reach the server, then one load test or a capacity search into `run_dir`."""
    payloads = checked.payloads
    with _server(request, checked, run_dir) as (launched, info, locustfile):
        probes = request.cold_starts  # before the first run only

        def one_run(shape: LoadShape, directory: Path, title: str) -> dict[str, Any]:
            nonlocal probes
            earlier = len(launched.cold_starts()) if launched.cold_starts else 0
            probe_cold_starts(launched, payloads=payloads, count=probes)
            probes = 0
            result = run_loadtest(
                info=info, shape=shape, slos=request.slos, run_dir=directory, payloads=payloads,
                locustfile=locustfile, live=request.live, title=title,
                server_stats=launched.stats.fresh() if launched.stats else None,
            )  # fmt: skip
            if launched.start_to_ready_s is not None:
                result["start_to_ready_s"] = round(launched.start_to_ready_s, 2)
            if launched.cold_starts is not None:  # a target that scales to zero
                result["cold_start"] = cold_start_summary(launched.cold_starts()[earlier:])
            if launched.start_to_ready_s is not None or launched.cold_starts is not None:
                write_result(directory, result)
            return result

        if request.chaos is not None:
            result = with_chaos(
                launched=launched, action=request.chaos, after_s=request.shape.duration_s / 3,
                run=lambda: one_run(request.shape, run_dir, info.target),
            )  # fmt: skip
            write_result(run_dir, result)
            chaos = result["chaos"]
            console.info(
                f"Chaos {chaos['action']}: {chaos['failed_requests']} of {chaos['requests']} "
                f"requests failed; {len(chaos['events'])} event(s) in result.json"
            )
            return result, run_dir
        if not request.find_capacity:
            return one_run(request.shape, run_dir, info.target), run_dir
        assert request.shape.rate is not None
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
    out: Path | None = None,
) -> list[tuple[dict[str, Any], Path]]:  # fmt: skip
    """The same load against each target in turn; one run directory per target under `out`
    (default: runs/bench-<time>).

    Every target's inputs (and the Docker engine, if a target needs it) are checked before the
    first run starts, so a bad name never waits for the others' load."""
    out = out or Path("runs") / f"bench-{datetime.now():%Y%m%d-%H%M%S}"
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; pass --out with a directory path")
    unknown = sorted(set(plans) - set(targets))
    if unknown:
        raise InputError(
            f"--plans names {', '.join(unknown)}, not in --targets {','.join(targets)}; "
            "add the target or drop the plan"
        )
    for target, plan in plans.items():
        check_plan(plan, named=f"--plans {target}={plan}", target=target)
    requests = []
    for target in targets:
        requests.append(replace(
            base, directory=directory, url=None, target=target, plan=plans.get(target),
            run_dir=out / target,
        ))  # fmt: skip
    checked = [check_request(request) for request in requests]
    if {"docker", "kubernetes"} & set(targets):
        from deploy_advisor.emulate.containers import docker_client

        docker_client()
    results = []
    for request, ready in zip(requests, checked, strict=True):
        results.append(run_session(request, checked=ready))
        if results[-1][0]["partial"]:
            break
    return results


def run_worker_session(
    *, master_host: str, directory: Path | None, payloads: Path | None, shape: LoadShape,
    out: Path | None,
) -> int:  # fmt: skip
    """Join a Locust master on another machine as a worker; exact samples stay in `out`."""
    from deploy_advisor.loadtest.runner import run_worker

    if payloads is not None:
        payloads = check_payloads(payloads)
    elif directory is None:
        raise InputError("--worker needs a scaffold DIR or --payloads PATH")
    else:
        payloads = check_payloads(read_scaffold(directory).payloads, flag=None)
    run_dir = out or Path("runs") / f"worker-{datetime.now():%Y%m%d-%H%M%S}"
    console.info(f"Worker of the Locust master at {master_host}; samples go to {run_dir}")
    count = run_worker(
        master_host=master_host, out_dir=run_dir, payloads=payloads, user_rate=shape.user_rate
    )
    console.success(f"worker recorded {count} requests in {run_dir}")
    return count


def parse_plans(text: str | None) -> dict[str, str]:
    """`docker=linode-2gb,heroku=heroku-basic` → {target: plan}."""
    plans: dict[str, str] = {}
    for pair in (text or "").split(","):
        if pair.strip():
            name, sep, value = pair.partition("=")
            if not sep or not value.strip() or not name.strip():
                raise InputError(
                    f"--plans entry {pair!r} must be TARGET=PLAN, e.g. docker=linode-2gb"
                )
            plans[name.strip()] = value.strip()
    return plans


def _users_for(rate: float) -> int:
    from deploy_advisor.loadtest.runner import load_shape

    return load_shape(rate=rate, users=None, duration_s=2, ramp_s=0).users
