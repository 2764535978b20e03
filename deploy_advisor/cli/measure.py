"""Load tests: `loadtest` (one scaffold or URL) and `bench` (one scaffold on several targets)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from deploy_advisor import console
from deploy_advisor.cli.app import app, json_option
from deploy_advisor.cli.options import options_of, with_options

if TYPE_CHECKING:
    from deploy_advisor.benchmarks.runner import LoadShape
    from deploy_advisor.benchmarks.slo import Slo

__all__ = ["bench", "loadtest"]

_Force = Annotated[bool, typer.Option("--force", help="Replace a result already in --out.")]
_BaseImage = Annotated[
    str | None,
    typer.Option(
        "--base-image",
        envvar="DEPLOY_ADVISOR_BASE_IMAGE",
        help="Base image for docker/kubernetes builds (default python:3.11-slim).",
    ),
]


class _Load(NamedTuple):
    """The load that `loadtest` and `bench` put on a server, and the SLOs it is judged by."""

    rate: float | None
    users: int | None
    duration: str
    ramp: str | None
    slo: str | None

    def shape(self, *, processes: int = 1, expect_workers: int = 0) -> LoadShape:
        from deploy_advisor.benchmarks.runner import shape_from_flags

        return shape_from_flags(
            rate=self.rate, users=self.users, duration=self.duration, ramp=self.ramp,
            processes=processes, expect_workers=expect_workers,
        )  # fmt: skip

    def slos(self) -> list[Slo]:
        from deploy_advisor.benchmarks.slo import parse_slos

        return parse_slos(self.slo) if self.slo else []


def _load_options(
    rate: Annotated[float | None, typer.Option("--rate", help="Open loop: req/s to hold.")] = None,
    users: Annotated[
        int | None, typer.Option("--users", help="Closed loop: users that never wait.")
    ] = None,
    duration: Annotated[
        str,
        typer.Option("--duration", help="e.g. 30s or 2m (default 30s); every run stops by itself."),
    ] = "30s",
    ramp: Annotated[
        str | None, typer.Option("--ramp", help="Time to start all users (default ≤5s).")
    ] = None,
    slo: Annotated[
        str | None, typer.Option("--slo", help='e.g. "p95<200ms,p99<500ms,errors<1%".')
    ] = None,
) -> _Load:
    return _Load(rate, users, duration, ramp, slo)


_with_load = with_options("load", options_of(_load_options), _load_options)


def _finish(
    results: list[tuple[dict[str, Any], Path]], *, as_json: bool, as_list: bool = False
) -> None:
    """Print results (tables, or JSON: one object, or a list with `as_list`), then fail as the
    runs ended: 130 interrupted, 4 nothing answered, 3 no request succeeded or an SLO failed."""
    from deploy_advisor.benchmarks.render import print_result
    from deploy_advisor.benchmarks.result import outcome_error

    if as_json:
        documents = [result for result, _ in results]
        console.emit_json(documents if as_list else documents[0])
    else:
        for result, run_dir in results:
            print_result(result, run_dir=str(run_dir))
    error = outcome_error([result for result, _ in results])
    if error is not None:
        raise error


@app.command()
@_with_load
def loadtest(
    *,
    directory: Annotated[Path | None, typer.Argument(help="Scaffold to launch and load.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Load a running server.")] = None,
    target: Annotated[
        str | None, typer.Option("--target", help="local, docker, vps, heroku or kubernetes.")
    ] = None,
    plan: Annotated[
        str | None, typer.Option("--plan", help="Plan whose limits to emulate.")
    ] = None,
    load: _Load,
    processes: Annotated[int, typer.Option("--processes", help="Locust processes here.")] = 1,
    find_capacity: Annotated[
        bool,
        typer.Option("--find-capacity", help="Raise the rate from --rate until an SLO breaks."),
    ] = False,
    payloads: Annotated[
        Path | None, typer.Option("--payloads", help="JSON list of request bodies (with --url).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Run directory.")] = None,
    force: _Force = False,
    json_output: Annotated[bool, json_option("Print only the result JSON.")] = False,
    master: Annotated[
        bool, typer.Option("--master", help="Locust master for workers on other machines.")
    ] = False,
    expect_workers: Annotated[
        int, typer.Option("--expect-workers", help="Workers the master waits for.")
    ] = 1,
    worker: Annotated[
        str | None, typer.Option("--worker", help="Be a Locust worker of the master at HOST.")
    ] = None,
    base_image: _BaseImage = None,
) -> None:
    """Load-test a scaffold (launched locally) or a URL with Locust; exit 3 if an SLO fails."""
    from deploy_advisor.benchmarks.session import LoadTestRequest, run_session, run_worker_session

    shape = load.shape(processes=processes, expect_workers=expect_workers if master else 0)
    if worker is not None:
        run_worker_session(
            master_host=worker, directory=directory, payloads=payloads, shape=shape, out=out
        )
        return
    request = LoadTestRequest(
        directory=directory, url=url, target=target, plan=plan, shape=shape,
        slos=load.slos(), slo_text=load.slo, run_dir=out, find_capacity=find_capacity,
        force=force, live=not json_output, payloads=payloads, base_image=base_image,
    )  # fmt: skip
    _finish([run_session(request)], as_json=json_output)


@app.command()
@_with_load
def bench(
    *,
    directory: Annotated[Path, typer.Argument(help="Scaffold to launch on each target.")],
    targets: Annotated[str, typer.Option("--targets", help="e.g. local,docker,vps.")] = "local",
    plans: Annotated[
        str | None, typer.Option("--plans", help="TARGET=PLAN pairs, e.g. docker=linode-2gb.")
    ] = None,
    load: _Load,
    out: Annotated[Path | None, typer.Option("--out", help="Parent of the run dirs.")] = None,
    force: _Force = False,
    json_output: Annotated[
        bool, json_option("Print only a JSON list: one result per target.")
    ] = False,
    base_image: _BaseImage = None,
) -> None:
    """Run the same load against each target in turn; one run directory per target."""
    from deploy_advisor.benchmarks.session import (
        LoadTestRequest,
        parse_plans,
        parse_targets,
        run_bench,
    )

    names = parse_targets(targets)
    base = LoadTestRequest(
        directory=directory, url=None, target=None, plan=None,
        shape=load.shape(), slos=load.slos(), slo_text=load.slo, run_dir=None, force=force,
        live=not json_output, base_image=base_image,
    )  # fmt: skip
    results = run_bench(
        directory=directory, targets=names, plans=parse_plans(plans), base=base, out=out
    )
    _finish(results, as_json=json_output, as_list=True)
