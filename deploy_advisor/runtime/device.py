"""Where a torch model runs: ``$MODEL_DEVICE`` (``cpu``, the default; ``cuda`` in GPU images).

A GPU scaffold (``scaffold --gpu``) sets ``MODEL_DEVICE=cuda``: a container started without a
GPU then fails at load with the fix, instead of quietly serving from the CPU.
"""

from __future__ import annotations

import os
from typing import Any

from .model import ModelLoadError

__all__ = ["DEVICE_ENV", "torch_device"]

DEVICE_ENV = "MODEL_DEVICE"
_CHOICES = ("cpu", "cuda", "auto")


def torch_device(torch: Any) -> Any:
    """The ``torch.device`` to load the model on: ``cpu``, ``cuda`` (refused when torch sees
    no GPU), or ``auto`` (the GPU when there is one)."""
    wanted = os.environ.get(DEVICE_ENV, "").strip().lower() or "cpu"
    if wanted not in _CHOICES:
        raise ModelLoadError(f"{DEVICE_ENV}={wanted!r} is unknown; use cpu, cuda or auto")
    available = bool(torch.cuda.is_available())
    if wanted == "cuda" and not available:
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise ModelLoadError(
            f"{DEVICE_ENV}=cuda but torch {torch.__version__} ({build}) sees no GPU; start the "
            f"container with a GPU (docker run --gpus all, a nvidia.com/gpu limit) or set "
            f"{DEVICE_ENV}=cpu"
        )
    if wanted == "cpu" or not available:
        return torch.device("cpu")
    return torch.device("cuda", torch.cuda.current_device())
