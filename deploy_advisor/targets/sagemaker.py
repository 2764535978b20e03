"""AWS SageMaker: a CloudFormation stack (model, endpoint config, endpoint, auto scaling)."""

from __future__ import annotations

from typing import Any

from deploy_advisor.targets.base import Finding, RenderContext
from deploy_advisor.targets.docker import dockerignore
from deploy_advisor.targets.managed import ManagedTarget, dockerfile_for, managed_values
from deploy_advisor.targets.registry import register
from deploy_advisor.targets.templating import render_template

__all__ = ["SageMakerTarget", "instance_type", "is_serverless"]

DEFAULT_INSTANCE_TYPE = "ml.m5.large"
VARIANT = "AllTraffic"
#: SageMaker's limits on one invocation (real-time; serverless takes 4 MB).
PAYLOAD_LIMIT_MB = 6
SERVERLESS_PAYLOAD_LIMIT_MB = 4
INVOCATION_TIMEOUT_S = 60
SERVERLESS_MEMORY_MB = (1024, 2048, 3072, 4096, 5120, 6144)
SERVERLESS_MAX_CONCURRENCY = 20
#: Batch Transform: the largest mini-batch of CSV lines sent to one /invocations call.
BATCH_MAX_PAYLOAD_MB = 6
MIN_INSTANCES = 1
MAX_INSTANCES = 4


def is_serverless(ctx: RenderContext) -> bool:
    """The plan is a SageMaker Serverless Inference memory size."""
    return ctx.plan.provider == "aws-sagemaker-serverless"


def instance_type(plan_name: str | None) -> str:
    """`ml.m5.large` from the plan `sagemaker-ml-m5-large`; ml.m5.large for any other plan."""
    short = (plan_name or "").removeprefix("sagemaker-")
    return short.replace("-", ".") if short.startswith("ml-") else DEFAULT_INSTANCE_TYPE


