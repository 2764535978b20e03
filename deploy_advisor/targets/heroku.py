"""Heroku: Procfile, .python-version and app.json, with a preflight against Heroku's limits.

A deep-learning model (torch, transformers, Keras) cannot fit the 500 MB slug: its scaffold takes
Heroku's container path instead (heroku.yml and a Dockerfile; the app's stack is `container`),
which has no slug limit."""

from __future__ import annotations

from contextlib import AbstractContextManager
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy_advisor.targets.base import Finding, RenderContext, Severity
from deploy_advisor.targets.batch import batch_values
from deploy_advisor.targets.pinning import size_standin
from deploy_advisor.targets.registry import register
from deploy_advisor.targets.rendered import RenderedTarget
from deploy_advisor.targets.requirements_deep import DEEP_FORMATS
from deploy_advisor.targets.sizing import SERVER_OVERHEAD_MB, image_name
from deploy_advisor.targets.templating import render_template

if TYPE_CHECKING:
    from deploy_advisor.emulate.launched import Launched

__all__ = ["HerokuTarget", "estimate_slug_mb"]

SLUG_LIMIT_MB = 500
ROUTER_TIMEOUT_S = 30  # H12
BOOT_TIMEOUT_S = 60  # R10
# What Heroku's Python (interpreter and standard library) adds to a slug.
_PYTHON_RUNTIME_MB = 60.0
# Share of a limit at which a value "approaches" it.
_APPROACH = 0.5
_DYNO_SIZES = {
    "eco": "eco",
    "basic": "basic",
    "standard-1x": "standard-1x",
    "standard-2x": "standard-2x",
    "performance-m": "performance-m",
    "performance-l": "performance-l",
}


# The app's name is global on Heroku: let Heroku pick a free one. `heroku create` adds the git
# remote `heroku`, from which every later command in this directory knows the app.
HEROKU_CREATE = (
    "# once: Heroku picks a free app name and adds the git remote `heroku`\n"
    "# (an app you already have: heroku git:remote -a APP)\n"
    "git init && heroku create"
)
HEROKU_PUSH = (
    "# each release, from this directory (the CLI finds the app through the `heroku` remote):\n"
    "git add . && git commit -m 'deploy' && git push heroku HEAD:main"
)
HEROKU_CONTAINER = (
    "# once: the container stack, which builds heroku.yml's Dockerfile (no slug, no 500 MB limit)\n"
    "heroku stack:set container"
)
HEROKU_CONTAINER_PUSH = (
    "# or build the image here and push it to Heroku's registry instead of git push:\n"
    "heroku container:login\n"
    "heroku container:push web && heroku container:release web"
)


def uses_container(ctx: RenderContext) -> bool:
    """A deep-learning model goes through Heroku's container path: its slug would not fit."""
    return ctx.mode == "realtime" and ctx.model.format in DEEP_FORMATS


def dyno_size(plan_name: str | None) -> str:
    """The formation size for a plan name such as `heroku-standard-2x`; `basic` by default."""
    short = (plan_name or "").lower().removeprefix("heroku-")
    return _DYNO_SIZES.get(short, "basic")


def _installed_mb(distribution: str) -> float:
    try:
        files = metadata.distribution(distribution).files or []
    except metadata.PackageNotFoundError:
        return 0.0
    total = 0
    for file in files:
        path = Path(str(file.locate()))
        if path.is_file():
            total += path.stat().st_size
    return total / 2**20


def estimate_slug_mb(ctx: RenderContext) -> float:
    """Model + installed size of each pinned dependency (as installed here) + Python itself."""
    deps = sum(_installed_mb(size_standin(req.name)) for req in ctx.requirements)
    return round(ctx.model.size_bytes / 2**20 + deps + _PYTHON_RUNTIME_MB, 1)


