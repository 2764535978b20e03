"""Issue 16: the managed cloud targets (sagemaker, cloud-run, azure-ml) ranked beside the others.

Each scenario asserts the pick and the reason lines the user reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from deploy_advisor.advisor.catalog import Catalog
from deploy_advisor.advisor.recommend import Recommendation

from .conftest import cli

Advise = Callable[..., Recommendation]
MANAGED = ("sagemaker", "cloud-run", "azure-ml")


def target(rec: Recommendation, name: str) -> Any:
    return next(t for t in rec.targets if t.name == name)


def reason(result: Any, factor: str) -> str:
    return str(next(f.reason for f in result.factors if f.name == factor))


def test_sporadic_traffic_beginner_small_budget_gets_a_scale_to_zero_service(
    advise: Advise,
) -> None:
    rec = advise(
        {
            "traffic": {"requests_per_day": 200},
            "latency": {"p95_ms": 5000},  # an internal tool: a few seconds is fine
            "team": {"ops_skill": "beginner"},
            "budget": {"monthly_usd": 10},
        }
    )
    assert (rec.mode, rec.target, rec.plan) == ("realtime", "cloud-run", "cloud-run-1vcpu-2gib")
    assert rec.monthly_usd == 0.0  # inside Cloud Run's monthly free tier
    assert rec.bom is not None and rec.bom.scale_to_zero and rec.bom.min_instances == 0
    assert rec.chosen.reasons == [
        "$0.00/month, within the $10 budget",
        "beginner team: push an image and Google runs and scales it: no servers to run",
        "tiny load (1 req/s peak): scales to zero, billed per request",
    ]
    assert reason(rec.chosen, "latency_freshness") == (
        "scales to zero: a cold start (~2.5 s assumed) fits within p95 5000 ms"
    )
    breakdown = rec.chosen.cost.breakdown
    assert "idle time $0.00: it scales to zero between requests" in breakdown
    assert any(
        line.startswith("request fees $0.00 (0 requests beyond the free") for line in breakdown
    )
    assert any(a.startswith("cold start ~2.5 s (2 s container start") for a in rec.assumptions)
    assert any(r.startswith("lock-in: the deploy files are Cloud Run's") for r in rec.risks)
    # A budget tight enough for a cold start turns the choice: the what-if names the threshold.
    assert rec.what_if is not None and rec.what_if.best is not None
    assert rec.what_if.best.path == "latency.p95_ms" and rec.what_if.best.new < 2500


def test_sporadic_traffic_with_someone_waiting_meets_cold_starts(advise: Advise) -> None:
    rec = advise({"traffic": {"requests_per_day": 200}, "team": {"ops_skill": "beginner"}})
    sagemaker = target(rec, "sagemaker")
    serverless = [r for r in sagemaker.rejected if r.plan.kind == "serverless"]
    assert serverless and serverless[0].reason == (
        "about 50% of requests arrive after a 5-minute quiet spell and meet a cold start "
        "(~2.5 s assumed), which lands in p95 500 ms; sagemaker-serverless-1024mb keeps no "
        "instance warm (provisioned concurrency is not in the catalog)"
    )
    cloud_run = target(rec, "cloud-run")  # kept warm: one min instance, priced all month
    assert cloud_run.cost.instances == 1
    assert cloud_run.cost.monthly_usd == pytest.approx(52.60, abs=0.01)
    assert cloud_run.bom.min_instances == 1 and not cloud_run.bom.scale_to_zero


def test_team_on_aws_with_steady_load_gets_sagemaker(advise: Advise) -> None:
    rec = advise(
        {
            "cloud": {"provider": "aws"},
            "traffic": {"requests_per_day": 2_000_000, "peak_rps": 60, "pattern": "steady"},
            "latency": {"p95_ms": 200},
            "availability": 99.9,
            "budget": {"monthly_usd": 500},
        }
    )
    assert (rec.mode, rec.target) == ("realtime", "sagemaker")
    # Serverless Inference: steady traffic keeps it warm, at a fraction of two real-time instances.
    assert rec.plan == "sagemaker-serverless-1024mb"
    chosen = rec.chosen
    assert reason(chosen, "cloud") == (
        "the team already runs on AWS: account, IAM and billing carry over"
    )
    assert reason(chosen, "latency_freshness") == (
        "about 0% of requests arrive after a 5-minute quiet spell and meet a cold start "
        "(~2.5 s assumed), which stays out of p95 200 ms"
    )
    assert chosen.reasons[1] == (
        "intermediate team: a managed endpoint: AWS runs the instances, scaling and health checks"
    )
    for name in ("cloud-run", "azure-ml"):
        assert target(rec, name).ruled_out.startswith(
            f"cloud.provider is aws: the team runs on AWS, and {name} is"
        )
    # The team's cloud first for the self-run targets too: a Docker host on EC2, not Linode.
    assert target(rec, "docker").cost.plan.provider == "aws-ec2"
    assert reason(target(rec, "heroku"), "cloud") == (
        "heroku is a vendor beside AWS: another account and bill"
    )
    assert any("SageMaker Serverless takes payloads up to 4 MB" in r for r in rec.risks)
    assert any(r.startswith("lock-in: the deploy files are SageMaker's") for r in rec.risks)


def test_team_on_azure_gets_azure_ml(advise: Advise) -> None:
    rec = advise(
        {
            "cloud": {"provider": "azure"},
            "traffic": {"requests_per_day": 100_000},
            "latency": {"p95_ms": 300},
            "budget": {"monthly_usd": 500},
        }
    )
    assert (rec.mode, rec.target, rec.plan) == ("realtime", "azure-ml", "azureml-standard-ds3-v2")
    assert rec.chosen.reasons == [
        "$213.89/month, within the $500 budget",
        "the team already runs on Azure: account, IAM and billing carry over",
        "intermediate team: a managed endpoint: Azure runs the VMs, probes and rollouts",
    ]
    assert (
        rec.risks[0]
        == "A managed online endpoint keeps at least one VM running: it never scales to zero"
    )
    assert (
        "the catalog marks the price of azureml-standard-ds3-v2 as uncertain: verify it"
        in rec.risks
    )
    assert target(rec, "sagemaker").ruled_out == (
        "cloud.provider is azure: the team runs on Azure, and sagemaker is a AWS service"
    )


def test_bursty_traffic_with_a_tight_budget_rules_scale_to_zero_out(advise: Advise) -> None:
    rec = advise(
        {
            "traffic": {"requests_per_day": 300_000, "peak_rps": 80, "pattern": "bursty"},
            "latency": {"p95_ms": 150},
            "budget": {"monthly_usd": 300},
        }
    )
    cold = (
        "bursty traffic starts instances at each burst: a cold start (~2.5 s assumed) lands in "
        "p95 150 ms"
    )
    sagemaker = target(rec, "sagemaker")
    serverless = [r for r in sagemaker.rejected if r.plan.kind == "serverless"]
    assert len(serverless) == 6 and all(r.reason.startswith(cold) for r in serverless)
    assert sagemaker.cost.plan.kind == "instance"  # a real-time endpoint instead
    # Nothing that scales to zero is picked: Cloud Run only with a min instance kept warm, priced.
    assert rec.bom is not None and not rec.bom.scale_to_zero
    for t in rec.targets:
        assert t.bom is None or not t.bom.scale_to_zero
    cloud_run = target(rec, "cloud-run")
    assert cloud_run.bom.min_instances == 1
    assert reason(cloud_run, "latency_freshness") == (
        "min instances 1 kept warm: no cold start lands in p95 150 ms"
    )
    assert cloud_run.cost.breakdown[0].startswith(f"{cold}: min instances 1, kept warm all month")
    assert cloud_run.cost.monthly_usd == pytest.approx(52.60, abs=0.01)
    if rec.target == "cloud-run":
        assert rec.risks[0].startswith("the 1 min instance is billed all month, busy or idle")
        assert not any("first request after a quiet spell" in r for r in rec.risks)
    # The same traffic, steady, scales to zero for less.
    steady = advise(
        {
            "traffic": {"requests_per_day": 300_000, "peak_rps": 80},
            "latency": {"p95_ms": 150},
            "budget": {"monthly_usd": 300},
        }
    )
    assert target(steady, "cloud-run").bom.scale_to_zero
    assert target(steady, "cloud-run").cost.monthly_usd < cloud_run.cost.monthly_usd


def test_data_that_must_stay_in_one_region(advise: Advise) -> None:
    rec = advise(
        {
            "privacy": {"region": "europe-west1", "pii": True},
            "traffic": {"requests_per_day": 20_000},
            "budget": {"monthly_usd": 100},
        }
    )
    assert (rec.target, rec.bom.region) == ("cloud-run", "europe-west1")
    assert reason(rec.chosen, "privacy") == (
        "personal data on a managed platform; pick a plan in europe-west1"
    )
    assert target(rec, "azure-ml").ruled_out == (
        "the catalog lists no regions for azure-ml; the data must stay in europe-west1"
    )
    sagemaker = target(rec, "sagemaker")
    assert not sagemaker.eligible and "aws-sagemaker has no region in europe-west1" in (
        sagemaker.ruled_out
    )
    # An AWS region keeps SageMaker and rules Cloud Run out.
    aws = advise({"privacy": {"region": "eu-west-1"}, "cloud": {"provider": "aws"}})
    assert aws.target == "sagemaker" and aws.bom.region == "eu-west-1"
    assert not target(aws, "cloud-run").eligible


def test_cloud_none_keeps_to_self_run_targets(advise: Advise) -> None:
    rec = advise({"cloud": {"provider": "none"}})
    assert rec.target not in MANAGED
    for name in MANAGED:
        assert target(rec, name).ruled_out.startswith("cloud.provider is none: no managed cloud")


def test_gpu_rules_serverless_out(advise: Advise) -> None:
    rec = advise({"model": {"gpu": True}, "budget": {"monthly_usd": 1000}})
    cloud_run = target(rec, "cloud-run")
    assert cloud_run.ruled_out == "no cloud-run plan has a GPU: serverless inference is CPU only"
    sagemaker = target(rec, "sagemaker")
    assert sagemaker.cost.plan.gpu  # the real-time GPU instance
    reasons = {r.plan.name: r.reason for r in sagemaker.rejected}
    assert reasons["sagemaker-serverless-6144mb"].endswith("CPU only, no GPU")


def test_docker_is_priced_as_a_docker_host(catalog: Catalog, advise: Advise) -> None:
    plans = catalog.plans_for("docker")
    assert plans and all(p.kind in ("instance", "load_balancer") for p in plans)
    assert {p.provider for p in plans} == {"linode", "aws-ec2"}
    assert all(p.source and p.confidence for p in plans)
    docker = target(advise({}), "docker")
    assert docker.cost.plan.kind == "instance" and docker.bom.instances >= 1
    assert catalog.plan("cloud-run-1vcpu-2gib").serves("cloud-run")
    assert not catalog.plan("cloud-run-1vcpu-2gib").serves("docker")


def test_cloud_flag_sets_the_spec_and_is_validated() -> None:
    done = cli("recommend", "--cloud", "gcp", "--requests-per-day", "5000", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["spec"]["cloud"] == {"provider": "gcp"}
    assert doc["target"] == "cloud-run"
    ruled = {t["name"]: t["ruled_out"] for t in doc["targets"]}
    assert ruled["sagemaker"].startswith("cloud.provider is gcp")
    bad = cli("recommend", "--cloud", "oracle")
    assert bad.returncode == 2
    assert bad.stderr == (
        "Error: --cloud is 'oracle', which is not one of any, aws, gcp, azure or none; "
        "pick one of those\n"
    )


def test_payload_limits_are_hard_constraints(advise: Advise) -> None:
    five_mb = advise({"traffic": {"requests_per_day": 5000, "payload_kb": 5000}})
    sagemaker = target(five_mb, "sagemaker")
    rejected = {r.plan.name: r.reason for r in sagemaker.rejected}
    assert rejected["sagemaker-serverless-1024mb"] == (
        "a 5000 KB request is over the 4 MB payload limit of sagemaker-serverless-1024mb"
    )
    assert sagemaker.cost.plan.kind == "instance"  # real-time endpoints take 6 MB
    ten_mb = advise({"traffic": {"requests_per_day": 5000, "payload_kb": 10_000}})
    assert "over the 6 MB payload limit" in target(ten_mb, "sagemaker").ruled_out
    assert target(ten_mb, "cloud-run").eligible  # 32 MiB
    huge = advise({"traffic": {"requests_per_day": 5000, "payload_kb": 40_000}})
    assert target(huge, "cloud-run").ruled_out == (
        "a 40000 KB request is over the 32 MB payload limit of cloud-run-1vcpu-2gib"
    )
    assert huge.target not in ("sagemaker", "cloud-run")
