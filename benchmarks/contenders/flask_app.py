"""Naive Flask contender: the example RandomForest in the simplest app a data scientist writes.

`python flask_app.py PORT` runs Flask's threaded dev server; `gunicorn -w 2 flask_app:app` runs
the same app under gunicorn sync workers. The model path comes from `BENCH_MODEL`.
"""

from __future__ import annotations

import os
import sys

import joblib
import numpy as np
from flask import Flask, jsonify, request

app = Flask(__name__)
model = joblib.load(os.environ["BENCH_MODEL"])


@app.get("/ping")
def ping():  # type: ignore[no-untyped-def]
    return "ok"


@app.post("/predict")
def predict():  # type: ignore[no-untyped-def]
    instances = np.asarray(request.get_json()["instances"], dtype=np.float64)
    return jsonify(predictions=model.predict_proba(instances).tolist())


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
