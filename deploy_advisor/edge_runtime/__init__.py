"""A minimal on-device runtime for an ONNX model: onnxruntime, numpy and the standard library.

Copied verbatim into edge bundles. `python -m edge_runtime --help` lists the commands.
"""

__all__ = ["EdgeModel", "load"]

from .model import EdgeModel, load
