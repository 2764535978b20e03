"""Kubernetes: a Deployment sized from the model and plan, restricted, with HPA, PDB, policy."""

from __future__ import annotations

import math
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy_advisor.lockfile import MODEL_DIR
from deploy_advisor.targets.base import RenderContext
from deploy_advisor.targets.batch import batch_values
from deploy_advisor.targets.docker import dockerfile, dockerignore
from deploy_advisor.targets.gpu import gpu_values
from deploy_advisor.targets.registry import register
from deploy_advisor.targets.rendered import RenderedTarget
from deploy_advisor.targets.sizing import STARTUP_MARGIN, image_name, sized_values
from deploy_advisor.targets.templating import render_template
from deploy_advisor.targets.weights import MODEL_MOUNT, VOLUME, weights_values

if TYPE_CHECKING:
    from deploy_advisor.emulate.launched import Launched

__all__ = ["KubernetesTarget"]

_OBJECTS = ("namespace", "configmap", "deployment", "service", "hpa", "pdb", "networkpolicy")
# What the Ingress routes: predictions (our API, Open Inference v2, SageMaker) and health.
_PUBLIC_PATHS = (
    ("/predict", "Exact"),
    ("/v2", "Prefix"),
    ("/invocations", "Exact"),
    ("/ping", "Exact"),
    ("/livez", "Exact"),
    ("/readyz", "Exact"),
)
_PRESTOP_S = 5
_STARTUP_PERIOD_S = 2


def kubernetes_values(ctx: RenderContext) -> dict[str, Any]:
    """Numbers for the manifests: resources from the plan, probes from the measured load time."""
    startup_budget = STARTUP_MARGIN * ctx.model.load_seconds + 10
    bom = ctx.bom
    return {
        **sized_values(ctx),
        "namespace": ctx.app_name,
        "app_port": ctx.app_port,
        "workers": ctx.workers,
        "drain_timeout_s": ctx.drain_timeout_s,
        "replicas": bom.min_instances if bom else 2,
        "max_replicas": (bom.max_instances or bom.instances) if bom else 10,
        "service_type": "LoadBalancer" if bom and bom.load_balancer_priced else "ClusterIP",
        "bom": bom,
        **gpu_values(ctx),
        **weights_values(ctx),
        "cpu_request": f"{ctx.plan.vcpu / 2:g}",
        "startup_margin": STARTUP_MARGIN,
        "startup_period_s": _STARTUP_PERIOD_S,
        "startup_failures": max(5, math.ceil(startup_budget / _STARTUP_PERIOD_S)),
        "prestop_s": _PRESTOP_S,
        "grace_period_s": ctx.drain_timeout_s + _PRESTOP_S + 10,
        "host_name": ctx.host_name,
        "tls_secret": f"{ctx.app_name}-tls",
        "public_paths": _PUBLIC_PATHS,
    }


def _load_weights(ctx: RenderContext) -> str:
    """The README's steps that copy model/ into the claim through a loader pod."""
    ns, pod = ctx.app_name, f"{ctx.app_name}-load-weights"
    return (
        f"kind load docker-image {image_name(ctx)}   # the loader pod runs the server's image\n"
        "kubectl apply -f k8s/namespace.yaml -f k8s/pvc.yaml -f k8s/load-weights.yaml\n"
        f"kubectl -n {ns} wait --for=condition=Ready pod/{pod} --timeout=300s\n"
        f"kubectl -n {ns} cp {MODEL_DIR}/. {pod}:{MODEL_MOUNT}/\n"
        "kubectl delete -f k8s/load-weights.yaml\n"
        "# new weights: the same steps (the claim is ReadWriteOnce: scale the Deployment to 0\n"
        "# first if the loader waits for its node), then\n"
        f"kubectl -n {ns} rollout restart deployment/{ns}"
    )


