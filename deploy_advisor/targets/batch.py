"""Batch mode (`scaffold --mode batch`): the scorer wrapped as each target's way to run a job."""

from __future__ import annotations

import math
from typing import Any

from deploy_advisor.targets.base import RenderContext
from deploy_advisor.targets.docker import dockerignore
from deploy_advisor.targets.sizing import cpus, image_name
from deploy_advisor.targets.templating import render_template

__all__ = ["BATCH_TARGETS", "batch_files", "batch_readme_commands", "describe_batch_files"]

BATCH_TARGETS = ("docker", "kubernetes", "vps", "heroku")
CHUNK_ROWS = 50_000
SCHEDULE_CRON = "0 2 * * *"  # daily at 02:00
SCHEDULE_SYSTEMD = "*-*-* 02:00:00"
BACKOFF_LIMIT = 3
DEADLINE_S = 6 * 3600


def batch_values(ctx: RenderContext) -> dict[str, Any]:
    """Numbers for the batch files: limits from the plan, schedule, retries, deadline."""
    from deploy_advisor.targets.heroku import dyno_size

    return {
        "app_name": ctx.app_name,
        "namespace": ctx.app_name,
        "model": ctx.model,
        "plan": ctx.plan,
        "image": image_name(ctx),
        "base_image": ctx.base_image,
        "wheelhouse": ctx.wheelhouse,
        "cpus": cpus(ctx.plan),
        "cpu_request": f"{ctx.plan.vcpu / 2:g}",
        "cpu_quota_pct": math.ceil(ctx.plan.vcpu * 100),
        "memory_request_mb": ctx.plan.memory_mb // 2,
        "memory_mb": ctx.plan.memory_mb,
        "chunk_rows": CHUNK_ROWS,
        "schedule": SCHEDULE_CRON,
        "on_calendar": SCHEDULE_SYSTEMD,
        "backoff_limit": BACKOFF_LIMIT,
        "deadline_s": DEADLINE_S,
        "storage_gi": 10,
        "app_root": f"/opt/{ctx.app_name}",
        "data_root": f"/var/lib/{ctx.app_name}",
        "dyno_size": dyno_size(ctx.plan.name),
    }


def batch_files(target: str, ctx: RenderContext) -> dict[str, str]:
    """The target's files for a scoring job instead of a server."""
    values = batch_values(ctx)
    name = ctx.app_name
    if target == "docker":
        return {
            "Dockerfile": render_template("batch/Dockerfile.j2", **values),
            ".dockerignore": dockerignore(ctx),
            "compose.yaml": render_template("batch/compose.yaml.j2", **values),
        }
    if target == "kubernetes":
        pod = render_template("batch/pod.yaml.j2", **values).rstrip("\n")
        k8s = {
            "k8s/namespace.yaml": render_template("kubernetes/namespace.yaml.j2", **values),
            "k8s/pvc.yaml": render_template("batch/pvc.yaml.j2", **values),
            "k8s/networkpolicy.yaml": render_template("batch/networkpolicy.yaml.j2", **values),
            "k8s/cronjob.yaml": render_template("batch/cronjob.yaml.j2", pod=pod, **values),
            "k8s/job.yaml": render_template("batch/job.yaml.j2", pod=pod, **values),
            "k8s/kustomization.yaml": render_template(
                "kubernetes/kustomization.yaml.j2",
                resources=["namespace.yaml", "pvc.yaml", "networkpolicy.yaml", "cronjob.yaml"],
                **values,
            ),
        }
        return {
            **k8s,
            "Dockerfile": render_template("batch/Dockerfile.j2", **values),
            ".dockerignore": dockerignore(ctx),
        }
    if target == "vps":
        return {
            f"deploy/systemd/{name}-score.service": render_template(
                "batch/score.service.j2", **values
            ),
            f"deploy/systemd/{name}-score.timer": render_template("batch/score.timer.j2", **values),
            f"deploy/sysusers.d/{name}.conf": render_template("batch/sysusers.conf.j2", **values),
            f"deploy/tmpfiles.d/{name}.conf": render_template("batch/tmpfiles.conf.j2", **values),
        }
    if target == "heroku":
        return {
            "app.json": render_template("batch/app.json.j2", **values),
            ".python-version": render_template(
                "heroku/python-version.j2", python_version=ctx.python_version
            ),
            ".gitignore": render_template("heroku/gitignore.j2"),
            "scheduler.txt": render_template("batch/scheduler.txt.j2", **values),
        }
    raise ValueError(f"no batch mode for target {target!r}")


