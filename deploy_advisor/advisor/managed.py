"""The managed cloud targets: which cloud each runs on, `cloud.provider`, and their lock-in.

`cloud.provider` says where the team already runs: `aws` keeps SageMaker among the managed
services, `gcp` Cloud Run, `azure` Azure ML; `none` rules every managed service out; `any` lets
them all compete. For the other targets it is a preference: plans in the team's cloud come first
(a Docker host on EC2 for an AWS team) and a plan at another vendor scores lower.
"""

from __future__ import annotations

from deploy_advisor.advisor.price_plan import PricePlan
from deploy_advisor.advisor.spec import Spec

__all__ = [
    "CLOUD_NAMES", "MANAGED_CLOUD", "cloud_block", "foreign", "lock_in", "plan_cloud",
    "prefers_a_cloud",
]  # fmt: skip

#: Each managed cloud target and the cloud it runs on.
MANAGED_CLOUD = {"sagemaker": "aws", "cloud-run": "gcp", "azure-ml": "azure"}
CLOUD_NAMES = {"aws": "AWS", "gcp": "Google Cloud", "azure": "Azure"}
_PROVIDER_PREFIXES = {"aws-": "aws", "gcp-": "gcp", "azure-": "azure"}
_LOCK_IN = {
    "sagemaker": "SageMaker's CloudFormation stack, ECR and IAM roles",
    "cloud-run": "Cloud Run's service.yaml, Artifact Registry and IAM bindings",
    "azure-ml": "Azure ML's endpoint and deployment YAML, its workspace and ACR",
}


def plan_cloud(plan: PricePlan) -> str | None:
    """aws, gcp or azure for a plan of that cloud; None for other vendors and devices."""
    return next((c for p, c in _PROVIDER_PREFIXES.items() if plan.provider.startswith(p)), None)


def prefers_a_cloud(spec: Spec) -> bool:
    """The team named its cloud (aws, gcp or azure)."""
    return spec.cloud.provider in CLOUD_NAMES


def foreign(plan: PricePlan, spec: Spec) -> bool:
    """The plan runs at a server vendor other than the team's named cloud."""
    return (
        prefers_a_cloud(spec) and plan.kind != "device" and plan_cloud(plan) != spec.cloud.provider
    )


def cloud_block(target: str, spec: Spec) -> str | None:
    """Why `cloud.provider` rules the managed target out, or None."""
    cloud = MANAGED_CLOUD.get(target)
    wanted = spec.cloud.provider
    if cloud is None or wanted in ("any", cloud):
        return None
    if wanted == "none":
        return f"cloud.provider is none: no managed cloud service ({CLOUD_NAMES[cloud]}'s {target})"
    return (
        f"cloud.provider is {wanted}: the team runs on {CLOUD_NAMES[wanted]}, and {target} is "
        f"a {CLOUD_NAMES[cloud]} service"
    )


def lock_in(target: str) -> str | None:
    """The risk line of a managed target: what ties the deployment to its cloud."""
    if target not in _LOCK_IN:
        return None
    return (
        f"lock-in: the deploy files are {_LOCK_IN[target]}; the image runs anywhere, but moving "
        "to another cloud means new deploy files, registry and permissions"
    )