@register
class KubernetesTarget(RenderedTarget):
    """Manifests for any conformant cluster, applied with kustomize."""

    name = "kubernetes"
    description = "Kubernetes manifests (kustomize)"
    default_plan = "lke-linode-2gb"
    modes = ("realtime", "batch")
    builds_image = True
    names_host = True
    emulates_any_plan = True
    launches_locally = True
    instance_noun = "pod"
    runs_on_nodes = True
    takes_gpu = True
    takes_weights_volume = True

    file_notes = (
        ("Dockerfile", "the image the Deployment runs"),
        ("k8s/deployment.yaml", "probes sized from the model load time, restricted security"),
        (
            "k8s/",
            "Namespace, ConfigMap, Service, HPA (owns the replica count), PDB, "
            "NetworkPolicy, Ingress (with --host: nginx, TLS), kustomization",
        ),
    )
    volume_file_notes = (
        ("k8s/pvc.yaml", "the claim holding the weights, mounted read-only by every pod"),
        ("k8s/load-weights.yaml", "an idle pod to `kubectl cp` the weights into the claim"),
    )
    batch_file_notes = (
        ("k8s/cronjob.yaml", "CronJob: a run writes /data/output/<job name>; Forbid, retries"),
        ("k8s/job.yaml", "one-off Job with the same pod (kubectl create -f)"),
        ("k8s/pvc.yaml", "the volume holding input/ and output/"),
        ("Dockerfile", "the image both run"),
    )

    def render(self, ctx: RenderContext) -> dict[str, str]:
        values = kubernetes_values(ctx)
        names = list(_OBJECTS) + (["ingress"] if ctx.host_name else [])
        names += ["pvc"] if values["weights_volume"] else []
        files = {
            f"k8s/{n}.yaml": render_template(f"kubernetes/{n}.yaml.j2", **values) for n in names
        }
        if values["weights_volume"]:  # applied once by hand, not by kustomize
            files["k8s/load-weights.yaml"] = render_template(
                "kubernetes/load-weights.yaml.j2", **values
            )
        resources = [f"{n}.yaml" for n in names]
        files["k8s/kustomization.yaml"] = render_template(
            "kubernetes/kustomization.yaml.j2", resources=resources, **values
        )
        files["Dockerfile"] = dockerfile(ctx)
        files[".dockerignore"] = dockerignore(ctx)
        return files

    def file_table(self, ctx: RenderContext) -> tuple[tuple[str, str], ...]:
        return self.file_notes + (self.volume_file_notes if ctx.weights == VOLUME else ())

    def readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        image = image_name(ctx)
        commands = {
            "build": f"docker build -t {image} .\n"
            f"docker tag {image} REGISTRY/{image} && docker push REGISTRY/{image}",
            "run": f"kind load docker-image {image}   # or minikube image load\n"
            "kubectl apply -k k8s/\n"
            f"kubectl -n {ctx.app_name} rollout status deployment/{ctx.app_name}\n"
            f"kubectl -n {ctx.app_name} port-forward service/{ctx.app_name} "
            f"{ctx.app_port}:80 &",
            "deploy": "(cd k8s && kustomize edit set image "
            f"{image}=REGISTRY/{image}@sha256:DIGEST)\nkubectl apply -k k8s/",
            "rollback": f"kubectl -n {ctx.app_name} rollout undo deployment/{ctx.app_name}\n"
            f"kubectl -n {ctx.app_name} rollout status deployment/{ctx.app_name}",
        }
        if ctx.weights == VOLUME:
            commands["weights"] = _load_weights(ctx)
        if ctx.host_name:
            commands["tls"] = (
                f"# the Ingress serves https://{ctx.host_name} with the certificate in the Secret "
                f"{ctx.app_name}-tls:\n"
                f"kubectl -n {ctx.app_name} create secret tls {ctx.app_name}-tls "
                "--cert=fullchain.pem --key=privkey.pem\n"
                "# or let cert-manager issue and renew it: add the annotation "
                "cert-manager.io/cluster-issuer: ISSUER to k8s/ingress.yaml"
            )
        return commands

    def bom_notes(self, ctx: RenderContext) -> list[str]:
        if ctx.bom is None or ctx.mode == "batch":
            return []
        notes = [
            f"k8s/hpa.yaml scales the Deployment from {kubernetes_values(ctx)['replicas']} to "
            f"{kubernetes_values(ctx)['max_replicas']} pods; it needs metrics-server "
            "(kubectl top pods must answer) or it never scales"
        ]
        if ctx.bom.load_balancer_priced:
            notes.append(
                f"k8s/service.yaml is of type LoadBalancer: the cloud creates the priced "
                f"{ctx.bom.load_balancer} (kubectl -n {ctx.app_name} get service shows its IP)"
            )
        return notes

    def render_batch(self, ctx: RenderContext) -> dict[str, str]:
        values = batch_values(ctx)
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

    def batch_readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        image, name = image_name(ctx), ctx.app_name
        return {
            "title": "Kubernetes (CronJob, kustomize)",
            "build": f"docker build -t {image} .\n"
            f"docker tag {image} REGISTRY/{image} && docker push REGISTRY/{image}",
            "run": "kubectl apply -k k8s/   # the CronJob: "
            + (f"on {ctx.bom.schedule} (UTC)" if ctx.bom and ctx.bom.schedule else "daily at 02:00")
            + "\n"
            f"job=$(kubectl -n {name} create job --from=cronjob/{name}-score "
            f'"{name}-now-$(date +%s)" -o name)   # a one-off run now, with the CronJob image\n'
            f'kubectl -n {name} logs -f "$job"\n'
            f"kubectl -n {name} get jobs   # each run's output is /data/output/<its name>",
            "deploy": "(cd k8s && kustomize edit set image "
            f"{image}=REGISTRY/{image}@sha256:DIGEST)\nkubectl apply -k k8s/",
        }

    def launch(
        self, directory: Path, *, plan: str | None, base_image: str | None = None,
        log: Path | None = None,
    ) -> AbstractContextManager[Launched]:  # fmt: skip
        """The Deployment's replicas and limits behind a ready-aware nginx (emulated)."""
        from deploy_advisor.targets.kubernetes_launch import launch_kubernetes

        return launch_kubernetes(directory, plan_name=plan, base_image=base_image, log=log)

    def deployment(self, directory: Path) -> dict[str, object] | None:
        """Replicas and their limits, so `report` can price a run per node."""
        from deploy_advisor.emulate.kubernetes_manifest import read_deployment

        shape = read_deployment(directory)
        return {
            "replicas": shape.replicas,
            "cpu_limit": shape.cpu_limit,
            "memory_limit_mb": shape.memory_limit_mb,
        }
