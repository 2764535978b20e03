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

from deploy_advisor.errors import InputError
from deploy_advisor.targets.base import Requirement

__all__ = [
    "CUDA_BASE_IMAGES", "DEEP_FORMATS", "TORCH_CPU_INDEX", "TORCH_CUDA", "cuda_image",
    "deep_requirements", "torch_build", "torch_cuda",
]  # fmt: skip

TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
DEEP_FORMATS = {
    "torch-export": ("torch",),
    "torchscript": ("torch",),
    "keras": ("torch", "keras"),
    "transformers": ("torch", "transformers", "tokenizers", "safetensors", "pillow"),
}
"""The frameworks each deep-learning model format needs besides numpy."""

#: The CUDA of PyPI's Linux wheel of each torch release (its `cuda-toolkit` requirement).
TORCH_CUDA = {"2.13": "13.0"}
#: NVIDIA's runtime image for each CUDA: the base a --gpu Dockerfile builds FROM by default.
CUDA_BASE_IMAGES = {"13.0": "nvidia/cuda:13.0.0-runtime-ubuntu24.04"}


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


def torch_cuda() -> tuple[str, str]:
    """The installed torch's public version and the CUDA of its PyPI Linux wheel."""
    version, _ = torch_build()
    minor = ".".join(version.split(".")[:2])
    if minor not in TORCH_CUDA:
        raise InputError(
            f"torch {version} is not in deploy-advisor's CUDA table ({', '.join(TORCH_CUDA)}); "
            "pass --base-image with the nvidia/cuda runtime image of its CUDA"
        )
    return version, TORCH_CUDA[minor]


def cuda_image() -> str:
    """The nvidia/cuda runtime image whose CUDA matches the torch wheel the image installs."""
    return CUDA_BASE_IMAGES[torch_cuda()[1]]


def deep_requirements(model_format: str, *, gpu: bool = False) -> list[Requirement]:
    """numpy and the frameworks ``model_format`` needs, torch pinned to the CPU build (with
    `gpu`, to PyPI's Linux wheel: the CUDA build)."""
    reqs = [Requirement("numpy", _installed("numpy"))]
    for name in DEEP_FORMATS[model_format]:
        if name == "torch" and gpu:
            public, cuda = torch_cuda()
            reason = (
                f"CUDA {cuda} build: PyPI's Linux wheel, which brings CUDA's libraries; the base "
                f"image {cuda_image()} has the same CUDA"
            )
            reqs.append(Requirement("torch", public, reason))
        elif name == "torch":
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