def _deep_slug_message(ctx: RenderContext, slug: float) -> str:
    """Why a deep-learning model does not fit a slug, with the numbers, and the way out."""
    parts = ", ".join(
        f"{req.name} {_installed_mb(req.name):.0f} MB"
        for req in ctx.requirements
        if req.name in ("torch", "transformers", "keras")
    )
    way_out = (
        "this scaffold takes Heroku's container path, which has no slug limit: heroku.yml "
        "builds the Dockerfile (heroku stack:set container, then git push heroku, or heroku "
        "container:push web && heroku container:release web)"
        if uses_container(ctx)
        else "a batch job cannot take the container path here: scaffold --target docker"
    )
    return (
        f"a slug would be about {slug:.0f} MB ({parts}, model "
        f"{ctx.model.size_bytes / 2**20:.0f} MB, Python {_PYTHON_RUNTIME_MB:.0f} MB), over "
        f"Heroku's {SLUG_LIMIT_MB} MB limit: a {ctx.model.format} model will not fit; {way_out}"
    )


@register
class HerokuTarget(RenderedTarget):
    """A Heroku app built by the Python buildpack and run by gunicorn on web dynos."""

    name = "heroku"
    description = "Heroku app (Procfile, app.json)"
    default_plan = "heroku-basic"
    serves_with_gunicorn = True
    modes = ("realtime", "batch")
    launches_locally = True
    instance_noun = "dyno"
    no_gpu = "Heroku dynos have no GPU"

    file_notes = (
        ("Procfile", "the web process: gunicorn with uvicorn workers on 0.0.0.0:$PORT"),
        (".python-version", "the Python the buildpack installs"),
        ("app.json", "buildpack, environment and dyno size"),
        (".gitignore", "keeps the local .venv out of the push"),
    )
    container_file_notes = (
        ("heroku.yml", "Heroku's container path: build the Dockerfile, run gunicorn on $PORT"),
        ("Dockerfile", "the image Heroku builds (CPU-only torch), non-root"),
        ("Procfile", "the same web command, for heroku local and `loadtest --target heroku`"),
        ("app.json", "the container stack, environment and dyno size"),
        (".gitignore", "keeps the local .venv out of the push"),
    )
    batch_file_notes = (
        ("scheduler.txt", "the Heroku Scheduler command, with one-off dyno limits"),
        ("app.json", "buildpack, Scheduler add-on, no web dyno"),
        (".gitignore", "keeps the local .venv out of the push"),
    )

    def _values(self, ctx: RenderContext) -> dict[str, Any]:
        return {
            "app_name": ctx.app_name,
            "model": ctx.model,
            "python_version": ctx.python_version,
            "workers": ctx.workers,
            "drain_timeout_s": min(ctx.drain_timeout_s, 25),
            "worker_timeout_s": ROUTER_TIMEOUT_S - 2,
            "dyno_size": dyno_size(ctx.plan.name),
            "quantity": ctx.bom.instances if ctx.bom else 1,
            "container": uses_container(ctx),
        }

    def file_table(self, ctx: RenderContext) -> tuple[tuple[str, str], ...]:
        return self.container_file_notes if uses_container(ctx) else self.file_notes

    def render(self, ctx: RenderContext) -> dict[str, str]:
        values = self._values(ctx)
        files = {
            "Procfile": render_template("heroku/Procfile.j2", **values),
            "app.json": render_template("heroku/app.json.j2", **values),
            ".gitignore": render_template("heroku/gitignore.j2"),
        }
        if not uses_container(ctx):  # the buildpack's Python; the image has its own
            files[".python-version"] = render_template("heroku/python-version.j2", **values)
        else:
            from deploy_advisor.targets.docker import dockerfile, dockerignore

            web = files["Procfile"].removeprefix("web:").strip()
            files["heroku.yml"] = render_template("heroku/heroku.yml.j2", web=web)
            files["Dockerfile"] = dockerfile(ctx)
            files[".dockerignore"] = dockerignore(ctx)
        return files

    def readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        size = dyno_size(ctx.plan.name)
        port = ctx.app_port
        scale = f"\nheroku ps:scale web={ctx.bom.instances}" if ctx.bom else ""
        if uses_container(ctx):
            image = image_name(ctx)
            return {
                "build": f"docker build -t {image} .   # what Heroku builds from heroku.yml",
                "run": f"docker run --rm -e PORT={port} -p 127.0.0.1:{port}:{port} {image} \\\n"
                f"  sh -c \"$(sed -n 's/^web: //p' Procfile)\" &   # heroku.yml's web command",
                "deploy": f"{HEROKU_CREATE}\n{HEROKU_CONTAINER}\n{HEROKU_PUSH}\n"
                f"{HEROKU_CONTAINER_PUSH}\nheroku ps:type web={size}{scale}",
                "rollback": "heroku releases\nheroku rollback   # to the release before this one",
            }
        return {
            "build": "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt honcho",
            "run": "export PATH=\"$PWD/.venv/bin:$PATH\"   # the Procfile's python is the venv's\n"
            f"PORT={port} honcho start web   # or, with the Heroku CLI: heroku local web -p {port}",
            "deploy": f"{HEROKU_CREATE}\n{HEROKU_PUSH}\nheroku ps:type web={size}{scale}",
            "rollback": "heroku releases\nheroku rollback   # to the release before this one",
        }

    def preflight(self, ctx: RenderContext) -> list[Finding]:
        findings = []
        slug = estimate_slug_mb(ctx)
        if slug > SLUG_LIMIT_MB and ctx.model.format in DEEP_FORMATS:
            severity: Severity = "info" if uses_container(ctx) else "warning"
            findings.append(Finding(severity, "heroku-slug", _deep_slug_message(ctx, slug)))
        elif slug > SLUG_LIMIT_MB:
            findings.append(Finding(
                "warning", "heroku-slug",
                f"the slug would be about {slug:.0f} MB, over Heroku's {SLUG_LIMIT_MB} MB limit; "
                "shrink the model or convert it to ONNX",
            ))  # fmt: skip
        need = ctx.workers * (SERVER_OVERHEAD_MB + ctx.model.rss_mb)
        if need > ctx.plan.memory_mb:
            findings.append(Finding(
                "warning", "heroku-memory",
                f"{ctx.workers} worker(s) need about {need:.0f} MB but a "
                f"{dyno_size(ctx.plan.name)} dyno has {ctx.plan.memory_mb} MB (R14/R15); "
                "pick a larger --plan",
            ))  # fmt: skip
        if ctx.model.predict_ms / 1000 >= _APPROACH * ROUTER_TIMEOUT_S:
            findings.append(Finding(
                "warning", "heroku-h12",
                f"one prediction took {ctx.model.predict_ms / 1000:.1f} s, close to the "
                f"{ROUTER_TIMEOUT_S} s router timeout (H12); use a batch job instead",
            ))  # fmt: skip
        if ctx.model.load_seconds >= _APPROACH * BOOT_TIMEOUT_S:
            findings.append(Finding(
                "warning", "heroku-r10",
                f"the model takes {ctx.model.load_seconds:.0f} s to load, close to the "
                f"{BOOT_TIMEOUT_S} s boot timeout (R10); make the model smaller or faster to load",
            ))  # fmt: skip
        return findings

    def render_batch(self, ctx: RenderContext) -> dict[str, str]:
        values = batch_values(ctx)
        values["dyno_size"] = dyno_size(ctx.plan.name)
        return {
            "app.json": render_template("batch/app.json.j2", **values),
            ".python-version": render_template(
                "heroku/python-version.j2", python_version=ctx.python_version
            ),
            ".gitignore": render_template("heroku/gitignore.j2"),
            "scheduler.txt": render_template("batch/scheduler.txt.j2", **values),
        }

    def batch_readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        return {
            "title": "Heroku (Scheduler)",
            "build": "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt",
            "run": "heroku run -- python -m model_server.score --input IN --output OUT",
            "deploy": HEROKU_CREATE
            + "\nheroku addons:create scheduler:standard\n"
            + HEROKU_PUSH
            + "\nheroku addons:open scheduler   # add the job from scheduler.txt",
            "notes": "See `scheduler.txt`: one-off dynos have an ephemeral filesystem, a memory "
            "cap and a 24 h lifetime; fetch the input and upload the output inside the job. The "
            "commands above run in this directory, where the `heroku` git remote names the app.",
        }

    def launch(
        self, directory: Path, *, plan: str | None, base_image: str | None = None,
        log: Path | None = None,
    ) -> AbstractContextManager[Launched]:  # fmt: skip
        """The Procfile's web command with PORT, in the dyno's memory (emulated)."""
        from deploy_advisor.targets.heroku_launch import launch_heroku
        from deploy_advisor.targets.plans import resolve_plan

        return launch_heroku(directory, plan=resolve_plan(self, plan), log=log)
