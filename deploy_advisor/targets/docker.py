"""Docker: a multi-stage Dockerfile, .dockerignore and compose.yaml sized from the plan."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy_advisor.lockfile import MODEL_DIR
from deploy_advisor.targets.base import RenderContext
from deploy_advisor.targets.batch import batch_values
from deploy_advisor.targets.gpu import gpu_values
from deploy_advisor.targets.registry import register
from deploy_advisor.targets.rendered import RenderedTarget
from deploy_advisor.targets.requirements_deep import TORCH_CPU_INDEX
from deploy_advisor.targets.sizing import image_name, sized_values, start_period_s
from deploy_advisor.targets.templating import render_template
from deploy_advisor.targets.weights import MODEL_MOUNT, VOLUME, weights_values

if TYPE_CHECKING:
    from deploy_advisor.emulate.launched import Launched

__all__ = ["DockerTarget"]


def docker_values(ctx: RenderContext) -> dict[str, Any]:
    """Template values shared by the Dockerfile and everything that runs the image."""
    return {
        **sized_values(ctx),
        "base_image": ctx.base_image,
        "wheelhouse": ctx.wheelhouse,
        "app_port": ctx.app_port,
        "workers": ctx.workers,
        "drain_timeout_s": ctx.drain_timeout_s,
        "start_period_s": start_period_s(ctx),
        "python_version": ctx.python_version,
        "torch_index": cpu_torch_index(ctx),
        **gpu_values(ctx),
        **weights_values(ctx),
    }


def cpu_torch_index(ctx: RenderContext) -> str | None:
    """PyPI's Linux torch is the CUDA build: a CPU image installing from an index adds PyTorch's
    CPU index, whose `torch==X+cpu` satisfies the `torch==X` pin and wins over PyPI's."""
    pinned = any(r.name == "torch" for r in ctx.requirements)
    return TORCH_CPU_INDEX if pinned and not ctx.gpu and not ctx.wheelhouse else None


def dockerfile(ctx: RenderContext) -> str:
    return render_template("docker/Dockerfile.j2", **docker_values(ctx))


def dockerignore(ctx: RenderContext) -> str:
    return render_template("docker/dockerignore.j2", **docker_values(ctx))


@register
class DockerTarget(RenderedTarget):
    """A container image run with Docker Compose on any host with a Docker engine."""

    name = "docker"
    description = "Docker image + compose.yaml"
    default_plan = "linode-2gb"
    modes = ("realtime", "batch")
    builds_image = True
    emulates_any_plan = True
    launches_locally = True
    instance_noun = "container"
    takes_gpu = True
    takes_weights_volume = True

    file_notes = (
        ("Dockerfile", "multi-stage image, non-root, HEALTHCHECK on /livez"),
        (".dockerignore", "keeps the build context small and free of secrets"),
        ("compose.yaml", "runs the image with a healthcheck, limits and a restart policy"),
    )
    batch_file_notes = (
        ("Dockerfile", "image whose command runs the scorer on /data/input -> $SCORE_OUTPUT"),
        ("compose.yaml", "`docker compose run --rm score` with ./data mounted and limits"),
    )

    def render(self, ctx: RenderContext) -> dict[str, str]:
        values = docker_values(ctx)
        return {
            "Dockerfile": dockerfile(ctx),
            ".dockerignore": dockerignore(ctx),
            "compose.yaml": render_template("docker/compose.yaml.j2", **values),
        }

    def readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        image = image_name(ctx)
        build = f"docker build -t {image} ."
        if ctx.wheelhouse:
            build = "# wheels/ holds every dependency: the build needs no package index\n" + build
        commands = {
            "build": build,
            "run": "docker compose up -d\ndocker compose ps   # wait for (healthy)",
            "deploy": (
                f"docker tag {image} REGISTRY/{image}\ndocker push REGISTRY/{image}\n"
                "# on the server, beside this compose.yaml: IMAGE in .env is the image it runs\n"
                "test ! -f .env || cp .env .env.previous   # remembers the image running now\n"
                f"echo IMAGE=REGISTRY/{image} > .env\n"
                "docker compose pull && docker compose up -d"
            ),
            "rollback": (
                "# back to the image that ran before the last deploy (or any earlier tag:\n"
                f"# echo IMAGE=REGISTRY/{ctx.app_name}:TAG > .env; tags are model hashes)\n"
                "mv .env.previous .env && docker compose up -d"
            ),
        }
        if ctx.weights == VOLUME:
            commands["weights"] = (
                f"# compose bind-mounts ./{MODEL_DIR} (beside compose.yaml) read-only at "
                f"{MODEL_MOUNT}; here it holds the model already.\n"
                "# On a server: copy it beside compose.yaml there (DIR), readable by uid 10001\n"
                f"rsync -a --chmod=a+rX {MODEL_DIR}/ SERVER:DIR/{MODEL_DIR}/\n"
                "# new weights (same file name): replace them in model/, then\n"
                "docker compose restart"
            )
        return commands

    def render_batch(self, ctx: RenderContext) -> dict[str, str]:
        values = batch_values(ctx)
        return {
            "Dockerfile": render_template("batch/Dockerfile.j2", **values),
            ".dockerignore": dockerignore(ctx),
            "compose.yaml": render_template("batch/compose.yaml.j2", **values),
        }

    def batch_readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        image = image_name(ctx)
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

    def launch(
        self, directory: Path, *, plan: str | None, base_image: str | None = None,
        log: Path | None = None,
    ) -> AbstractContextManager[Launched]:  # fmt: skip
        """The image in one container with the plan's --cpus and --memory."""
        from deploy_advisor.targets.docker_launch import launch_docker
        from deploy_advisor.targets.plans import resolve_plan

        size = resolve_plan(self, plan, any_target=True)
        return launch_docker(directory, plan=size, base_image=base_image, log=log)
