"""example-model --kind churn|xgboost|lightgbm: realistic tabular models, trained offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from deploy_advisor.errors import InputError
from deploy_advisor.intake.tabular_examples import churn_frame, make_tabular_example
from deploy_advisor.targets.pinning import framework_pins, model_needs


def test_the_churn_table_has_strings_and_missing_values_and_is_the_same_every_time() -> None:
    frame, labels = churn_frame(rows=500)
    again, _ = churn_frame(rows=500)
    pd.testing.assert_frame_equal(frame, again)
    assert frame["contract"].map(type).eq(str).all()
    assert frame["payment_method"].isna().any() and frame["monthly_charges"].isna().any()
    assert 0.1 < labels.mean() < 0.9


def test_churn_is_a_dataframe_pipeline_that_pins_pandas(tmp_path: Path) -> None:
    example = make_tabular_example("churn", tmp_path)
    model = joblib.load(example.model_path)
    sample = pd.read_csv(example.sample_path)
    assert list(sample.columns) == list(model.feature_names_in_)
    unseen = sample.head(3).assign(contract=["weekly", "one-year", None])
    assert model.predict_proba(unseen).shape == (3, 2), "unknown and missing categories"
    assert example.train_accuracy > 0.6
    pins = {r.name for r in framework_pins(model_needs(example.model_path))}
    assert "pandas" in pins


@pytest.mark.parametrize(("kind", "name"), [("xgboost", "model.json"), ("lightgbm", "model.txt")])
def test_boosters_are_saved_natively_and_predict_like_the_trained_model(
    tmp_path: Path, kind: str, name: str
) -> None:
    example = make_tabular_example(kind, tmp_path)
    assert example.model_path.name == name
    sample = pd.read_csv(example.sample_path)
    if kind == "xgboost":
        import xgboost

        assert "learner" in json.loads(example.model_path.read_text())
        booster = xgboost.Booster(model_file=str(example.model_path))
        scores = booster.predict(xgboost.DMatrix(sample))
    else:
        import lightgbm

        booster = lightgbm.Booster(model_file=str(example.model_path))
        scores = booster.predict(sample)
    assert scores.shape == (len(sample),) and np.all((scores >= 0) & (scores <= 1))
    assert model_needs(example.model_path).framework == kind


def test_an_existing_model_is_kept_without_force(tmp_path: Path) -> None:
    make_tabular_example("lightgbm", tmp_path)
    with pytest.raises(InputError, match="--force"):
        make_tabular_example("lightgbm", tmp_path)
    make_tabular_example("lightgbm", tmp_path, force=True)


def test_the_command_line_names_an_unknown_kind() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "deploy_advisor", "example-model", "--kind", "svm", "-o", "x"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "Error: --kind 'svm' is unknown; use one of forest, churn, xgboost, lightgbm"
    )
