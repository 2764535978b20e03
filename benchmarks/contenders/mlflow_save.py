"""Save the example RandomForest as an MLflow model directory: `python mlflow_save.py MODEL OUT`.

cloudpickle serialisation, because MLflow 3.17+ defaults to skops, which refuses the forest's
tree objects; `predict_proba` so that `/invocations` answers probabilities like the others.
"""

from __future__ import annotations

import sys

import joblib
import mlflow.sklearn

if __name__ == "__main__":
    model_path, out_dir = sys.argv[1], sys.argv[2]
    mlflow.sklearn.save_model(
        joblib.load(model_path),
        out_dir,
        serialization_format="cloudpickle",
        pyfunc_predict_fn="predict_proba",
    )
