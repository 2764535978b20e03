"""A VPS (Linode or your own box): systemd unit, nginx site, cloud-init and a deploy script."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy_advisor.targets.base import RenderContext
from deploy_advisor.targets.batch import batch_values
from deploy_advisor.targets.bom_values import client_rate_per_s, on_calendar, real_ip_range
from deploy_advisor.targets.registry import register
from deploy_advisor.targets.rendered import RenderedTarget
from deploy_advisor.targets.templating import render_template

if TYPE_CHECKING:
    from deploy_advisor.emulate.launched import Launched

__all__ = ["VpsTarget"]

# nginx client_max_body_size: the runtime's default request size limit.
_MAX_BODY = "1m"


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
        "rate_per_s": client_rate_per_s(ctx.bom),
        "real_ip_from": real_ip_range(ctx.bom),
        "load_balancer": ctx.bom.load_balancer if ctx.bom else None,
        "max_body": _MAX_BODY,
        "health_tries": max(15, int(ctx.model.load_seconds * 3 / 2) + 5),
    }


@register
class VpsTarget(RenderedTarget):
    """gunicorn under systemd behind nginx on one virtual machine."""

    name = "vps"
    description = "VPS: systemd + nginx + cloud-init"
    default_plan = "linode-2gb"
    serves_with_gunicorn = True
    modes = ("realtime", "batch")
    names_host = True
    launches_locally = True
    instance_noun = "VPS"

    file_notes = (
        ("deploy/systemd/", "systemd units: gunicorn + uvicorn workers, hardened, on a socket"),
        ("deploy/nginx/", "nginx site: reverse proxy, timeouts, body limit, per-IP rate limit"),
        ("deploy/cloud-init.yaml", "user-data that prepares a fresh VM"),
        ("deploy/deploy.sh", "rsync, switch, restart refusing nothing, roll back on failure"),
    )
    batch_file_notes = (
        (
            "deploy/systemd/*-score.service",
            "oneshot unit: a run into output/YYYY-MM-DD, limits",
        ),
        ("deploy/systemd/*-score.timer", "systemd timer that starts it daily"),
        ("deploy/sysusers.d/", "the system user the job runs as (systemd-sysusers)"),
        ("deploy/tmpfiles.d/", "its input and output directories (systemd-tmpfiles)"),
    )

    def render(self, ctx: RenderContext) -> dict[str, str]:
        values = vps_values(ctx)
        unit = render_template("vps/service.j2", **values)
        site = render_template("vps/nginx.conf.j2", **values)
        socket = render_template("vps/socket.j2", **values)
        embedded = {"unit": unit, "socket": socket, "site": site}  # cloud-init writes them
        embedded = {key: text.rstrip("\n") for key, text in embedded.items()}
        name = ctx.app_name
        return {
            f"deploy/systemd/{name}.service": unit,
            f"deploy/systemd/{name}.socket": socket,
            f"deploy/nginx/{name}.conf": site,
            "deploy/cloud-init.yaml": render_template(
                "vps/cloud-init.yaml.j2", **embedded, **values
            ),
            "deploy/deploy.sh": render_template("vps/deploy.sh.j2", **values),
        }

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

    def bom_notes(self, ctx: RenderContext) -> list[str]:
        bom = ctx.bom
        if bom is None:
            return []
        if ctx.mode == "batch":
            return [f"the timer runs the job on {on_calendar(bom.schedule or '0 2 * * *')}"]
        notes = [
            f"nginx limits each client to {client_rate_per_s(bom)} req/s (the spec's peak), "
            "burst twice that"
        ]
        if bom.load_balancer:
            notes.append(
                f"create {bom.instances} VMs from deploy/cloud-init.yaml and add each as a backend "
                f"of the {bom.load_balancer} (port {ctx.listen_port}, health check /readyz); "
                f"assumption: the balancer reaches them from {real_ip_range(bom)}, so nginx takes "
                "the client IP from X-Forwarded-For sent from that range"
            )
        return notes

    def render_batch(self, ctx: RenderContext) -> dict[str, str]:
        values = batch_values(ctx)
        name = ctx.app_name
        return {
            f"deploy/systemd/{name}-score.service": render_template(
                "batch/score.service.j2", **values
            ),
            f"deploy/systemd/{name}-score.timer": render_template("batch/score.timer.j2", **values),
            f"deploy/sysusers.d/{name}.conf": render_template("batch/sysusers.conf.j2", **values),
            f"deploy/tmpfiles.d/{name}.conf": render_template("batch/tmpfiles.conf.j2", **values),
        }

    def batch_readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        name = ctx.app_name
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

    def launch(
        self, directory: Path, *, plan: str | None, base_image: str | None = None,
        log: Path | None = None,
    ) -> AbstractContextManager[Launched]:  # fmt: skip
        """The unit's gunicorn behind the generated nginx, limited to the plan (emulated)."""
        from deploy_advisor.targets.plans import resolve_plan
        from deploy_advisor.targets.vps_launch import launch_vps

        return launch_vps(directory, plan=resolve_plan(self, plan), log=log)
