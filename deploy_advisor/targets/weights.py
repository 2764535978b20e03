"""`scaffold --weights image|volume`: the model baked into the image, or mounted read-only.

With `volume` the image holds the server only: compose bind-mounts the scaffold's model/
directory, a Deployment a PersistentVolumeClaim sized from the model, at the path MODEL_PATH
names. New weights then need no image build, only a copy into the volume and a restart.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from deploy_advisor.lockfile import MODEL_DIR
from deploy_advisor.targets.base import Finding

if TYPE_CHECKING:
    from deploy_advisor.lockfile import ScaffoldLock
    from deploy_advisor.targets.base import RenderContext

__all__ = [
    "IMAGE", "MODEL_MOUNT", "VOLUME", "WEIGHTS", "check_weights", "claim_size_gi", "weights_for",
    "weights_mounts", "weights_values",
]  # fmt: skip

IMAGE = "image"
VOLUME = "volume"
WEIGHTS = (IMAGE, VOLUME)
#: Where a docker or kubernetes image reads model/ (MODEL_PATH is below it).
MODEL_MOUNT = f"/app/{MODEL_DIR}"
#: The claim holds the model this many times over: room for the next one beside it.
_HEADROOM = 2
CHECK = "weights"


def weights_for(given: str | None, earlier: ScaffoldLock | None) -> str:
    """`--weights` when given, else the earlier scaffold's choice, else `image`."""
    if given is not None:
        return given
    return VOLUME if earlier is not None and earlier.weights == VOLUME else IMAGE


def claim_size_gi(size_bytes: int) -> int:
    """The PersistentVolumeClaim's size in GiB: the model twice over, at least 1 GiB."""
    return max(1, math.ceil(_HEADROOM * size_bytes / 2**30))


def weights_mounts(directory: Path, lock: ScaffoldLock | None) -> dict[str, dict[str, str]]:
    """What a local launch of a volume scaffold binds: its model/ read-only at MODEL_MOUNT."""
    if lock is None or lock.weights != VOLUME:
        return {}
    return {str((directory / MODEL_DIR).resolve()): {"bind": MODEL_MOUNT, "mode": "ro"}}


def weights_values(ctx: RenderContext) -> dict[str, Any]:
    """Template values: whether the weights come from a volume, where, and the claim."""
    return {
        "weights_volume": ctx.weights == VOLUME,
        "model_mount": MODEL_MOUNT,
        "model_dir": MODEL_DIR,
        "model_claim": f"{ctx.app_name}-model",
        "model_claim_gi": claim_size_gi(ctx.model.size_bytes),
    }


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None


def _error(file: str, message: str) -> Finding:
    return Finding("error", CHECK, f"{message} (the lock says --weights volume)", file)


def _dockerfile_findings(directory: Path) -> list[Finding]:
    findings = []
    dockerfile = directory / "Dockerfile"
    if dockerfile.is_file():
        copies = [
            line for line in dockerfile.read_text().splitlines()
            if line.split()[:2] == ["COPY", f"{MODEL_DIR}/"]
        ]  # fmt: skip
        if copies:
            findings.append(_error("Dockerfile", f"copies the model into the image: {copies[0]}"))
    ignore = directory / ".dockerignore"
    if ignore.is_file() and f"{MODEL_DIR}/" not in ignore.read_text().splitlines():
        findings.append(_error(".dockerignore", f"lets {MODEL_DIR}/ into the build context"))
    return findings


def _compose_findings(directory: Path) -> list[Finding]:
    if not (directory / "compose.yaml").is_file():
        return []
    findings = []
    doc = _yaml(directory / "compose.yaml") or {}
    for name, service in (doc.get("services") or {}).items():
        mounts = [v for v in service.get("volumes") or [] if isinstance(v, str)]
        if not any(v.split(":")[1:] == [MODEL_MOUNT, "ro"] for v in mounts):
            findings.append(
                _error("compose.yaml", f"service {name} mounts nothing at {MODEL_MOUNT}:ro")
            )
    return findings


def _deployment_findings(directory: Path) -> list[Finding]:
    path = directory / "k8s" / "deployment.yaml"
    if not path.is_file():
        return []
    pod = (((_yaml(path) or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    claims = {
        v.get("name"): v["persistentVolumeClaim"].get("claimName")
        for v in pod.get("volumes") or [] if v.get("persistentVolumeClaim")
    }  # fmt: skip
    findings = []
    for container in pod.get("containers") or []:
        mounted = [
            m for m in container.get("volumeMounts") or []
            if m.get("mountPath") == MODEL_MOUNT and m.get("readOnly") and m.get("name") in claims
        ]  # fmt: skip
        if not mounted:
            findings.append(_error(
                "k8s/deployment.yaml",
                f"container {container.get('name')} mounts no claim read-only at {MODEL_MOUNT}",
            ))  # fmt: skip
    listed = (_yaml(directory / "k8s" / "kustomization.yaml") or {}).get("resources") or []
    if "pvc.yaml" not in listed:
        findings.append(_error("k8s/kustomization.yaml", "does not list pvc.yaml"))
    return findings


def check_weights(directory: Path, lock: ScaffoldLock | None) -> list[Finding]:
    """A volume scaffold keeps the model out of the image and mounts it where MODEL_PATH is."""
    if lock is None or lock.weights != VOLUME:
        return []
    findings = [
        *_dockerfile_findings(directory),
        *_compose_findings(directory),
        *_deployment_findings(directory),
    ]
    if not findings:
        findings.append(Finding("info", CHECK, f"the model is mounted read-only at {MODEL_MOUNT}"))
    return findings
