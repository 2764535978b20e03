"""Pinned serving dependencies of deep-learning models: CPU-only framework wheels.

On PyPI, ``torch==X`` for Linux x86_64 is the CUDA build (gigabytes of CUDA libraries that a
CPU image never uses); the CPU build of the same version is on PyTorch's CPU index. The
requirements pin the version with no index option, and say where the CPU wheel comes from:
the wheelhouse (``--wheelhouse``) takes the wheel this machine resolves (a ``+cpu`` one where
the CPU build is installed), and a build from requirements.txt alone needs
``pip install --index-url {TORCH_CPU_INDEX} torch==X`` first.
"""

from __future__ import annotations

from importlib import metadata

from deploy_advisor.targets.base import Requirement

__all__ = ["DEEP_FORMATS", "TORCH_CPU_INDEX", "deep_requirements", "torch_build"]

TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
DEEP_FORMATS = {
    "torch-export": ("torch",),
    "torchscript": ("torch",),
    "keras": ("torch", "keras"),
    "transformers": ("torch", "transformers", "tokenizers", "safetensors", "pillow"),
}
"""The frameworks each deep-learning model format needs besides numpy."""


def _installed(name: str) -> str:
    return metadata.version(name)


def torch_build() -> tuple[str, str]:
    """The installed torch's public version and build (``cpu`` or ``cuda``)."""
    version = _installed("torch")
    public, _, local = version.partition("+")
    build = "cpu" if local == "cpu" or (not local and not _has_cuda_libs()) else "cuda"
    return public, build


def _has_cuda_libs() -> bool:
    try:
        requires = metadata.requires("torch") or []
    except metadata.PackageNotFoundError:
        return False
    return any(r.startswith("nvidia-") for r in requires)


def deep_requirements(model_format: str) -> list[Requirement]:
    """numpy and the frameworks ``model_format`` needs, torch pinned to the CPU build."""
    reqs = [Requirement("numpy", _installed("numpy"))]
    for name in DEEP_FORMATS[model_format]:
        if name == "torch":
            public, build = torch_build()
            reason = (
                f"CPU build: pip install --index-url {TORCH_CPU_INDEX} torch=={public} (PyPI's "
                "Linux wheel is the CUDA build); the wheelhouse holds the CPU wheel"
            )
            if build != "cpu":
                reason += f" (this machine has the {build} build: make the wheelhouse elsewhere)"
            reqs.append(Requirement("torch", public, reason))
        else:
            reqs.append(Requirement(name, _installed(name)))
    return reqs
