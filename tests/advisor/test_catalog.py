"""The price catalog: coverage, provenance of every figure, extension and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy_advisor.advisor.capacity import DEFAULT_RPS_PER_VCPU, instances_needed
from deploy_advisor.advisor.catalog import CONFIDENCE_LEVELS, Catalog, load_catalog
from deploy_advisor.advisor.costs import PlanCost, plan_cost
from deploy_advisor.advisor.spec import spec_from_mapping
from deploy_advisor.advisor.weights import load_weights
from deploy_advisor.errors import CatalogError


def test_coverage(catalog: Catalog) -> None:
    names = set(catalog.plans)
    expected = {
        # Heroku dynos
        "heroku-eco", "heroku-basic", "heroku-standard-1x", "heroku-standard-2x",
        "heroku-performance-m", "heroku-performance-l",
        # Linode shared, dedicated, GPU; LKE
        "nanode-1gb", "linode-2gb", "linode-4gb", "linode-dedicated-4gb",
        "linode-gpu-rtx4000ada-small", "lke-control-plane", "lke-ha-control-plane",
        "lke-linode-2gb",
        # AWS EC2, SageMaker real-time and serverless, EKS
        "ec2-t3-small", "ec2-m5-large", "sagemaker-ml-m5-large", "sagemaker-serverless-2048mb",
        "eks-control-plane", "eks-m5-large",
        # GKE, Cloud Run, AKS
        "gke-control-plane", "cloud-run-1vcpu-2gib", "aks-free-control-plane",
        "aks-standard-control-plane",
        # edge devices
        "raspberry-pi-5-8gb", "jetson-orin-nano-super-devkit", "coral-dev-board",
    }  # fmt: skip
    assert expected <= names
    for target in ("heroku", "vps", "docker", "kubernetes", "edge", "serverless"):
        assert catalog.plans_for(target)


def test_every_plan_carries_source_date_and_confidence(catalog: Catalog) -> None:
    for plan in catalog.plans.values():
        assert plan.source, plan.name
        assert plan.confidence.startswith(CONFIDENCE_LEVELS), plan.name
        assert plan.as_of is None or plan.as_of[:4].isdigit(), plan.name
        assert plan.provider and plan.target


@pytest.mark.parametrize(
    ("name", "per_month", "per_hour", "confidence"),
    [
        ("linode-2gb", 12, 0.018, "official-copy"),
        ("linode-dedicated-4gb", 36, 0.054, "official-copy"),
        ("heroku-basic", 7, 0.00972, "official"),
        ("heroku-standard-2x", 50, 0.0694, "official"),
        ("ec2-m5-large", 70.08, 0.096, "secondary"),
        ("sagemaker-ml-t2-medium", 40.88, 0.056, "uncertain"),
        ("eks-control-plane", 73.0, 0.10, "official"),
    ],
)
def test_figures_match_the_research(
    catalog: Catalog, name: str, per_month: float, per_hour: float, confidence: str
) -> None:
    plan = catalog.plan(name)
    assert plan.usd_per_month == per_month
    assert plan.usd_per_hour == per_hour
    assert plan.confidence == confidence


def test_heroku_publishes_no_vcpu_and_devices_are_amortised(catalog: Catalog) -> None:
    eco = catalog.plan("heroku-eco")
    assert eco.vcpu is None and eco.sizing_vcpu == 1
    pi = catalog.plan("raspberry-pi-5-8gb")
    assert pi.usd_upfront == 95 and pi.amortize_months == 36
    assert pi.usd_per_month == round(95 / 36, 2)


def test_lke_node_pools_inherit_the_linode_plan(catalog: Catalog) -> None:
    node = catalog.plan("lke-linode-4gb")
    base = catalog.plan("linode-4gb")
    assert (node.vcpu, node.memory_mb, node.usd_per_month) == (
        base.vcpu,
        base.memory_mb,
        base.usd_per_month,
    )
    assert node.target == "kubernetes" and node.min_nodes == 3


def test_risks_come_from_catalog_limits(catalog: Catalog) -> None:
    eco = catalog.plan("heroku-eco")
    assert eco.limits["sleep_after_idle_min"] == 30
    assert eco.limits["request_timeout_s"] == 30
    texts = eco.risk_texts("realtime")
    assert (
        "Heroku Eco sleeps after 30 idle minutes; the next request waits for the dyno to wake"
        in texts
    )
    assert any(t.startswith("Heroku's router cuts requests at 30 s (H12") for t in texts)
    assert not any("router" in t for t in eco.risk_texts("batch"))


def test_unknown_plan_names_close_matches(catalog: Catalog) -> None:
    with pytest.raises(CatalogError) as info:
        catalog.plan("linode-2g")
    assert "did you mean linode-2gb" in str(info.value)


def test_extend_and_replace(tmp_path: Path) -> None:
    extra = tmp_path / "mine.yaml"
    extra.write_text(
        "plans:\n"
        "  - {name: my-box, provider: home, target: vps, kind: instance, vcpu: 8,"
        " memory_mb: 32768, usd_per_month: 20, source: my invoice, confidence: official}\n"
        "  - {name: linode-2gb, provider: linode, target: vps, vcpu: 1, memory_mb: 2048,"
        " usd_per_month: 11}\n"
    )
    extended = load_catalog(extra)
    assert extended.plan("my-box").usd_per_month == 20
    assert extended.plan("linode-2gb").usd_per_month == 11  # replaced by name
    assert "heroku-eco" in extended.plans
    replaced = load_catalog(extra, replace=True)
    assert set(replaced.plans) == {"my-box", "linode-2gb"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("plans: [{name: x, provider: p, target: mars}]", "has target 'mars'; use one of"),
        ("plans: [{name: x, provider: p, target: vps, memory_mb: 1, usd_per_month: -2}]",
         "usd_per_month is -2, which is negative; use 0 or more"),
        ("plans: [{name: x, provider: p, target: vps, memory_mb: 1, usd_per_mont: 2}]",
         "has unknown key 'usd_per_mont'; did you mean 'usd_per_month'?"),
        ("plans: {a: 1}", "`plans` must be a list of plans"),
        ("prices: []", "unknown key 'prices'"),
        ("plans: [a", "is not valid YAML at line 2"),
        ("plans: [{name: x, provider: linode, target: vps, limits: 5}]",
         "plan 'x': limits is 5, which is not a mapping; write `key: value` pairs"),
        ("plans: [{name: x, provider: linode, target: vps, risks: 5}]",
         "plan 'x': risks is 5, which is not a list; write one `- item` a line"),
        ("plans: [{name: x, provider: linode, target: kubernetes, node: [a]}]",
         "plan 'x': node is ['a'], which is not a plan name"),
        ("providers: {linode: {limits: [1]}}",
         "provider 'linode': limits is [1], which is not a mapping"),
        ("plans: [{name: x, provider: p, target: vps, usd_per_month: 1, name: y}]",
         "key 'name' is given twice (both on line 1); keep one of them"),
    ],
)  # fmt: skip
def test_catalog_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text + "\n")
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_provider_in_a_file_extends_the_packaged_one(catalog: Catalog, tmp_path: Path) -> None:
    extra = tmp_path / "mine.yaml"
    extra.write_text("providers: {linode: {source: https://example.com/my-quote}}\n")
    packaged, extended = catalog.plan("linode-2gb"), load_catalog(extra).plan("linode-2gb")
    assert extended.source == "https://example.com/my-quote"
    assert (extended.as_of, extended.confidence, extended.load_balancer, extended.risks) == (
        packaged.as_of,
        packaged.confidence,
        packaged.load_balancer,
        packaged.risks,
    )


def test_missing_catalog_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="catalog file '.*nope.yaml' not found; check the path"):
        load_catalog(tmp_path / "nope.yaml")


def test_weights_override_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text("targets: {cost: 10}\n")
    weights = load_weights(path)
    assert weights.targets["cost"] == 10
    assert weights.targets["ops_skill"] == 3  # kept from the packaged file
    path.write_text("targets: {price: 1}\n")
    with pytest.raises(CatalogError, match="unknown factor targets.price"):
        load_weights(path)
    path.write_text("modes: {cost: -1}\n")
    with pytest.raises(CatalogError, match="modes.cost is -1, which is negative"):
        load_weights(path)


# --- capacity and cost -----------------------------------------------------------------------


def test_instances_needed() -> None:
    assert instances_needed(0, 100) == 1
    assert instances_needed(100, 100) == 1
    assert instances_needed(101, 100) == 2
    assert instances_needed(950, DEFAULT_RPS_PER_VCPU * 2) == 5


def test_realtime_cost_is_instances_times_price(catalog: Catalog) -> None:
    spec = spec_from_mapping({"traffic": {"peak_rps": 250, "requests_per_day": 1e6}})
    cost = plan_cost(catalog.plan("linode-4gb"), spec, "realtime", catalog)
    assert isinstance(cost, PlanCost)
    assert cost.capacity_rps == 200  # 2 vCPU x 100 req/s
    assert cost.instances == 2
    assert cost.monthly_usd == 2 * 24 + 10  # plus the NodeBalancer
    measured = plan_cost(catalog.plan("linode-4gb"), spec, "realtime", catalog, capacity_rps=50)
    assert isinstance(measured, PlanCost)
    assert (measured.instances, measured.capacity_measured) == (5, True)


def test_kubernetes_cost_adds_the_control_plane(catalog: Catalog) -> None:
    spec = spec_from_mapping({})
    eks = plan_cost(catalog.plan("eks-m5-large"), spec, "realtime", catalog)
    assert isinstance(eks, PlanCost)
    assert eks.instances == 2  # eksctl's default node group
    assert eks.monthly_usd == pytest.approx(2 * 70.08 + 73.0)


def test_batch_cost_is_run_hours(catalog: Catalog) -> None:
    spec = spec_from_mapping(
        {"latency": {"freshness": "daily"}, "traffic": {"batch_rows": 3_000_000}}
    )
    cost = plan_cost(catalog.plan("linode-4gb"), spec, "batch", catalog)
    assert isinstance(cost, PlanCost)
    # 120 s start-up + 3e6 rows / (5,000 rows/s x 2 vCPU) = 420 s, billed as 1 hour on Linode.
    assert cost.run_hours == pytest.approx(730 / 24)
    assert cost.monthly_usd == pytest.approx(730 / 24 * 0.036)
    assert cost.always_on_usd == 24
