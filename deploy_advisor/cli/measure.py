"""Load tests: `loadtest` (one scaffold or URL) and `bench` (one scaffold on several targets)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from deploy_advisor import console
from deploy_advisor.cli import params
from deploy_advisor.cli.app import app
from deploy_advisor.cli.options import with_options

if TYPE_CHECKING:
    from deploy_advisor.loadtest.runner import LoadShape
    from deploy_advisor.loadtest.slo import Slo

__all__ = ["bench", "loadtest"]


class _Load(NamedTuple):
    """The load that `loadtest` and `bench` put on a server, and the SLOs it is judged by."""

    rate: float | None
    users: int | None
    duration: str
    ramp: str | None
    slo: str | None

    def shape(self, *, processes: int = 1, expect_workers: int = 0) -> LoadShape:
        from deploy_advisor.loadtest.runner import shape_from_flags

        return shape_from_flags(
            rate=self.rate, users=self.users, duration=self.duration, ramp=self.ramp,
            processes=processes, expect_workers=expect_workers,
        )  # fmt: skip

    def slos(self) -> list[Slo]:
        from deploy_advisor.loadtest.slo import parse_slos

        return parse_slos(self.slo) if self.slo else []


def _load_options(
    rate: params.Rate = None, users: params.Users = None, duration: params.Duration = "30s",
    ramp: params.Ramp = None, slo: params.Slo = None,
) -> _Load:  # fmt: skip
    return _Load(rate, users, duration, ramp, slo)


_with_load = with_options(_load_options, into="load")


def _finish(
    results: list[tuple[dict[str, Any], Path]], *, as_json: bool, as_list: bool = False
) -> None:
    """Print results (tables, or JSON: one object, or a list with `as_list`), then fail as the
    runs ended: 130 interrupted, 4 nothing answered, 3 no request succeeded or an SLO failed."""
    from deploy_advisor.loadtest.result import outcome_error
    from deploy_advisor.loadtest.result_tables import print_result

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
    *, directory: params.LoadScaffold = None, url: params.Url = None,
    target: params.LoadTarget = None, plan: params.LoadPlan = None, load: _Load,
    processes: params.Processes = 1, find_capacity: params.FindCapacity = False,
    payloads: params.LoadPayloads = None, out: params.RunDir = None,
    force: params.RunForce = False, json_output: params.ResultJson = False,
    master: params.Master = False, expect_workers: params.ExpectWorkers = 1,
    worker: params.Worker = None, base_image: params.BaseImage = None,
    chaos: params.Chaos = None, cold_starts: params.ColdStarts = 0,
) -> None:  # fmt: skip
    """Load-test a scaffold (launched locally) or a URL with Locust; exit 3 if an SLO fails."""
    from deploy_advisor.loadtest.session import LoadTestRequest, run_session, run_worker_session

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
        chaos=chaos, cold_starts=cold_starts,
    )  # fmt: skip
    _finish([run_session(request)], as_json=json_output)


@app.command()
@_with_load
def bench(
    *, directory: params.BenchScaffold, targets: params.BenchTargets = "local",
    plans: params.Plans = None, load: _Load, out: params.RunsParent = None,
    force: params.RunForce = False, json_output: params.ResultsJson = False,
    base_image: params.BaseImage = None,
) -> None:  # fmt: skip
    """Run the same load against each target in turn; one run directory per target."""
    from deploy_advisor.loadtest.session import (
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
