"""LitServe 0.2 contender for the text classifier: batching 32 texts / 5 ms, 2 workers.

`python litserve_text_app.py PORT` serves the directory in `BENCH_MODEL` on /predict; a request
is `{"input": "some text"}` and the answer is `{"output": [score per label]}`. A batch is
tokenized padded to its longest text, as the transformers docs show.
"""

from __future__ import annotations

import os
import sys

import litserve as ls
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer


class TextAPI(ls.LitAPI):
    """Softmax scores over a batch of single-text requests."""

    def setup(self, device):  # type: ignore[no-untyped-def]
        path = os.environ["BENCH_MODEL"]
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True)
        self.model = model.eval()

    def decode_request(self, request):  # type: ignore[no-untyped-def]
        return request["input"]

    def batch(self, inputs):  # type: ignore[no-untyped-def]
        return self.tokenizer(list(inputs), padding=True, truncation=True, return_tensors="pt")

    def predict(self, x):  # type: ignore[no-untyped-def]
        with torch.inference_mode():
            return torch.softmax(self.model(**x).logits, dim=-1)

    def unbatch(self, output):  # type: ignore[no-untyped-def]
        return list(output)

    def encode_response(self, output):  # type: ignore[no-untyped-def]
        return {"output": output.tolist()}


if __name__ == "__main__":
    api = TextAPI(max_batch_size=32, batch_timeout=0.005)
    server = ls.LitServer(api, accelerator="cpu", workers_per_device=2)
    server.run(host="127.0.0.1", port=int(sys.argv[1]), generate_client_file=False)
