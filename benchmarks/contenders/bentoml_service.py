"""BentoML 1.4 contender: the example RandomForest behind `@bentoml.service`, default and batchable.

Started by benchmarks/serving.py from its own venv as `bentoml serve bentoml_service:RFDefault`
(or `:RFBatchable`) with the model path in `BENCH_MODEL`.
"""

from __future__ import annotations

import os

import bentoml
import joblib
import numpy as np


def _load():  # type: ignore[no-untyped-def]
    return joblib.load(os.environ["BENCH_MODEL"])


@bentoml.service
class RFDefault:
    """Default settings: one worker, one request per `predict_proba` call."""

    def __init__(self) -> None:
        self.model = _load()

    @bentoml.api
    def predict(self, instances: list[list[float]]) -> list[list[float]]:
        return self.model.predict_proba(np.asarray(instances, dtype=np.float64)).tolist()


@bentoml.service
class RFBatchable:
    """Adaptive batching: BentoML merges concurrent requests into one `predict_proba` call."""

    def __init__(self) -> None:
        self.model = _load()

    @bentoml.api(batchable=True, batch_dim=0)
    def predict(self, instances: list[list[float]]) -> list[list[float]]:
        return self.model.predict_proba(np.asarray(instances, dtype=np.float64)).tolist()
