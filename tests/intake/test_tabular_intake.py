"""`inspect` on tabular models: the typed schema, --sample, --schema, --trust-types, and
sample payloads drawn from the schema that the model takes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from deploy_advisor.errors import InputError
from deploy_advisor.intake import inspect_model, sample_payloads
from deploy_advisor.runtime.frames import check_rows, records_in_order
from deploy_advisor.runtime.loader import load_model
from tests.intake.helpers import inspect_cli
from tests.runtime.tabular import Tabular, build


@pytest.fixture(scope="module")
def tabular(tmp_path_factory: pytest.TempPathFactory) -> Tabular:
    return build(tmp_path_factory.mktemp("tabular"))


def test_json_report_prints_the_schema(tabular: Tabular) -> None:
    import sklearn

    done = inspect_cli(str(tabular.churn_path), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert (doc["framework"], doc["framework_version"]) == ("sklearn", sklearn.__version__)
    assert doc["output"] == "predict_proba"
    cols = {c["name"]: c for c in doc["schema"]["columns"]}
    assert cols["plan"] == {
        "name": "plan",
        "type": "string",
        "nullable": False,
        "categories": ["basic", "pro", "team"],
    }
    assert cols["charges"]["nullable"] is True
    assert doc["schema"]["needs_dataframe"] is True
    assert set(doc["sample_payload"]) == {"records"}
    assert set(doc["sample_payload"]["records"][0]) == set(cols)


def test_text_report_lists_columns_and_framework(tabular: Tabular) -> None:
    done = inspect_cli(str(tabular.churn_path))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Input columns" in out
    assert "│ plan      │ string │ basic, pro, team" in out
    assert "refused" in out and "allowed" in out
    assert "│ framework         │ sklearn" in out


def test_booster_report_names_its_framework(tabular: Tabular) -> None:
    import xgboost

    report = inspect_model(tabular.files["xgb_ubj"])
    assert (report.format, report.framework) == ("xgboost-ubj", "xgboost")
    assert report.framework_version == xgboost.__version__
    assert report.outputs == ["predict", "predict_proba", "raw"]
    assert not any("unpickles" in w for w in report.warnings)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_sample_corrects_types_ranges_and_known_values(
    tabular: Tabular, tmp_path: Path, kind: str
) -> None:
    sample = tmp_path / f"train.{kind}"
    frame = tabular.frame
    if kind == "csv":
        frame.to_csv(sample, index=False)
    else:
        frame.to_parquet(sample)
    report = inspect_model(tabular.churn_path, sample=sample)
    cols = {c.name: c for c in report.input_schema.columns}
    assert cols["tenure"].type == "int"
    assert (cols["tenure"].minimum, cols["tenure"].maximum) == (
        float(frame["tenure"].min()),
        float(frame["tenure"].max()),
    )
    assert cols["charges"].type == "float" and cols["charges"].nullable
    assert cols["region"].known_values == ("apac", "eu", "us")
    assert cols["plan"].categories == ("basic", "pro", "team")
    assert cols["paperless"].type == "bool"


def test_sample_without_the_model_columns_is_refused(tabular: Tabular, tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text("x,y\n1,2\n")
    with pytest.raises(InputError, match="lacks the model's column"):
        inspect_model(tabular.churn_path, sample=tmp_path / "s.csv")
    done = inspect_cli(str(tabular.churn_path), "--sample", str(tmp_path / "s.csv"))
    assert done.returncode == 2
    assert done.stderr.strip().startswith("Error: ")
    assert len(done.stderr.strip().splitlines()) == 1


def test_schema_file_is_used(tabular: Tabular, tmp_path: Path) -> None:
    doc = load_model(tabular.churn_path).schema.to_json()
    doc["columns"][2].update(type="int", minimum=10, maximum=20)
    (tmp_path / "schema.json").write_text(json.dumps(doc))
    report = inspect_model(tabular.churn_path, schema=tmp_path / "schema.json")
    tenure = report.input_schema.columns[2]
    assert (tenure.type, tenure.minimum, tenure.maximum) == ("int", 10, 20)
    bodies = sample_payloads(report, count=8)
    values = [rec["tenure"] for body in bodies for rec in body["records"]]
    assert all(isinstance(v, int) and 10 <= v <= 20 for v in values)


def test_skops_trust_types_flag(tabular: Tabular) -> None:
    done = inspect_cli(str(tabular.files["churn_skops"]))
    assert done.returncode == 2
    assert "--trust-types numpy.dtype" in done.stderr
    done = inspect_cli(str(tabular.files["churn_skops"]), "--trust-types", "numpy.dtype", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["format"] == "skops"


def test_payloads_from_the_schema_are_realistic_and_taken_by_the_model(
    tabular: Tabular, tmp_path: Path
) -> None:
    sample = tmp_path / "train.csv"
    tabular.frame.to_csv(sample, index=False)
    report = inspect_model(tabular.churn_path, sample=sample)
    bodies = sample_payloads(report, count=12, seed=3)
    model = load_model(tabular.churn_path)
    plans, tenures = set(), []
    for body in bodies:
        rows = records_in_order(body["records"], model.schema.names)
        out = model.predict(check_rows(rows, model.schema, "records"))
        assert out.shape == (len(rows), 2)
        plans.update(r[0] for r in rows)
        tenures += [r[2] for r in rows]
    assert plans == {"basic", "pro", "team"}
    assert min(tenures) >= 0 and max(tenures) <= 71 and len(set(tenures)) > 5
    assert not np.allclose(tenures, 0)
