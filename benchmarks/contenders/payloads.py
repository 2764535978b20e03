"""Request bodies in each contender's protocol, and the probabilities read back from answers.

- ours: `{"instances": [[...]]}` for numeric models, `{"records": [{...}]}` for a DataFrame model;
  answers `{"predictions": [[p0, p1]]}`.
- instances (BentoML, MLflow, Flask): `{"instances": [[...]]}`; answers a list or
  `{"predictions": ...}`.
- v2 (MLServer): Open Inference Protocol v2. Numeric rows are one FP64 tensor; a DataFrame
  model gets one input per column with the pandas codec (`content_type: "pd"`), strings as
  BYTES with `content_type: "str"`. The sklearn and XGBoost runtimes are asked for
  `predict_proba`; the LightGBM runtime answers the booster's probability of class 1.
- litserve: `{"input": row}`, one row per request (LitServe batches on the server); answers
  `{"output": [p0, p1]}`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .models import BenchModel

__all__ = ["PROTOCOLS", "matches", "probabilities", "request_body"]

PROTOCOLS = ("ours", "instances", "v2", "litserve")
ATOL = 1e-5  # ONNX computes in float32 (largest difference about 4e-7)


def request_body(protocol: str, model: BenchModel, rows: list[Any]) -> dict[str, Any]:
    """The JSON body that asks `protocol`'s server to score `rows` of `model`."""
    if protocol == "ours":
        return {"records": rows} if model.is_frame else {"instances": rows}
    if protocol == "instances":
        if model.is_frame:
            raise ValueError("the `instances` contenders serve numeric models only")
        return {"instances": rows}
    if protocol == "v2":
        return _v2_body(model, rows)
    if protocol == "litserve":
        if len(rows) != 1:
            raise ValueError("LitServe requests carry one row; it batches on the server")
        return {"input": rows[0]}
    raise ValueError(f"unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}")


def _v2_body(model: BenchModel, rows: list[Any]) -> dict[str, Any]:
    body: dict[str, Any]
    if model.is_frame:
        inputs = []
        for column in model.columns:
            tensor: dict[str, Any] = {
                "name": column.name,
                "shape": [len(rows), 1],
                "datatype": column.datatype,
                "data": [row[column.name] for row in rows],
            }
            if column.datatype == "BYTES":
                tensor["parameters"] = {"content_type": "str"}
            inputs.append(tensor)
        body = {"parameters": {"content_type": "pd"}, "inputs": inputs}
    else:
        width = len(rows[0])
        body = {
            "inputs": [
                {
                    "name": "input-0",
                    "shape": [len(rows), width],
                    "datatype": "FP64",
                    "data": [float(v) for row in rows for v in row],
                }
            ]
        }
    if model.kind != "lightgbm":
        body["outputs"] = [{"name": "predict_proba"}]
    return body


def probabilities(protocol: str, answer: Any) -> np.ndarray:
    """The probabilities in an answer: rows by classes, or one column of class-1 probabilities."""
    if protocol == "v2":
        output = answer["outputs"][0]
        return np.asarray(output["data"], dtype=float).reshape(output["shape"])
    if protocol == "litserve":
        return np.asarray([answer["output"]], dtype=float)
    if isinstance(answer, dict):
        answer = answer["predictions"]
    return np.asarray(answer, dtype=float)


def matches(got: np.ndarray, expected: list[list[float]]) -> bool:
    """True when `got` holds `expected`'s probabilities (or just its class-1 column)."""
    want = np.asarray(expected, dtype=float)
    if got.ndim == 1 or (got.ndim == 2 and got.shape[1] == 1 and want.shape[1] == 2):
        got, want = got.reshape(-1), want[:, 1]
    return got.shape == want.shape and bool(np.allclose(got, want, atol=ATOL))
