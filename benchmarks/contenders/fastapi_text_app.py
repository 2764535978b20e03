"""Plain FastAPI contender, as most tutorials write it: a transformers pipeline called per request.

`uvicorn fastapi_text_app:app --workers 2` serves the directory in `BENCH_MODEL` on /predict; a
request is `{"text": "..."}` and the answer is the pipeline's `[{"label", "score"}, ...]` for
every label.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from pydantic import BaseModel
from transformers import pipeline

classifier = pipeline(
    "text-classification", model=os.environ["BENCH_MODEL"], device="cpu", local_files_only=True
)
app = FastAPI()


class Item(BaseModel):
    text: str


@app.post("/predict")
def predict(item: Item) -> list[dict[str, object]]:
    return list(classifier(item.text, top_k=None))


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
