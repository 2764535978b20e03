"""A VPS (Linode or your own box): systemd unit, nginx site, cloud-init and a deploy script."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy_advisor.targets import register
from deploy_advisor.targets.base import RenderContext, Target
from deploy_advisor.targets.templating import render_template

if TYPE_CHECKING:
    from deploy_advisor.emulate.launched import Launched

__all__ = ["VpsTarget"]

# nginx client_max_body_size: the runtime's default request size limit.
_MAX_BODY = "1m"
_RATE_PER_S = 20


def vps_values(ctx: RenderContext) -> dict[str, Any]:
    """Values for the unit, the site, cloud-init and deploy.sh."""
    return {
        "app_name": ctx.app_name,
        "app_root": f"/opt/{ctx.app_name}",
        "model": ctx.model,
        "app_port": ctx.app_port,
        "listen_port": ctx.listen_port,
        "host_name": ctx.host_name,
        "workers": ctx.workers,
        "drain_timeout_s": ctx.drain_timeout_s,
        "worker_timeout_s": 60,
        "proxy_timeout_s": 60,
        "zone": re.sub(r"[^a-z0-9_]", "_", ctx.app_name),
        "rate_per_s": _RATE_PER_S,
        "max_body": _MAX_BODY,
        "health_tries": max(15, int(ctx.model.load_seconds * 3 / 2) + 5),
    }


@register
class VpsTarget(Target):
    """gunicorn under systemd behind nginx on one virtual machine."""

    name = "vps"
    description = "VPS: systemd + nginx + cloud-init"
    default_plan = "linode-2gb"
    serves_with_gunicorn = True

    def render(self, ctx: RenderContext) -> dict[str, str]:
        values = vps_values(ctx)
        unit = render_template("vps/service.j2", **values)
        site = render_template("vps/nginx.conf.j2", **values)
        name = ctx.app_name
        return {
            f"deploy/systemd/{name}.service": unit,
            f"deploy/nginx/{name}.conf": site,
            "deploy/cloud-init.yaml": render_template(
                "vps/cloud-init.yaml.j2", unit=unit.rstrip("\n"), site=site.rstrip("\n"), **values
            ),
            "deploy/deploy.sh": render_template("vps/deploy.sh.j2", **values),
        }

    def describe_files(self) -> list[tuple[str, str]]:
        return [
            ("deploy/systemd/", "systemd unit: gunicorn + uvicorn workers, hardened"),
            ("deploy/nginx/", "nginx site: reverse proxy, timeouts, body limit, per-IP rate limit"),
            ("deploy/cloud-init.yaml", "user-data that prepares a fresh VM"),
            ("deploy/deploy.sh", "rsync, restart, health check, roll back on failure"),
        ]

    def readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        name = ctx.app_name
        host = ctx.host_name or "example.com"
        return {
            "build": "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt",
            "run": f"MODEL_PATH={ctx.model.file} .venv/bin/python -m gunicorn "
            f"--bind 127.0.0.1:{ctx.app_port} --worker-class model_server.worker.UvicornWorker "
            "'model_server.app:create_app()'",
            "deploy": "# once: create the VM with deploy/cloud-init.yaml as its user-data, then\n"
            "deploy/deploy.sh HOST",
            "rollback": "deploy/deploy.sh HOST rollback",
            "tls": f"# on the VM, once DNS for {host} points at it:\n"
            f"certbot --nginx -d {host} --non-interactive --agree-tos -m you@{host} --redirect\n"
            "systemctl list-timers certbot.timer   # renewals are automatic\n"
            f"# sites: /etc/nginx/sites-available/{name}.conf is edited in place by certbot",
        }

    def launch(
        self, directory: Path, *, plan: str | None, base_image: str | None = None,
        log: Path | None = None,
    ) -> AbstractContextManager[Launched]:  # fmt: skip
        """The unit's gunicorn behind the generated nginx, limited to the plan (emulated)."""
        from deploy_advisor.loadtest.launch_vps import launch_vps
        from deploy_advisor.targets.plans import resolve_plan

        return launch_vps(directory, plan=resolve_plan(self, plan), log=log)
