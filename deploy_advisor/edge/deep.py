"""Export a PyTorch ``torch.export`` program (``.pt2``) to ONNX with a dynamic batch dimension,
and compare the two on the model's example input (a batch of 1 and one of 3); other deep
formats are refused with the target that serves them."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np

from deploy_advisor.errors import ModelError

from .parity import ParityReport, SampleRows

__all__ = ["DEEP_SUFFIXES", "TorchProgram", "check_deep_parity", "deep_sample", "export_torch"]

DEEP_SUFFIXES = (".pt2", ".pt", ".pth", ".keras")
SERVE_FIX = "serve it with --target docker"


class TorchProgram:
    """A loaded ``.pt2`` program: its module, its one float32 input and the shape of a row."""

    def __init__(self, model_path: Path) -> None:
        import torch

        self.path = model_path
        try:
            program = torch.export.load(str(model_path))
        except Exception as exc:
            raise _refusal(model_path, "torch.export program", exc) from None
        self.module = program.module()
        specs = [
            node.meta.get("val")
            for node in program.graph.nodes
            if node.op == "placeholder" and node.name in program.graph_signature.user_inputs
        ]
        if len(specs) != 1 or getattr(specs[0], "dtype", None) != torch.float32:
            raise ModelError(
                f"{model_path.name} takes {len(specs)} input(s) of "
                f"{[str(getattr(s, 'dtype', s)) for s in specs]}; an edge bundle takes one "
                f"float32 tensor; {SERVE_FIX}"
            )
        self.input_name = str(program.graph_signature.user_inputs[0])
        self.row_shape = tuple(int(d) for d in specs[0].shape[1:])
        examples = getattr(program, "example_inputs", None)
        first = examples[0][0] if examples and examples[0] else None
        self.example = (
            first[0].detach().numpy().astype(np.float32)
            if first is not None
            else np.zeros(self.row_shape, dtype=np.float32)
        )

    @property
    def n_features(self) -> int:
        return int(np.prod(self.row_shape))

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """The program's first output for a batch of rows shaped like its input."""
        import torch

        from deploy_advisor.runtime.formats.torch import to_numpy_outputs

        with torch.inference_mode():
            out = self.module(torch.from_numpy(np.ascontiguousarray(rows, dtype=np.float32)))
        return to_numpy_outputs(out)[0]


def export_torch(model_path: Path, out_path: Path) -> TorchProgram:
    """Write `out_path` from a ``.pt2`` program (legacy exporter, dynamic batch) or refuse."""
    import torch

    if model_path.suffix.lower() != ".pt2":
        kind = {".keras": "Keras model", "": "transformers directory"}.get(
            "" if model_path.is_dir() else model_path.suffix.lower(), "TorchScript file"
        )
        raise ModelError(
            f"{model_path.name} is a {kind}, which the edge export does not take yet (it takes "
            "torch.export programs, whose example input gives the shapes); save a .pt2 program "
            f"or {SERVE_FIX}"
        )
    program = TorchProgram(model_path)
    example = torch.from_numpy(program.example[None])
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=out_path.parent, suffix=".onnx", delete=False) as f:
        tmp = Path(f.name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                program.module, (example,), str(tmp),
                training=torch.onnx.TrainingMode.PRESERVE,  # a program cannot be put in eval()
                dynamo=False,
                input_names=[program.input_name],
                output_names=["output_0"],
                dynamic_axes={program.input_name: {0: "batch"}, "output_0": {0: "batch"}},
            )  # fmt: skip
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise _refusal(model_path, "PyTorch program", exc) from None
    tmp.chmod(0o644)
    tmp.replace(out_path)
    return program


def deep_sample(program: TorchProgram, *, seed: int = 0) -> SampleRows:
    """The example input and two rows near it; the example alone is the bundle's sample.json."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(scale=0.1, size=(2, *program.row_shape)).astype(np.float32)
    rows = np.concatenate([program.example[None], program.example[None] + noise])
    body = {"instances": rows[:1].astype(float).round(6).tolist()}
    return SampleRows(original=rows, onnx={program.input_name: rows}, count=len(rows), body=body)


def check_deep_parity(
    *, program: TorchProgram, onnx_path: Path, sample: SampleRows, tolerance: float,
    accept_drift: bool,
) -> ParityReport:  # fmt: skip
    """Max |torch − ONNX| on a batch of 1 and a batch of 3; refuses above `tolerance`."""
    from .parity import onnx_outputs

    rows = sample.original
    diff = 0.0
    for batch in (rows[:1], rows[:3]):
        expected = program.predict(batch).astype(np.float64)
        actual = onnx_outputs(onnx_path, {program.input_name: batch})
        diff = max(diff, float(np.max(np.abs(expected.reshape(actual.shape) - actual))))
    report = ParityReport(
        max_abs_diff=diff, tolerance=tolerance, rows=4, compared="outputs",
        accepted_drift=accept_drift,
    )  # fmt: skip
    if not report.within and not accept_drift:
        raise ModelError(
            f"ONNX outputs differ from the PyTorch program by up to {diff:.3g} on its example "
            f"input (batches of 1 and 3), over the tolerance {tolerance:g}; pass --accept-drift "
            f"to bundle it anyway or {SERVE_FIX}"
        )
    return report


def _refusal(model_path: Path, kind: str, exc: Exception) -> ModelError:
    lines = str(exc).strip().splitlines()
    reason = f"{type(exc).__name__}: {lines[0][:160] if lines else ''}"
    return ModelError(
        f"{model_path.name} ({kind}) cannot be exported to ONNX ({reason}); {SERVE_FIX}"
    )
