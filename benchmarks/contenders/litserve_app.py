"""LitServe 0.2 contender: one model behind a LitAPI, batching 64 rows / 5 ms, 2 workers.

`python litserve_app.py PORT` serves `BENCH_MODEL` (a joblib file) on /predict; a request is
`{"input": row}` (a list of numbers, or an object keyed by column when `BENCH_FRAME=1`) and the
answer is `{"output": [probabilities]}`.
"""

from __future__ import annotations

import os
import sys

import joblib
import litserve as ls
import numpy as np


class TabularAPI(ls.LitAPI):
    """predict_proba over a batch of single-row requests."""

    def setup(self, device):  # type: ignore[no-untyped-def]
        self.model = joblib.load(os.environ["BENCH_MODEL"])
        self.frame = os.environ.get("BENCH_FRAME") == "1"

    def decode_request(self, request):  # type: ignore[no-untyped-def]
        return request["input"]

    def batch(self, inputs):  # type: ignore[no-untyped-def]
        if self.frame:
            import pandas as pd

            return pd.DataFrame(list(inputs))
        return np.asarray(inputs, dtype=np.float64)

    def predict(self, x):  # type: ignore[no-untyped-def]
        return self.model.predict_proba(x)

    def unbatch(self, output):  # type: ignore[no-untyped-def]
        return list(output)

    def encode_response(self, output):  # type: ignore[no-untyped-def]
        return {"output": output.tolist()}


if __name__ == "__main__":
    api = TabularAPI(max_batch_size=64, batch_timeout=0.005)
    server = ls.LitServer(api, accelerator="cpu", workers_per_device=2)
    server.run(host="127.0.0.1", port=int(sys.argv[1]), generate_client_file=False)
