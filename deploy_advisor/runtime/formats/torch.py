"""PyTorch models: ``torch.export`` programs (``.pt2``) and TorchScript (``.pt``/``.pth``).

A file holding only a ``state_dict`` (or a whole pickled module) cannot run without the code
that defines the model: it is refused with the export call that fixes it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..device import torch_device
from ..model import LoadedModel, ModelLoadError, file_sha256
from ..tensors import (
    DeepModel,
    TensorSpec,
    example_tensor,
    split_rows,
    stack_rows,
    tensor_prepare,
)

__all__ = ["EXPORT_FIX", "load_torch", "to_numpy_outputs"]

EXPORT_FIX = (
    'torch.export.save(torch.export.export(model.eval(), (example,)), "model.pt2") '
    "(example: one batch of inputs, e.g. torch.randn(8, 4); pass dynamic_shapes="
    '({0: torch.export.Dim("batch")},) so the batch size may vary)'
)


def _import_torch(path: Path) -> Any:
    try:
        import torch
    except ImportError as exc:
        raise ModelLoadError(
            f"{path.name} is a PyTorch model and needs torch: pip install torch==2.13.0 "
            "(CPU wheel: --index-url https://download.pytorch.org/whl/cpu)"
        ) from exc
    return torch


def to_numpy_outputs(out: Any) -> list[np.ndarray]:
    """A model's output (a tensor, or a tuple/list/dict of them) as numpy arrays."""
    import torch

    if isinstance(out, dict):
        parts = list(out.values())
    elif isinstance(out, (tuple, list)):
        parts = list(out)
    else:
        parts = [out]
    arrays = []
    for p in parts:
        if isinstance(p, torch.Tensor):
            t = p.detach().cpu()
            if t.dtype == torch.bfloat16:
                t = t.float()
            arrays.append(t.numpy())
        else:
            arrays.append(np.asarray(p))
    return arrays


def _dtype_name(torch_dtype: Any) -> str:
    return str(torch_dtype).replace("torch.", "")


def _spec(name: str, fake: Any) -> TensorSpec:
    dims = tuple(int(d) if isinstance(d, int) else None for d in fake.shape)
    return TensorSpec(name=name, dtype=_dtype_name(fake.dtype), shape=dims)


def load_torch(path: Path) -> LoadedModel:
    """Load a ``.pt2`` program or a TorchScript file; refuse state dicts and pickled modules."""
    torch = _import_torch(path)
    if path.suffix == ".pt2":
        return _load_exported(path, torch)
    try:
        names = zipfile.ZipFile(path).namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelLoadError(f"{path.name} is not a PyTorch file ({exc})") from exc
    if any("/code/" in n for n in names) and any(n.endswith("constants.pkl") for n in names):
        return _load_script(path, torch)
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception:
        raise ModelLoadError(
            f"{path.name} is a pickled PyTorch module, which needs the code that defines it; "
            f"export it instead: {EXPORT_FIX}"
        ) from None
    if isinstance(obj, dict):
        raise ModelLoadError(
            f"{path.name} is a state_dict (weights only, {len(obj)} tensors): it cannot be "
            f"served without the model's code; export the model instead: {EXPORT_FIX}"
        )
    raise ModelLoadError(
        f"{path.name} holds a {type(obj).__name__}, not a model; export the model: {EXPORT_FIX}"
    )


