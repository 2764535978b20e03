"""Real model files for the intake tests: the example model, trained once per session."""

from __future__ import annotations

import pytest

from deploy_advisor.intake import ExampleModel, make_example_model

# Exactly what MLflow 3.17 writes for `mlflow.sklearn.save_model(..., serialization_format=
# "cloudpickle", pyfunc_predict_fn="predict_proba")`; SKLEARN is filled in.
MLMODEL = """flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict_proba
    python_version: 3.11.7
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: SKLEARN
    skops_trusted_types: null
mlflow_version: 3.17.2
model_id: null
model_size_bytes: 375407
model_uuid: 91a4915f55b44604ba29484ce6891391
prompts: null
utc_time_created: '2026-11-22 00:59:30.284866'
"""


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> ExampleModel:
    return make_example_model(tmp_path_factory.mktemp("example"))


@pytest.fixture
def mlmodel_text() -> str:
    """The MLmodel file MLflow writes for the example model, for the installed scikit-learn."""
    import sklearn

    return MLMODEL.replace("SKLEARN", str(sklearn.__version__))
