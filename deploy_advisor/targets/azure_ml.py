"""Azure ML: a managed online endpoint and a custom-container deployment, traffic by percent."""

from __future__ import annotations

import math
from typing import Any

from deploy_advisor.targets.base import RenderContext
from deploy_advisor.targets.batch import batch_values
from deploy_advisor.targets.docker import dockerignore
from deploy_advisor.targets.managed import ManagedTarget, dockerfile_for, managed_values
from deploy_advisor.targets.registry import register
from deploy_advisor.targets.templating import render_template

__all__ = ["AzureMLTarget", "instance_type"]

DEFAULT_INSTANCE_TYPE = "Standard_DS3_v2"
REQUEST_TIMEOUT_MS = 60_000
INSTANCE_COUNT = 1
_PER_WORKER = 4
#: The Azure ML compute cluster the batch deployment runs on (created by the README's command).
BATCH_COMPUTE = "cpu-cluster"


def batch_endpoint_name(app_name: str) -> str:
    """`APP-batch`, within the 32 characters a batch endpoint name may have."""
    return f"{app_name[:26].rstrip('-')}-batch"


def instance_type(plan_name: str | None) -> str:
    """`Standard_DS3_v2` from the plan `azureml-standard-ds3-v2`; DS3_v2 for any other plan."""
    short = (plan_name or "").removeprefix("azureml-")
    if not short.startswith("standard-"):
        return DEFAULT_INSTANCE_TYPE
    family, *rest = short.removeprefix("standard-").split("-")
    return "_".join(["Standard", family.upper(), *rest])