def _load_exported(path: Path, torch: Any) -> LoadedModel:
    try:
        ep = torch.export.load(str(path))
    except Exception as exc:
        raise ModelLoadError(
            f"{path.name} is not a torch.export program ({type(exc).__name__}: {exc}); "
            f"save one with {EXPORT_FIX}"
        ) from exc
    user_inputs = list(ep.graph_signature.user_inputs)
    user_outputs = list(ep.graph_signature.user_outputs)
    inputs: list[TensorSpec] = []
    outputs: list[TensorSpec] = []
    for node in ep.graph.nodes:
        val = node.meta.get("val")
        if node.op == "placeholder" and node.name in user_inputs:
            if not hasattr(val, "shape"):
                raise ModelLoadError(
                    f"{path.name}: input {node.name!r} is not a tensor; only tensor inputs "
                    "can be served"
                )
            inputs.append(_spec(node.name, val))
        elif node.op == "output":
            flat = node.args[0] if isinstance(node.args[0], (tuple, list)) else [node.args[0]]
            for k, arg in enumerate(flat):
                fake = getattr(arg, "meta", {}).get("val")
                name = (
                    user_outputs[k] if k < len(user_outputs) and user_outputs[k] else f"output_{k}"
                )
                if hasattr(fake, "shape"):
                    outputs.append(_spec(str(name), fake))
    if not inputs:
        raise ModelLoadError(f"{path.name} takes no tensor input; nothing to serve")
    device = torch_device(torch)
    if device.type != "cpu":
        from torch.export.passes import move_to_device_pass

        ep = move_to_device_pass(ep, device)
    module = ep.module()
    example: Any = None
    examples = getattr(ep, "example_inputs", None)
    if examples and examples[0]:
        first = [np.asarray(to_numpy_outputs(t)[0][0]) for t in examples[0]]
        example = (
            first[0].tolist()
            if len(first) == 1
            else {s.name: a.tolist() for s, a in zip(inputs, first, strict=False)}
        )
    if example is None:
        example = (
            example_tensor(inputs[0])
            if len(inputs) == 1
            else {s.name: example_tensor(s) for s in inputs}
        )
    batch_dim = inputs[0].shape[0] if inputs[0].shape else None
    deep = DeepModel(
        kind="tensor",
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        prepare=tensor_prepare(tuple(inputs)),
        run=_runner(module, torch, batch_dim, device),
        example=example,
        task="tensor",
        details={
            "device": str(device),
            **({"fixed_batch": batch_dim} if batch_dim is not None else {}),
        },
    )
    return _loaded(path, "torch-export", "ExportedProgram", deep, torch)


def _load_script(path: Path, torch: Any) -> LoadedModel:
    device = torch_device(torch)
    try:
        module = torch.jit.load(str(path), map_location=device).eval()
    except Exception as exc:
        raise ModelLoadError(f"{path.name} is not a usable TorchScript file ({exc})") from exc
    args = list(module.forward.schema.arguments)[1:]  # the first is the module itself
    inputs = tuple(TensorSpec(name=a.name, dtype="any", shape=()) for a in args)
    deep = DeepModel(
        kind="tensor",
        inputs=inputs,
        outputs=(TensorSpec(name="output_0", dtype="any", shape=()),),
        prepare=tensor_prepare(inputs),
        run=_runner(module, torch, None, device),
        example=None,
        task="tensor",
        details={"device": str(device), "torchscript": True},
    )
    return _loaded(path, "torchscript", module.original_name, deep, torch)


def _runner(module: Any, torch: Any, fixed_batch: int | None, device: Any) -> Any:
    """Stack the items, run the module on `device` without autograd, split the outputs per
    item."""

    def forward(items: list[tuple[np.ndarray, ...]]) -> list[np.ndarray]:
        batch = [torch.from_numpy(np.ascontiguousarray(b)).to(device) for b in stack_rows(items)]
        with torch.inference_mode():
            return to_numpy_outputs(module(*batch))

    def run(items: list[tuple[np.ndarray, ...]]) -> list[Any]:
        if fixed_batch is None:
            return split_rows(forward(items), len(items))
        answers: list[Any] = []
        for start in range(0, len(items), fixed_batch):
            chunk = items[start : start + fixed_batch]
            real = len(chunk)
            chunk = chunk + [chunk[-1]] * (fixed_batch - real)  # the program's fixed batch size
            answers.extend(split_rows(forward(chunk), fixed_batch)[:real])
        return answers

    return run


def _loaded(path: Path, fmt: str, estimator: str, deep: DeepModel, torch: Any) -> LoadedModel:
    from ..schema import InputSchema

    return LoadedModel(
        path=path,
        format=fmt,
        n_features=None,
        feature_names=None,
        output_kind="values",
        sha256=file_sha256(path),
        trained_sklearn_version=None,
        estimator=estimator,
        schema=InputSchema(columns=()),
        framework="torch",
        framework_version=str(torch.__version__),
        outputs=("predict",),
        output="predict",
        deep=deep,
    )
