from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer

from deploy_advisor.errors import InputError, ModelError
from deploy_advisor.intake import ModelReport, sample_payloads
from deploy_advisor.intake.payloads import write_payloads


def _report(**changes: object) -> ModelReport:
    fields: dict[str, object] = {
        "path": "model.joblib", "format": "joblib", "estimator": "Ridge", "sha256": "0" * 64,
        "size_bytes": 1, "n_features": 3, "feature_names": None, "output_kind": "values",
        "n_outputs": 1, "classes": None, "load_seconds": 0.1, "rss_mb": 90.0,
        "trained_sklearn_version": None, "installed_sklearn_version": None,
    }  # fmt: skip
    return ModelReport(**{**fields, **changes})  # type: ignore[arg-type]


def test_example_model_gets_real_dataset_rows() -> None:
    bodies = sample_payloads(_report(n_features=30, sample_dataset="breast_cancer"), count=8)
    real = {tuple(float(v) for v in row) for row in load_breast_cancer().data}
    rows = [row for body in bodies for row in body["instances"]]
    assert all(tuple(row) in real for row in rows)
    assert [len(b["instances"]) for b in bodies] == [1, 1, 1, 4, 1, 1, 1, 4]  # no names: no records


def test_schema_rows_with_feature_names_include_records() -> None:
    names = ["age", "income", "score"]
    bodies = sample_payloads(_report(feature_names=names), count=4, seed=3)
    assert bodies[2]["records"][0].keys() == set(names)
    assert [len(b.get("instances", [])) for b in bodies] == [1, 1, 0, 4]
    assert all(len(row) == 3 for b in bodies for row in b.get("instances", []))
    assert json.loads(json.dumps(bodies)) == bodies
    assert sample_payloads(_report(feature_names=names), count=4, seed=3) == bodies
    assert sample_payloads(_report(feature_names=names), count=4, seed=4) != bodies


def test_no_feature_count_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="does not record its number of features"):
        sample_payloads(_report(n_features=None))


def test_write_payloads_never_overwrites_without_force(tmp_path: Path) -> None:
    target = tmp_path / "payloads.json"
    write_payloads(target, [{"instances": [[1.0]]}])
    with pytest.raises(InputError, match="already exists; pass --force"):
        write_payloads(target, [])
    write_payloads(target, [], force=True)
    assert json.loads(target.read_text()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["payloads.json"]