@register
class AzureMLTarget(ManagedTarget):
    """An Azure ML managed online endpoint running the scaffold's image from ACR."""

    name = "azure-ml"
    description = "Azure ML managed online endpoint (endpoint.yml, deployment.yml)"
    default_plan = "azureml-standard-ds3-v2"

    def _values(self, ctx: RenderContext) -> dict[str, Any]:
        values = managed_values(ctx)
        values.update(
            instance_type=instance_type(ctx.plan.name),
            instance_count=INSTANCE_COUNT,
            concurrency=_PER_WORKER * ctx.workers,
            request_timeout_ms=REQUEST_TIMEOUT_MS,
            startup_failures=math.ceil(values["startup_budget_s"] / 5),
            image_tag=ctx.model.sha256[:12],
        )
        return values

    def render(self, ctx: RenderContext) -> dict[str, str]:
        values = self._values(ctx)
        return {
            "Dockerfile": dockerfile_for(ctx),
            ".dockerignore": dockerignore(ctx),
            "azure-ml/endpoint.yml": render_template("azure_ml/endpoint.yml.j2", **values),
            "azure-ml/deployment.yml": render_template("azure_ml/deployment.yml.j2", **values),
            "deploy/deploy.sh": render_template("azure_ml/deploy.sh.j2", **values),
        }

    file_notes = (
        ("Dockerfile", "non-root image listening on 8080"),
        (".dockerignore", "keeps the build context small and free of secrets"),
        ("azure-ml/endpoint.yml", "the managed online endpoint (key auth)"),
        ("azure-ml/deployment.yml", "custom container: routes, instance type and count, "
                                    "request settings, probes"),
        ("deploy/deploy.sh", "builds, pushes to ACR, creates or updates the deployment"),
    )  # fmt: skip

    def readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        image = f"{ctx.app_name}:{ctx.model.sha256[:12]}"
        ml = '--resource-group "$RESOURCE_GROUP" --workspace-name "$WORKSPACE"'
        endpoint = f"az ml online-endpoint update --name {ctx.app_name} {ml}"
        return {
            "settings": (
                "- `RESOURCE_GROUP` and `WORKSPACE` (the Azure ML workspace), `REGISTRY` (an "
                "Azure Container Registry the workspace can pull from); `az login` signs you "
                "in; nothing in these files holds a credential.\n"
                f"- Quota for `{instance_type(ctx.plan.name)}` in the workspace's region. The "
                f"endpoint name `{ctx.app_name}` must be unique in the region: change `name` "
                "in azure-ml/endpoint.yml and `endpoint_name` in azure-ml/deployment.yml."
            ),
            "build": f"docker build -t {image} .",
            "run": f"docker run --rm -p {ctx.app_port}:8080 {image}",
            "deploy": "export RESOURCE_GROUP=my-rg WORKSPACE=my-ws REGISTRY=myregistry   # yours\n"
            "deploy/deploy.sh   # build, push, create endpoint and deployment `blue`\n"
            "# a new version beside it, then shift traffic step by step:\n"
            "DEPLOYMENT=green deploy/deploy.sh NEW_TAG\n"
            f'{endpoint} --traffic "blue=90 green=10"\n'
            f'{endpoint} --traffic "blue=0 green=100"\n'
            f"az ml online-deployment delete --name blue --endpoint-name {ctx.app_name} {ml} --yes",
            "rollback": f'{endpoint} --traffic "blue=100 green=0"   # all traffic back to blue\n'
            f"az ml online-deployment delete --name green --endpoint-name {ctx.app_name} {ml} "
            "--yes",
            "delete": f"az ml online-endpoint delete --name {ctx.app_name} {ml} --yes",
            "loadtest": "# the deployed endpoint (send the key as a Bearer token):\n"
            f"az ml online-endpoint get-credentials --name {ctx.app_name} {ml}\n"
            f"az ml online-endpoint invoke --name {ctx.app_name} {ml} "
            "--request-file samples/first.json",
        }

    def render_batch(self, ctx: RenderContext) -> dict[str, str]:
        values = batch_values(ctx)
        values.update(
            endpoint_name=batch_endpoint_name(ctx.app_name), compute=BATCH_COMPUTE,
            python_version=ctx.python_version, requirements=ctx.requirements,
        )  # fmt: skip
        return {
            "azure-ml/batch-endpoint.yml": render_template(
                "azure_ml/batch-endpoint.yml.j2", **values
            ),
            "azure-ml/batch-deployment.yml": render_template(
                "azure_ml/batch-deployment.yml.j2", **values
            ),
            "azure-ml/conda.yaml": render_template("azure_ml/conda.yaml.j2", **values),
            "azure-ml/batch_driver.py": render_template("azure_ml/batch_driver.py.j2", **values),
        }

    batch_file_notes = (
        ("azure-ml/batch-endpoint.yml", "the batch endpoint"),
        ("azure-ml/batch-deployment.yml", "model, driver, environment, compute cluster, "
                                          "one file per mini-batch, retries"),
        ("azure-ml/conda.yaml", "the environment: Python and the pinned requirements"),
        ("azure-ml/batch_driver.py", "init()/run(): scores each file with model_server"),
    )  # fmt: skip

    def batch_readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        ml = '--resource-group "$RESOURCE_GROUP" --workspace-name "$WORKSPACE"'
        name = batch_endpoint_name(ctx.app_name)
        return {
            "title": "Azure ML batch endpoint",
            "build": "# Azure ML builds the environment from azure-ml/conda.yaml on the first "
            "deployment",
            "run": "mkdir -p data/output\n"
            "AZUREML_BI_OUTPUT_PATH=data/output .venv/bin/python -c \\\n"
            "  \"import sys; sys.path.insert(0, 'azure-ml'); import batch_driver as d; "
            "d.init(); print(d.run(['YOUR_FILE.csv']))\"",
            "deploy": "export RESOURCE_GROUP=my-rg WORKSPACE=my-ws   # yours\n"
            f"az ml compute create --name {BATCH_COMPUTE} --type amlcompute --min-instances 0 "
            f"--max-instances 1 {ml}\n"
            f"az ml batch-endpoint create --file azure-ml/batch-endpoint.yml {ml}\n"
            f"az ml batch-deployment create --file azure-ml/batch-deployment.yml "
            f"--set-default {ml}\n"
            f"az ml batch-endpoint invoke --name {name} --input YOUR_DATA_FOLDER "
            f"--input-type uri_folder {ml}",
            "notes": f"Delete: `az ml batch-endpoint delete --name {name} {ml} --yes`. The "
            f"cluster `{BATCH_COMPUTE}` scales to zero between jobs. Each input file's "
            "predictions land in its own folder of the job's output.",
        }