def describe_batch_files(target: str) -> list[tuple[str, str]]:
    """(path, what it is) for the batch README."""
    return {
        "docker": [
            ("Dockerfile", "image whose command runs the scorer on /data/input -> $SCORE_OUTPUT"),
            ("compose.yaml", "`docker compose run --rm score` with ./data mounted and limits"),
        ],
        "kubernetes": [
            ("k8s/cronjob.yaml", "CronJob: a run writes /data/output/<job name>; Forbid, retries"),
            ("k8s/job.yaml", "one-off Job with the same pod (kubectl create -f)"),
            ("k8s/pvc.yaml", "the volume holding input/ and output/"),
            ("Dockerfile", "the image both run"),
        ],
        "vps": [
            (
                "deploy/systemd/*-score.service",
                "oneshot unit: a run into output/YYYY-MM-DD, limits",
            ),
            ("deploy/systemd/*-score.timer", "systemd timer that starts it daily"),
            ("deploy/sysusers.d/", "the system user the job runs as (systemd-sysusers)"),
            ("deploy/tmpfiles.d/", "its input and output directories (systemd-tmpfiles)"),
        ],
        "heroku": [
            ("scheduler.txt", "the Heroku Scheduler command, with one-off dyno limits"),
            ("app.json", "buildpack, Scheduler add-on, no web dyno"),
            (".gitignore", "keeps the local .venv out of the push"),
        ],
    }[target]


def batch_readme_commands(target: str, ctx: RenderContext) -> dict[str, str]:
    """Title, build, run and deploy commands of the batch README."""
    image, name = image_name(ctx), ctx.app_name
    if target == "docker":
        # Each run writes its own output directory: a second run with new input into the same
        # one would be refused, and a rerun of the same command resumes an interrupted run.
        run = (
            'docker compose run --rm --user "$(id -u):$(id -g)" '
            "-e SCORE_OUTPUT=/data/output/$(date +%F) score"
        )
        return {
            "title": "Docker (image + compose.yaml)",
            "build": f"docker build -t {image} .",
            "run": "mkdir -p data/input data/output && cp YOUR_FILES.csv data/input/\n"
            f"{run}\n"
            "# -> data/output/YYYY-MM-DD/, owned by you; after a crash or kill, the same "
            "`docker compose run` line resumes it",
            "deploy": f"docker tag {image} REGISTRY/{image} && docker push REGISTRY/{image}\n"
            "# on the server, beside compose.yaml: IMAGE in .env is the image compose runs\n"
            f"echo IMAGE=REGISTRY/{image} > .env && docker compose pull\n"
            "mkdir -p data/input data/output\n"
            "# then a crontab line (crontab -e), DIR being this directory; cron needs % as \\%\n"
            "0 2 * * * cd DIR && " + run.replace("%", "\\%"),
        }
    if target == "kubernetes":
        return {
            "title": "Kubernetes (CronJob, kustomize)",
            "build": f"docker build -t {image} .\n"
            f"docker tag {image} REGISTRY/{image} && docker push REGISTRY/{image}",
            "run": "kubectl apply -k k8s/   # the CronJob: daily at 02:00\n"
            f"job=$(kubectl -n {name} create job --from=cronjob/{name}-score "
            f'"{name}-now-$(date +%s)" -o name)   # a one-off run now, with the CronJob image\n'
            f'kubectl -n {name} logs -f "$job"\n'
            f"kubectl -n {name} get jobs   # each run's output is /data/output/<its name>",
            "deploy": "(cd k8s && kustomize edit set image "
            f"{image}=REGISTRY/{image}@sha256:DIGEST)\nkubectl apply -k k8s/",
        }
    if target == "vps":
        root, data = f"/opt/{name}/current", f"/var/lib/{name}"
        return {
            "title": "a VPS (systemd timer)",
            "build": f"# on the VM, in {root} (a copy of this directory):\n"
            "sudo python3 -m venv venv && sudo venv/bin/pip install -r requirements.txt",
            "run": f"# on the VM, after Deploy:\nsudo cp YOUR_FILES.csv {data}/input/\n"
            f"sudo systemctl start --no-block {name}-score.service   # one run now\n"
            f"journalctl -u {name}-score.service -f\n"
            f"# each run writes {data}/output/YYYY-MM-DD/; a second start the same day resumes\n"
            "# that run (with other input the same day, move that directory away first)",
            "deploy": f"# on the VM, once, from {root} with its venv (Build):\n"
            f"sudo cp deploy/sysusers.d/{name}.conf /etc/sysusers.d/ && "
            f"sudo systemd-sysusers {name}.conf\n"
            f"sudo cp deploy/tmpfiles.d/{name}.conf /etc/tmpfiles.d/ && "
            f"sudo systemd-tmpfiles --create {name}.conf\n"
            f"sudo cp deploy/systemd/{name}-score.* /etc/systemd/system/\n"
            f"sudo systemctl daemon-reload && sudo systemctl enable --now {name}-score.timer\n"
            f"systemctl list-timers {name}-score.timer",
        }
    from deploy_advisor.targets.heroku import HEROKU_CREATE, HEROKU_PUSH

    return {
        "title": "Heroku (Scheduler)",
        "build": "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt",
        "run": "heroku run -- python -m model_server.score --input IN --output OUT",
        "deploy": HEROKU_CREATE
        + "\nheroku addons:create scheduler:standard\n"
        + HEROKU_PUSH
        + "\nheroku addons:open scheduler   # add the job from scheduler.txt",
        "notes": "See `scheduler.txt`: one-off dynos have an ephemeral filesystem, a memory cap "
        "and a 24 h lifetime; fetch the input and upload the output inside the job. The "
        "commands above run in this directory, where the `heroku` git remote names the app.",
    }
