"""sagemaker, cloud-run, azure-ml: scaffolds, SageMaker's container contract on a real image."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from deploy_advisor.targets.azure_ml import instance_type as azure_instance_type
from deploy_advisor.targets.cloud_run import memory_limit
from deploy_advisor.targets.sagemaker import instance_type as sagemaker_instance_type
from tests.conftest import BASE_IMAGE
from tests.targets.conftest import run_cli
from tests.targets.serving import served_image, wait_for

MANAGED = ["sagemaker", "cloud-run", "azure-ml"]
# Words that would mean a credential was written into a file.
SECRET = re.compile(
    r"aws_secret_access_key|AKIA[0-9A-Z]{16}|client_secret|password\s*[:=]|BEGIN [A-Z ]*PRIVATE",
    re.IGNORECASE,
)


@pytest.mark.parametrize("target", MANAGED)
def test_scaffold_writes_readme_with_every_command_and_no_credential(
    target: str, scaffolded: Callable[..., Path]
) -> None:
    out = scaffolded(target)
    readme = (out / "README.md").read_text()
    for section in ("## What you must set", "## Build", "## Deploy", "## Roll back",
                    "## Delete", "## Load-test"):  # fmt: skip
        assert section in readme, f"{target} README lacks {section}"
    lock = json.loads((out / "deploy-advisor.lock.json").read_text())
    assert lock["target"] == target
    for rel in lock["files"]:
        if rel.startswith(("model/", "wheels/")):
            continue
        text = (out / rel).read_text(errors="replace")
        assert not SECRET.search(text), f"{rel} holds a credential: {SECRET.search(text)}"


def test_sagemaker_stack_has_model_config_endpoint_and_target_tracking(
    scaffolded: Callable[..., Path],
) -> None:
    out = scaffolded("sagemaker")

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: f"!{suffix}")
    stack = yaml.load((out / "sagemaker" / "endpoint.yaml").read_text(), Loader=Loader)  # noqa: S506
    kinds = {r["Type"] for r in stack["Resources"].values()}
    assert {
        "AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint",
        "AWS::ApplicationAutoScaling::ScalableTarget", "AWS::ApplicationAutoScaling::ScalingPolicy",
    } <= kinds  # fmt: skip
    policy = stack["Resources"]["ScalingPolicy"]["Properties"]
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    metric = tracking["PredefinedMetricSpecification"]["PredefinedMetricType"]
    assert metric == "SageMakerVariantInvocationsPerInstance"
    assert tracking["TargetValue"] >= 1
    assert stack["Parameters"]["InstanceType"]["Default"] == "ml.m5.large"


def test_sagemaker_serverless_plan_writes_a_serverless_variant(
    scaffolded: Callable[..., Path],
) -> None:
    out = scaffolded("sagemaker", plan="sagemaker-serverless-3072mb")
    text = (out / "sagemaker" / "endpoint.yaml").read_text()
    assert "MemorySizeInMB: 3072" in text
    assert "MaxConcurrency:" in text
    assert "InstanceType" not in text
    assert "ScalingPolicy" not in text


def test_cloud_run_service_and_azure_deployment_are_sized_from_the_plan(
    scaffolded: Callable[..., Path],
) -> None:
    service = yaml.safe_load((scaffolded("cloud-run") / "cloud-run" / "service.yaml").read_text())
    template = service["spec"]["template"]
    assert template["metadata"]["annotations"]["autoscaling.knative.dev/minScale"] == "0"
    assert template["spec"]["containers"][0]["resources"]["limits"] == {
        "cpu": "1", "memory": "2Gi"
    }  # fmt: skip
    deployment = yaml.safe_load(
        (scaffolded("azure-ml") / "azure-ml" / "deployment.yml").read_text()
    )
    assert deployment["instance_type"] == "Standard_DS3_v2"
    routes = deployment["environment"]["inference_config"]
    assert {r["port"] for r in routes.values()} == {8080}
    assert routes["scoring_route"]["path"] == "/predict"


def test_names_follow_the_vendors_spelling() -> None:
    assert sagemaker_instance_type("sagemaker-ml-g4dn-xlarge") == "ml.g4dn.xlarge"
    assert sagemaker_instance_type("linode-2gb") == "ml.m5.large"
    assert azure_instance_type("azureml-standard-ds3-v2") == "Standard_DS3_v2"
    assert memory_limit(2048) == "2Gi"
    assert memory_limit(1536) == "1536Mi"


def test_a_plan_of_another_target_is_refused(example_model: Path, tmp_path: Path) -> None:
    done = run_cli(
        "scaffold", "--model", str(example_model), "--target", "cloud-run",
        "--plan", "heroku-basic", "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("Error: ")
    assert "heroku-basic" in done.stderr


@pytest.mark.docker
@pytest.mark.slow
def test_sagemaker_image_follows_the_container_contract(
    scaffolded: Callable[..., Path], docker_client: object
) -> None:
    """`docker run IMAGE serve` as SageMaker does: port 8080, /ping, /invocations, /opt/ml/model."""
    import docker

    client: docker.DockerClient = docker_client  # type: ignore[assignment]
    out = scaffolded("sagemaker", wheelhouse=True, base_image=BASE_IMAGE)
    serving = served_image(client, out, "wave2-cloud16-sagemaker", port=8080, command=["serve"])
    with serving as (container, base_url):
        wait_for(f"{base_url}/ping", timeout=90)
        body = (out / "samples" / "first.json").read_bytes()
        request = urllib.request.Request(
            f"{base_url}/invocations", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
        rows = len(json.loads(body)["instances"])
        assert len(answer["predictions"]) == rows
        listing = container.exec_run(["ls", "/opt/ml/model"]).output.decode().split()
        assert listing == ["model.joblib"]


@pytest.mark.docker
@pytest.mark.slow
def test_sagemaker_batch_image_answers_a_csv_mini_batch_line_for_line(
    scaffolded: Callable[..., Path], docker_client: object
) -> None:
    """What Batch Transform sends with SplitType Line and MultiRecord: CSV lines, no header."""
    import docker

    client: docker.DockerClient = docker_client  # type: ignore[assignment]
    out = scaffolded("sagemaker", mode="batch", wheelhouse=True, base_image=BASE_IMAGE)
    request = json.loads((out / "sagemaker" / "transform-job.json").read_text())
    assert request["TransformInput"]["SplitType"] == "Line"
    assert request["BatchStrategy"] == "MultiRecord"
    n_features = json.loads((out / "deploy-advisor.lock.json").read_text())["model"]["n_features"]
    rows = [",".join(str((r * 3 + i) % 7 / 7) for i in range(n_features)) for r in range(40)]
    serving = served_image(client, out, "wave2-cloud16-transform", port=8080, command=["serve"])
    with serving as (_, base_url):
        wait_for(f"{base_url}/ping", timeout=90)
        call = urllib.request.Request(
            f"{base_url}/invocations", data=("\n".join(rows) + "\n").encode(),
            headers={"Content-Type": "text/csv", "Accept": "text/csv"},
        )  # fmt: skip
        with urllib.request.urlopen(call, timeout=30) as response:
            lines = response.read().decode().splitlines()
        assert len(lines) == len(rows)