@register
class SageMakerTarget(ManagedTarget):
    """A SageMaker real-time or serverless endpoint running the scaffold's image from ECR."""

    name = "sagemaker"
    description = "AWS SageMaker endpoint (CloudFormation)"
    default_plan = "sagemaker-ml-m5-large"

    def _values(self, ctx: RenderContext) -> dict[str, Any]:
        values = managed_values(ctx)
        values.update(
            serverless=is_serverless(ctx),
            instance_type=instance_type(ctx.plan.name),
            variant=VARIANT,
            min_instances=MIN_INSTANCES,
            max_instances=MAX_INSTANCES,
            max_concurrency=SERVERLESS_MAX_CONCURRENCY,
            target_per_minute=values["target_rps"] * 60,
            image_tag=ctx.model.sha256[:12],
        )
        return values

    def render(self, ctx: RenderContext) -> dict[str, str]:
        values = self._values(ctx)
        return {
            "Dockerfile": dockerfile_for(ctx, sagemaker=True),
            ".dockerignore": dockerignore(ctx),
            "sagemaker/endpoint.yaml": render_template("sagemaker/endpoint.yaml.j2", **values),
            "deploy/deploy.sh": render_template("sagemaker/deploy.sh.j2", **values),
        }

    file_notes = (
        ("Dockerfile", "SageMaker's container contract: `serve`, port 8080, /ping, "
                       "/invocations, the model under /opt/ml/model"),
        (".dockerignore", "keeps the build context small and free of secrets"),
        ("sagemaker/endpoint.yaml", "CloudFormation: role, model, endpoint config, endpoint, "
                                    "auto scaling on invocations per instance"),
        ("deploy/deploy.sh", "builds, pushes to ECR, creates or updates the stack"),
    )  # fmt: skip

    def readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        image = f"{ctx.app_name}:{ctx.model.sha256[:12]}"
        stack = "aws cloudformation"
        where = '--region "$AWS_REGION" --stack-name ' + ctx.app_name
        return {
            "settings": (
                "- `AWS_REGION` (e.g. `export AWS_REGION=eu-west-1`) and AWS credentials from "
                "`aws configure` or `aws sso login`; nothing in these files holds a credential.\n"
                "- The account needs quota for "
                + (
                    f"a {ctx.plan.memory_mb} MB serverless endpoint"
                    if is_serverless(ctx)
                    else f"`{instance_type(ctx.plan.name)}` endpoint instances"
                )
                + "; `STACK` (default "
                f"`{ctx.app_name}`) names the CloudFormation stack and ECR repository "
                f"`{ctx.app_name}`."
            ),  # fmt: skip
            "build": f"docker build -t {image} .",
            "run": f"docker run --rm -p {ctx.app_port}:8080 {image} serve   # as SageMaker does\n"
            f"curl -fsS http://127.0.0.1:{ctx.app_port}/ping",
            "deploy": "export AWS_REGION=eu-west-1   # your region\n"
            "deploy/deploy.sh   # build, push to ECR, create or update the stack (waits)\n"
            "aws sagemaker-runtime invoke-endpoint --endpoint-name "
            f"{ctx.app_name} --content-type application/json \\\n"
            "  --body fileb://samples/first.json /dev/stdout",
            "rollback": "# an update that fails is rolled back by CloudFormation; to go back to an "
            "earlier image:\n"
            f'aws ecr list-images --repository-name {ctx.app_name} --region "$AWS_REGION"\n'
            "deploy/deploy.sh EARLIER_TAG   # redeploys that tag without rebuilding\n"
            f"# a stack stuck in UPDATE_FAILED: {stack} rollback-stack {where}",
            "delete": f"{stack} delete-stack {where}\n"
            f"{stack} wait stack-delete-complete {where}\n"
            f"aws ecr delete-repository --repository-name {ctx.app_name} --force "
            '--region "$AWS_REGION"',
            "loadtest": "# the endpoint takes only SigV4-signed requests: load-test a staging\n"
            "# endpoint with a signing client, or the image locally as above.",
        }

    def render_batch(self, ctx: RenderContext) -> dict[str, str]:
        values = self._values(ctx)
        values.update(max_payload_mb=BATCH_MAX_PAYLOAD_MB, invocation_timeout_s=3600)
        return {
            "Dockerfile": dockerfile_for(ctx, sagemaker=True),
            ".dockerignore": dockerignore(ctx),
            "sagemaker/model.yaml": render_template("sagemaker/model.yaml.j2", **values),
            "sagemaker/transform-job.json": render_template(
                "sagemaker/transform-job.json.j2", **values
            ),
            "deploy/deploy.sh": render_template("sagemaker/deploy-batch.sh.j2", **values),
        }

    batch_file_notes = (
        ("Dockerfile", "SageMaker's container contract (`serve`, /invocations takes CSV)"),
        ("sagemaker/model.yaml", "CloudFormation: the model and a role reading input/ and "
                                 "writing output/ of your bucket"),
        ("sagemaker/transform-job.json", "the Batch Transform request: SplitType Line, "
                                         "MultiRecord, MaxPayloadInMB, CSV in and out"),
        ("deploy/deploy.sh", "builds, pushes to ECR, deploys the model, runs one job"),
    )  # fmt: skip

    def batch_readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        image = f"{ctx.app_name}:{ctx.model.sha256[:12]}"
        return {
            "title": "AWS SageMaker Batch Transform",
            "how": "A Batch Transform job starts the image with `serve` and sends the CSV files "
            "under `s3://DATA_BUCKET/input/` to `/invocations` in mini-batches of whole lines "
            f"(up to {BATCH_MAX_PAYLOAD_MB} MB each, no header line); the answers, one CSV line "
            "per input line, land in `s3://DATA_BUCKET/output/JOB_NAME/` as `FILE.out`. A failed "
            "mini-batch is retried twice; the job's status names a file that failed. Instances "
            "are billed only while the job runs.",
            "build": f"docker build -t {image} .",
            "run": f"docker run --rm -p {ctx.app_port}:8080 {image} serve &\n"
            f"curl -fsS -X POST http://127.0.0.1:{ctx.app_port}/invocations "
            "-H 'Content-Type: text/csv' \\\n"
            "  -H 'Accept: text/csv' --data-binary @data/input/YOUR_FILE.csv",
            "deploy": "export AWS_REGION=eu-west-1 DATA_BUCKET=my-bucket   # yours\n"
            'aws s3 cp YOUR_FILE.csv "s3://$DATA_BUCKET/input/"   # CSV without a header\n'
            "deploy/deploy.sh   # build, push, model stack, one transform job (waits)\n"
            "# later runs: deploy/deploy.sh again (the image and stack are reused)",
            "notes": "Delete: `aws cloudformation delete-stack --stack-name "
            f'{ctx.app_name}-batch --region "$AWS_REGION"`. Schedule it with EventBridge '
            "Scheduler or a cron job running deploy/deploy.sh.",
        }

    def preflight(self, ctx: RenderContext) -> list[Finding]:
        findings = []
        if is_serverless(ctx) and ctx.plan.memory_mb not in SERVERLESS_MEMORY_MB:
            findings.append(Finding(
                "error", "sagemaker-memory",
                f"serverless memory {ctx.plan.memory_mb} MB is not one of "
                f"{', '.join(map(str, SERVERLESS_MEMORY_MB))}; pick a sagemaker-serverless plan",
            ))  # fmt: skip
        if ctx.model.predict_ms / 1000 >= 0.5 * INVOCATION_TIMEOUT_S:
            findings.append(Finding(
                "warning", "sagemaker-timeout",
                f"one prediction took {ctx.model.predict_ms / 1000:.1f} s, close to SageMaker's "
                f"{INVOCATION_TIMEOUT_S} s invocation timeout; use a batch job instead",
            ))  # fmt: skip
        return findings
