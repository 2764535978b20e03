"""requirements.txt pins scikit-learn to the training version and flags a mismatch."""

from __future__ import annotations

from dataclasses import replace
from importlib import metadata

from deploy_advisor.targets.requirements import (
    render_requirements,
    serving_requirements,
    sklearn_mismatch,
)
from tests.targets.test_golden import FACTS


def test_model_trained_here_pins_the_installed_stack() -> None:
    here = metadata.version("scikit-learn")
    facts = replace(FACTS, trained_sklearn_version=here)
    pins = {r.name: r.version for r in serving_requirements(facts, gunicorn=True)}
    assert pins["scikit-learn"] == here
    assert pins["numpy"] == metadata.version("numpy")
    assert pins["gunicorn"] == metadata.version("gunicorn")
    assert sklearn_mismatch(facts) is None


def test_older_training_version_is_pinned_with_a_compatible_numpy() -> None:
    facts = replace(FACTS, trained_sklearn_version="1.3.2")
    text = render_requirements(serving_requirements(facts, gunicorn=False))
    assert "scikit-learn==1.3.2  # the version the model was trained with\n" in text
    assert "numpy==1.26.4  # compatible with scikit-learn 1.3.2\n" in text
    assert "gunicorn" not in text
    warning = sklearn_mismatch(facts)
    assert warning is not None and "pins scikit-learn==1.3.2" in warning


def test_onnx_models_need_onnxruntime_not_scikit_learn() -> None:
    facts = replace(FACTS, format="onnx", trained_sklearn_version=None)
    names = [r.name for r in serving_requirements(facts, gunicorn=False)]
    assert "onnxruntime" in names and "scikit-learn" not in names
