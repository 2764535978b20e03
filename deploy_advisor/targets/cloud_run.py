"""Google Cloud Run: a Knative service.yaml, deployed with `gcloud run services replace`."""

from __future__ import annotations

import math
from typing import Any

from deploy_advisor.targets.base import Finding, RenderContext
from deploy_advisor.targets.batch import batch_values
from deploy_advisor.targets.docker import dockerignore
from deploy_advisor.targets.managed import ManagedTarget, dockerfile_for, managed_values
from deploy_advisor.targets.registry import register
from deploy_advisor.targets.templating import render_template

__all__ = ["CloudRunTarget", "memory_limit"]

#: Cloud Run's limit on a request body (HTTP/1).
PAYLOAD_LIMIT_MB = 32
REQUEST_TIMEOUT_S = 60
MIN_INSTANCES = 0
MAX_INSTANCES = 10
# Requests one worker holds at once: one running, the rest queued inside the server.
_PER_WORKER = 4
SCHEDULE = "0 2 * * *"


def memory_limit(memory_mb: int) -> str:
    """Cloud Run's memory string: `2Gi` for 2048 MB, `512Mi` below 1 GiB or off the GiB."""
    return f"{memory_mb // 1024}Gi" if memory_mb % 1024 == 0 else f"{memory_mb}Mi"


def _warm_instances(ctx: RenderContext) -> int:
    """The min instances the advisor priced warm (cold starts would break p95), else 0."""
    bom = ctx.bom
    if bom is None or bom.mode != "realtime" or bom.scale_to_zero:
        return MIN_INSTANCES
    return bom.min_instances


