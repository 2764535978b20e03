"""What the managed cloud targets (SageMaker, Cloud Run, Azure ML) share: their base class,
port, image, sizing."""

from __future__ import annotations

import math
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy_advisor.targets.base import RenderContext
from deploy_advisor.targets.docker import docker_values
from deploy_advisor.targets.rendered import RenderedTarget
from deploy_advisor.targets.sizing import STARTUP_MARGIN
from deploy_advisor.targets.templating import render_template

if TYPE_CHECKING:
    from deploy_advisor.emulate.launched import Launched

__all__ = [
    "MANAGED_PORT",
    "ManagedTarget",
    "dockerfile_for",
    "instance_capacity_rps",
    "managed_values",
    "startup_budget_s",
]

#: The port every managed platform here sends requests to (SageMaker's fixed 8080).
MANAGED_PORT = 8080
# A target value keeps each instance at this share of what it can answer.
_HEADROOM = 0.5


def instance_capacity_rps(ctx: RenderContext) -> float:
    """Predictions a second one instance answers: its workers over the measured predict time."""
    return ctx.workers * 1000.0 / max(ctx.model.predict_ms, 1.0)


def startup_budget_s(ctx: RenderContext) -> int:
    """Seconds a platform should wait for the server to be ready: the load time with a margin."""
    return max(30, math.ceil(STARTUP_MARGIN * ctx.model.load_seconds) + 10)


def managed_values(ctx: RenderContext) -> dict[str, Any]:
    """Template values shared by the managed targets: image, port, sizing, probes."""
    values = docker_values(ctx)
    values.update(
        port=MANAGED_PORT,
        startup_budget_s=startup_budget_s(ctx),
        target_rps=max(1, math.floor(_HEADROOM * instance_capacity_rps(ctx))),
    )
    return values


class ManagedTarget(RenderedTarget):
    """A managed cloud service running the scaffold's image, real-time or as a batch job; run
    here as one container sized like the plan, behind the platform's request limits."""

    builds_image = True
    modes = ("realtime", "batch")
    launches_locally = True
    instance_noun = "instance"

    def launch(
        self, directory: Path, *, plan: str | None, base_image: str | None = None,
        log: Path | None = None,
    ) -> AbstractContextManager[Launched]:  # fmt: skip
        """The image in one container sized like the plan."""
        from deploy_advisor.targets.managed_launch import launch_behind_proxy
        from deploy_advisor.targets.plans import resolve_plan

        return launch_behind_proxy(
            directory, target=self.name, plan=resolve_plan(self, plan), base_image=base_image,
            log=log,
        )  # fmt: skip


def dockerfile_for(ctx: RenderContext, *, sagemaker: bool = False) -> str:
    """The Docker target's Dockerfile listening on 8080; SageMaker's model under /opt/ml."""
    values = docker_values(ctx)
    values["app_port"] = MANAGED_PORT
    if sagemaker:
        values.update(model_root="/opt/ml", sagemaker=True)
    return render_template("docker/Dockerfile.j2", **values)
