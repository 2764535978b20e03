"""`scaffold --gpu`: a CUDA image matched to torch, a GPU plan from the catalog, and its checks.

PyPI's Linux wheel of torch is the CUDA build, carrying CUDA's libraries itself: the image
needs only a base whose CUDA matches it (the host's driver comes in through the NVIDIA
container toolkit). NVIDIA's runtime images are Ubuntu with no Python: the Dockerfile installs
Ubuntu's python3 into both stages.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from deploy_advisor.errors import CatalogError, InputError
from deploy_advisor.targets.base import Finding, ModelFacts, PlanSize
from deploy_advisor.targets.requirements_deep import DEEP_FORMATS, torch_cuda

if TYPE_CHECKING:
    from deploy_advisor.advisor.catalog import PricePlan
    from deploy_advisor.lockfile import ScaffoldLock
    from deploy_advisor.targets.base import RenderContext, Target

__all__ = [
    "GPU_NODE_LABEL", "GPU_PYTHON", "check_gpu", "check_gpu_model", "gpu_lock", "gpu_plan",
    "gpu_plans", "gpu_values",
]  # fmt: skip

#: The python3 of Ubuntu 24.04, which those images are built on.
GPU_PYTHON = "3.12"
#: The label GPU Feature Discovery (NVIDIA's GPU operator) puts on nodes with a GPU.
GPU_NODE_LABEL = ("nvidia.com/gpu.present", "true")
CHECK = "gpu"


def check_gpu_model(facts: ModelFacts) -> None:
    """Only torch models (torch.export, TorchScript, transformers, Keras on torch) use a GPU."""
    if facts.format not in DEEP_FORMATS:
        raise InputError(
            f"--gpu: {facts.file_name} is a {facts.format} model, which runs on the CPU; drop "
            "--gpu (a GPU serves PyTorch, transformers and Keras models)"
        )


def gpu_plans(target: Target) -> list[PricePlan]:
    """The catalog's plans of `target` with a GPU, cheapest first."""
    from deploy_advisor.advisor.catalog import load_catalog

    plans = [p for p in load_catalog().plans_for(target.name) if p.gpu and p.memory_mb]
    return sorted(plans, key=lambda p: (p.usd_per_month or 0, p.name))


def gpu_plan(target: Target, name: str | None) -> PlanSize:
    """The named plan, which must have a GPU, else the target's cheapest plan with one."""
    from deploy_advisor.targets.plans import resolve_plan

    plans = gpu_plans(target)
    names = ", ".join(p.name for p in plans)
    if name is None:
        if not plans:
            raise CatalogError(f"the catalog has no {target.name} plan with a GPU; drop --gpu")
        return PlanSize.of(plans[0])
    size = resolve_plan(target, name)
    if size.gpu is None:
        raise InputError(
            f"--gpu: plan {name!r} has no GPU; pass --plan with one of {names}, or drop --plan"
        )
    return size


def gpu_values(ctx: RenderContext) -> dict[str, Any]:
    """Template values of a GPU scaffold: the GPU, how many, and where pods may run."""
    gpu = ctx.gpu or (ctx.bom.gpu if ctx.bom else None)
    return {
        "gpu": bool(ctx.gpu),
        "gpu_name": gpu,
        "gpu_count": 1 if gpu else 0,
        "gpu_node_label": GPU_NODE_LABEL,
    }


def gpu_lock(ctx: RenderContext) -> dict[str, Any]:
    """What the lock records of a GPU scaffold: the plan's GPU, torch's CUDA and the base."""
    version, cuda = torch_cuda()
    return {
        "plan": ctx.plan.name, "gpu": ctx.gpu, "count": 1, "torch": version, "cuda": cuda,
        "base_image": ctx.base_image, "python": ctx.python_version,
    }  # fmt: skip


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None


def _missing(file: str, what: str) -> Finding:
    return Finding("error", CHECK, f"missing: {what} (the lock says --gpu)", file)


def _pod_findings(pod: dict[str, Any], file: str) -> list[Finding]:
    findings = []
    limits = [
        ((c.get("resources") or {}).get("limits") or {}).get("nvidia.com/gpu")
        for c in pod.get("containers") or []
    ]
    if not limits or not all(limits):
        findings.append(_missing(file, "an nvidia.com/gpu limit on every container"))
    tolerations = pod.get("tolerations") or []
    if not any(t.get("key") == "nvidia.com/gpu" for t in tolerations):
        findings.append(_missing(file, "a toleration of the nvidia.com/gpu taint"))
    key, value = GPU_NODE_LABEL
    if (pod.get("nodeSelector") or {}).get(key) != value:
        findings.append(_missing(file, f"the node selector {key}: {value}"))
    return findings


def check_gpu(directory: Path, lock: ScaffoldLock | None) -> list[Finding]:
    """A GPU scaffold's files ask for the GPU: the CUDA image runs the model on cuda, compose
    reserves an NVIDIA device, the pods have the limit, toleration and node selector."""
    if lock is None or lock.gpu is None:
        return []
    findings = []
    dockerfile = directory / "Dockerfile"
    if dockerfile.is_file() and "MODEL_DEVICE=cuda" not in dockerfile.read_text():
        findings.append(_missing("Dockerfile", "ENV MODEL_DEVICE=cuda"))
    if (directory / "compose.yaml").is_file():
        doc = _yaml(directory / "compose.yaml") or {}
        for name, service in (doc.get("services") or {}).items():
            reservations = ((service.get("deploy") or {}).get("resources") or {}).get(
                "reservations"
            ) or {}
            devices = reservations.get("devices") or []
            if not any(d.get("driver") == "nvidia" and "gpu" in d.get("capabilities", [])
                       for d in devices):  # fmt: skip
                findings.append(_missing("compose.yaml", f"an nvidia GPU reserved for {name}"))
    deployment = directory / "k8s" / "deployment.yaml"
    if deployment.is_file():
        pod = (((_yaml(deployment) or {}).get("spec") or {}).get("template") or {}).get("spec")
        findings += _pod_findings(pod or {}, "k8s/deployment.yaml")
    if not findings:
        gpu = lock.gpu
        findings.append(Finding(
            "info", CHECK, f"the files ask for {gpu.get('gpu')} with CUDA {gpu.get('cuda')}",
        ))  # fmt: skip
    return findings