@register
class CloudRunTarget(ManagedTarget):
    """A Cloud Run service running the scaffold's image from Artifact Registry."""

    name = "cloud-run"
    description = "Google Cloud Run service (service.yaml)"
    no_gpu = "a serverless Cloud Run service is priced and written without a GPU"
    default_plan = "cloud-run-1vcpu-2gib"

    def _values(self, ctx: RenderContext) -> dict[str, Any]:
        values = managed_values(ctx)
        warm = _warm_instances(ctx)
        values.update(
            min_instances=warm,
            max_instances=max(MAX_INSTANCES, warm),
            cpu_throttling=warm == 0,
            concurrency=_PER_WORKER * ctx.workers,
            timeout_s=REQUEST_TIMEOUT_S,
            memory=memory_limit(ctx.plan.memory_mb),
            startup_failures=math.ceil(values["startup_budget_s"] / 2),
            image_tag=ctx.model.sha256[:12],
        )
        return values

    def render(self, ctx: RenderContext) -> dict[str, str]:
        values = self._values(ctx)
        return {
            "Dockerfile": dockerfile_for(ctx),
            ".dockerignore": dockerignore(ctx),
            "cloud-run/service.yaml": render_template("cloud_run/service.yaml.j2", **values),
            "deploy/deploy.sh": render_template("cloud_run/deploy.sh.j2", **values),
        }

    file_notes = (
        ("Dockerfile", "non-root image listening on $PORT (8080 on Cloud Run)"),
        (".dockerignore", "keeps the build context small and free of secrets"),
        ("cloud-run/service.yaml", "Knative service: concurrency, CPU and memory limits, "
                                   "min/max instances, startup probe, CPU boost"),
        ("deploy/deploy.sh", "builds, pushes to Artifact Registry, replaces the service"),
    )  # fmt: skip

    def readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        image = f"{ctx.app_name}:{ctx.model.sha256[:12]}"
        where = '--project "$PROJECT" --region "$REGION"'
        return {
            "settings": (
                "- `PROJECT` (your Google Cloud project id) and `REGION` (e.g. `europe-west1`); "
                "`gcloud auth login` signs you in; nothing in these files holds a credential.\n"
                f"- `REPOSITORY`: the Artifact Registry repository (default `{ctx.app_name}`, "
                "created on the first deploy)."
            ),
            "build": f"docker build -t {image} .",
            "run": f"docker run --rm -p {ctx.app_port}:8080 -e PORT=8080 {image}",
            "deploy": "export PROJECT=my-project REGION=europe-west1   # yours\n"
            "deploy/deploy.sh   # build, push, gcloud run services replace\n"
            "# the service is private: give callers roles/run.invoker, or for a public API\n"
            f"# gcloud run services add-iam-policy-binding {ctx.app_name} {where} "
            "--member=allUsers --role=roles/run.invoker",
            "rollback": f"gcloud run revisions list --service {ctx.app_name} {where}\n"
            f"gcloud run services update-traffic {ctx.app_name} {where} --to-revisions "
            "REVISION=100",
            "delete": f"gcloud run services delete {ctx.app_name} {where}\n"
            f'gcloud artifacts repositories delete "${{REPOSITORY:-{ctx.app_name}}}" '
            '--project "$PROJECT" --location "$REGION"',
            "loadtest": "# the deployed service (an identity token for a private one):\n"
            'URL="$(gcloud run services describe '
            f"{ctx.app_name} {where} --format 'value(status.url)')\"\n"
            "locust -f locustfile.py --headless --users 16 --spawn-rate 4 --run-time 30s "
            '--host "$URL"',
        }

    def render_batch(self, ctx: RenderContext) -> dict[str, str]:
        values = batch_values(ctx)
        values.update(memory=memory_limit(ctx.plan.memory_mb), image_tag=ctx.model.sha256[:12])
        return {
            "Dockerfile": render_template("batch/Dockerfile.j2", **values),
            ".dockerignore": dockerignore(ctx),
            "cloud-run/job.yaml": render_template("cloud_run/job.yaml.j2", **values),
            "deploy/deploy.sh": render_template("cloud_run/deploy-job.sh.j2", **values),
        }

    batch_file_notes = (
        ("Dockerfile", "image whose command runs the scorer on /data/input"),
        ("cloud-run/job.yaml", "Cloud Run job: the bucket mounted at /data, one output "
                               "directory per execution, retries, timeout, limits"),
        ("deploy/deploy.sh", "builds, pushes to Artifact Registry, replaces the job"),
    )  # fmt: skip

    def batch_readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        image = f"{ctx.app_name}-score:{ctx.model.sha256[:12]}"
        where = '--project "$PROJECT" --region "$REGION"'
        job = f"{ctx.app_name}-score"
        api = f"https://run.googleapis.com/v2/projects/$PROJECT/locations/$REGION/jobs/{job}:run"
        return {
            "title": "Google Cloud Run (job)",
            "build": f"docker build -t {image} .",
            "run": "mkdir -p data/input data/output && cp YOUR_FILES.csv data/input/\n"
            f'docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/data:/data" {image} \\\n'
            "  python -m model_server.score --output /data/output/$(date +%F)",
            "deploy": "export PROJECT=my-project REGION=europe-west1 BUCKET=my-bucket   # yours\n"
            'gcloud storage cp YOUR_FILES.csv "gs://$BUCKET/input/"\n'
            "deploy/deploy.sh   # build, push, gcloud run jobs replace\n"
            f"gcloud run jobs execute {job} {where} --wait   # -> gs://$BUCKET/output/EXECUTION/\n"
            "# daily at 02:00: Cloud Scheduler runs the job as a service account SA\n"
            f'gcloud scheduler jobs create http {job}-daily --location "$REGION" '
            f"--schedule '{SCHEDULE}' \\\n"
            f'  --uri "{api}" --http-method POST --oauth-service-account-email SA',
            "notes": "The job's service account needs read and write access to the bucket; "
            f"`gcloud run jobs delete {job} {where}` removes the job. Rows that cannot be "
            "scored go to `rejects.csv` beside the predictions; a failed task is retried and "
            "resumes from the chunks done.",
        }

    def preflight(self, ctx: RenderContext) -> list[Finding]:
        if ctx.model.predict_ms / 1000 >= 0.5 * REQUEST_TIMEOUT_S:
            return [Finding(
                "warning", "cloud-run-timeout",
                f"one prediction took {ctx.model.predict_ms / 1000:.1f} s, close to the service's "
                f"{REQUEST_TIMEOUT_S} s request timeout; raise timeoutSeconds or use a job",
            )]  # fmt: skip
        return []
