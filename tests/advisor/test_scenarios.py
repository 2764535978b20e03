"""The seed reasoning of the recommendation engine, one scenario per rule."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from deploy_advisor.advisor.catalog import Catalog
from deploy_advisor.advisor.recommend import Recommendation, recommend
from deploy_advisor.advisor.spec import spec_from_mapping
from deploy_advisor.advisor.weights import Weights
from deploy_advisor.errors import DeployAdvisorError, SpecError

Advise = Callable[..., Recommendation]


def target(rec: Recommendation, name: str) -> Any:
    return next(t for t in rec.targets if t.name == name)


def test_beginner_with_a_small_budget_gets_heroku(advise: Advise) -> None:
    small = {
        "team": {"ops_skill": "beginner"},
        "budget": {"monthly_usd": 20},
        "traffic": {"requests_per_day": 5000},
    }
    # Any cloud: Cloud Run's free tier serves 5,000 requests a day for nothing, without servers.
    managed = advise(small)
    assert (managed.target, managed.plan, managed.monthly_usd) == (
        "cloud-run", "cloud-run-1vcpu-2gib", 0.0,
    )  # fmt: skip
    assert (
        "beginner team: push an image and Google runs and scales it: no servers to run"
        in managed.chosen.reasons
    )
    # No managed cloud service: Heroku, as before.
    rec = advise({**small, "cloud": {"provider": "none"}})
    assert (rec.mode, rec.target) == ("realtime", "heroku")
    assert rec.plan == "heroku-eco"
    assert rec.monthly_usd == 5.0
    assert "beginner team: git push deploys, no servers to run" in rec.chosen.reasons
    # The catalog's Heroku limits surface as risks.
    assert any("Eco sleeps after 30 idle minutes" in r for r in rec.risks)
    assert any("router cuts requests at 30 s" in r for r in rec.risks)


def test_beginner_needing_availability_gets_a_dyno_that_does_not_sleep(advise: Advise) -> None:
    rec = advise(
        {
            "team": {"ops_skill": "beginner"},
            "budget": {"monthly_usd": 80},
            "availability": 99.9,
            "traffic": {"requests_per_day": 5000},
            "cloud": {"provider": "none"},  # any: Cloud Run's free tier (see above)
        }
    )
    assert rec.target == "heroku"
    assert rec.plan == "heroku-standard-1x"  # Eco sleeps, Basic runs one dyno
    assert rec.monthly_usd == 50.0  # two dynos for 99.9%


def test_linux_savvy_cost_sensitive_team_gets_a_vps(advise: Advise) -> None:
    rec = advise(
        {
            "team": {"ops_skill": "expert"},
            "budget": {"monthly_usd": 30},
            "traffic": {"requests_per_day": 100_000, "peak_rps": 10},
        }
    )
    assert (rec.mode, rec.target) == ("realtime", "vps")
    assert rec.plan == "nanode-1gb"
    assert rec.monthly_usd == 5.0
    assert "expert team: a Linux-savvy team runs nginx + systemd on a cheap VPS" in (
        rec.chosen.reasons
    )


def test_expert_bursty_highly_available_big_budget_gets_kubernetes(advise: Advise) -> None:
    rec = advise(
        {
            "team": {"ops_skill": "expert"},
            "budget": {"monthly_usd": 3000},
            "traffic": {"requests_per_day": 20_000_000, "peak_rps": 800, "pattern": "bursty"},
            "availability": 99.99,
        }
    )
    assert (rec.mode, rec.target) == ("realtime", "kubernetes")
    cost = rec.chosen.cost
    assert cost is not None
    assert cost.plan.kind == "node"
    assert {p.kind for p in cost.extras} == {"control_plane", "load_balancer"}
    # 99.99% uses LKE's HA control plane ($60) where the plan is an LKE node pool.
    if cost.plan.provider == "linode-lke":
        assert "lke-ha-control-plane" in [p.name for p in cost.extras]


def test_kubernetes_is_overkill_for_a_basic_app(advise: Advise) -> None:
    rec = advise({"team": {"ops_skill": "expert"}, "budget": {"monthly_usd": 3000}})
    assert rec.target != "kubernetes"
    k8s = target(rec, "kubernetes")
    assert any("overkill for a basic app" in f.reason for f in k8s.factors)


def test_intermediate_team_with_moderate_load_gets_docker(advise: Advise) -> None:
    moderate = {
        "team": {"ops_skill": "intermediate"},
        "budget": {"monthly_usd": 300},
        "traffic": {"requests_per_day": 1_000_000, "peak_rps": 50},
        "availability": 99.9,
    }
    # Without managed cloud services, a Docker host: two VMs behind a load balancer.
    rec = advise({**moderate, "cloud": {"provider": "none"}})
    assert (rec.mode, rec.target) == ("realtime", "docker")
    assert rec.chosen.cost is not None and rec.chosen.cost.plan.kind == "instance"
    # Any cloud: Cloud Run runs the container without a host to keep up, well within budget;
    # the Docker host stays the cheaper runner-up.
    managed = advise(moderate)
    assert managed.target == "cloud-run"
    docker = target(managed, "docker")
    assert docker.cost.monthly_usd < managed.monthly_usd < 300 / 3


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"connectivity": "offline"}, "connectivity is offline"),
        ({"privacy": {"on_device_only": True}}, "the data may not leave the device"),
        ({"latency": {"p95_ms": 10}}, "below a network round trip"),
    ],
)
def test_edge_is_forced(advise: Advise, data: dict[str, Any], why: str) -> None:
    rec = advise(data)
    assert (rec.mode, rec.target) == ("edge", "edge")
    assert rec.modes["realtime"].eligible is False
    assert rec.modes["batch"].eligible is False
    assert why in (rec.modes["realtime"].ruled_out or "")
    for name in ("heroku", "vps", "docker", "kubernetes"):
        t = target(rec, name)
        assert not t.eligible
        assert t.ruled_out is not None and t.ruled_out.startswith("the chosen mode is edge")
    cost = rec.chosen.cost
    assert cost is not None and cost.plan.kind == "device"
    if rec.spec.privacy.on_device_only:  # the data is on the user's own device: it runs there
        assert (cost.plan.devices, cost.monthly_usd) == ("own", 0.0)
        assert any("users' own devices" in a for a in rec.assumptions)
        return
    assert cost.monthly_usd == round(cost.plan.usd_upfront / 36, 2)  # type: ignore[operator]
    assert any("amortised over 36 months" in a for a in rec.assumptions)


def test_intermittent_network_with_someone_waiting_prefers_edge(advise: Advise) -> None:
    rec = advise({"connectivity": "intermittent", "latency": {"p95_ms": 200}})
    assert rec.mode == "edge"


def test_daily_freshness_nobody_waiting_with_batch_rows_gets_batch(advise: Advise) -> None:
    rec = advise(
        {
            "latency": {"freshness": "daily"},
            "traffic": {"requests_per_day": 0, "batch_rows": 1_000_000},
        }
    )
    assert rec.mode == "batch"
    assert rec.spec.latency.p95_ms is None  # daily + no p95 = nobody waits
    cost = rec.chosen.cost
    assert cost is not None
    # Priced per run (jobs), far below a VPS kept up for its systemd timer.
    vps = target(rec, "vps").cost
    assert vps is not None and vps.always_on_usd is not None
    assert cost.monthly_usd < vps.monthly_usd / 10
    assert vps.monthly_usd == vps.always_on_usd
    assert any("priced always on" in line for line in vps.breakdown)
    assert rec.mode_scores["batch"] > rec.mode_scores["realtime"]


def test_someone_waiting_is_never_batch(advise: Advise) -> None:
    rec = advise({"latency": {"p95_ms": 300, "freshness": "realtime"}})
    assert rec.mode == "realtime"
    assert rec.mode_scores["batch"] < rec.mode_scores["realtime"] - 0.2


def test_gpu_rules_out_heroku(advise: Advise) -> None:
    rec = advise({"model": {"gpu": True}, "budget": {"monthly_usd": 1000}})
    heroku = target(rec, "heroku")
    assert not heroku.eligible
    assert heroku.ruled_out == "no heroku plan in the catalog has a GPU"
    cost = rec.chosen.cost
    assert cost is not None and cost.plan.gpu


def test_huge_model_rules_out_small_plans(advise: Advise) -> None:
    rec = advise({"model": {"size_mb": 6000}, "budget": {"monthly_usd": 500}})
    vps = target(rec, "vps")
    rejected = {r.plan.name: r.reason for r in vps.rejected}
    assert "nanode-1gb" in rejected and "linode-4gb" in rejected
    assert rejected["nanode-1gb"].startswith("the model needs about 12,406 MB")
    assert vps.cost is not None and vps.cost.plan.memory_mb >= 12_406  # type: ignore[operator]
    heroku = target(rec, "heroku")
    assert not heroku.eligible
    assert "500 MB slug limit" in (heroku.ruled_out or "")


def test_contradictory_offline_with_a_web_sla_is_an_error() -> None:
    with pytest.raises(SpecError) as info:
        spec_from_mapping({"connectivity": "offline", "availability": 99.99})
    assert str(info.value) == (
        "contradictory inputs: connectivity offline with availability 99.99 (a web SLA an "
        "offline deployment cannot give); set availability to 99.9 or lower, or connectivity "
        "to intermittent or always"
    )


def test_nothing_fits_is_one_error(advise: Advise) -> None:
    with pytest.raises(DeployAdvisorError, match="no deployment can serve this spec"):
        advise({"connectivity": "offline", "model": {"size_mb": 100_000}})


def test_what_would_change_is_the_smallest_flip(advise: Advise) -> None:
    rec = advise(
        {
            "team": {"ops_skill": "beginner"},
            "budget": {"monthly_usd": 20},
            "traffic": {"requests_per_day": 5000},
        }
    )
    best = rec.what_if.best
    assert best is not None
    assert (best.mode, best.target) != (rec.mode, rec.target)
    for other in rec.what_if.others:
        assert other.distance >= best.distance


def test_what_if_narrows_a_number_to_its_threshold(advise: Advise) -> None:
    # Beginner on Heroku; a bigger peak eventually needs more dynos than a budget allows.
    rec = advise(
        {
            "team": {"ops_skill": "intermediate"},
            "budget": {"monthly_usd": 40},
            "traffic": {"requests_per_day": 100_000, "peak_rps": 5},
            "latency": {"p95_ms": 40},
        }
    )
    best = rec.what_if.best
    assert best is not None
    text = rec.what_if.line()
    assert text.startswith(best.path)
    assert " gives " in text


def test_measured_capacity_changes_the_instance_count(advise: Advise) -> None:
    data = {"team": {"ops_skill": "expert"}, "traffic": {"peak_rps": 150, "requests_per_day": 1e6}}
    assumed = advise(data)
    measured = advise(data, rps_per_vcpu=400)
    a, m = assumed.chosen.cost, measured.chosen.cost
    assert a is not None and m is not None
    assert m.capacity_rps is not None and a.capacity_rps is not None
    assert m.capacity_rps > a.capacity_rps
    assert any("rps" in x or "req/s" in x for x in measured.assumptions)


def _reason(result: Any, factor: str) -> str:
    return str(next(f.reason for f in result.factors if f.name == factor))


def test_reasons_describe_the_setup_that_was_priced(advise: Advise) -> None:
    rec = advise({"traffic": {"requests_per_day": 50_000, "peak_rps": 300}, "availability": 99.9})
    vps = target(rec, "vps")
    boxes = vps.cost.instances
    assert boxes > 2
    balancer = next(e.name for e in vps.cost.extras if e.kind == "load_balancer")
    assert balancer in " ".join(vps.cost.explain())  # the reason names what was priced
    assert _reason(vps, "traffic").endswith(f"{boxes} boxes behind {balancer}")
    assert _reason(vps, "availability").endswith(f"{boxes} VPSes behind {balancer}")
    cloud_run = target(advise({"availability": 99.9}), "cloud-run")
    assert cloud_run.cost.plan.kind == "serverless"
    assert _reason(cloud_run, "availability") == (
        "availability 99.9%: the platform replaces failed instances; one region"
    )
    heroku = target(rec, "heroku")
    assert heroku.cost.instances > 1
    assert "load balancing included (Heroku's router)" in heroku.cost.explain()
    assert not any("load balancer not included" in line for line in heroku.cost.explain())


def test_a_parallel_batch_job_says_so_and_its_sum_adds_up(advise: Advise) -> None:
    rec = advise(
        {
            "latency": {"freshness": "daily", "p95_ms": None},
            "traffic": {"requests_per_day": 0, "batch_rows": 2_000_000_000},
            "team": {"ops_skill": "expert"},
            "budget": {"monthly_usd": 2000},
        }
    )
    vps = target(rec, "vps")
    assert vps.cost.instances > 1
    assert _reason(vps, "traffic") == f"a scheduled job on {vps.cost.instances} machines at once"
    line = next(line for line in vps.cost.explain() if "run-hours x" in line)
    hours, rate, total = re.search(
        r"= ([\d,.]+) run-hours x \$([\d.]+)/h = \$([\d,.]+) a month", line
    ).groups()  # type: ignore[union-attr]
    assert float(hours.replace(",", "")) * float(rate) == pytest.approx(
        float(total.replace(",", "")), rel=0.01
    )


def test_equal_scores_go_to_the_cheaper_plan(catalog: Catalog, weights: Weights) -> None:
    only_the_model = Weights(modes=weights.modes, targets={"model": 1.0})  # every target ties
    spec = {"team": {"ops_skill": "beginner"}, "model": {"size_mb": 2900}}
    rec = recommend(spec_from_mapping(spec), catalog=catalog, weights=only_the_model)
    first, second = rec.targets[:2]
    assert first.score == pytest.approx(second.score)
    assert first.cost.monthly_usd < second.cost.monthly_usd
    assert rec.target == first.name
