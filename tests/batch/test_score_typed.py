"""The batch scorer on typed columns (strings, integers, booleans, missing values) for a
pipeline over a DataFrame and a CatBoost model, from CSV and Parquet, with rejected rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.runtime.tabular import Tabular, build

from .conftest import read_predictions, run_scorer

# (row index, column, bad value, reason in rejects.csv)
BAD = [
    (3, "plan", "gold", "column 'plan': unknown category 'gold'"),
    (7, "tenure", "abc", "column 'tenure': 'abc' is not a number"),
    (11, "plan", "", "column 'plan': missing value, which the model can't take"),
    (15, "paperless", "maybe", "column 'paperless': 'maybe' is not true or false"),
    (19, "tenure", "2.5", "column 'tenure': 2.5 is not a whole number"),
]


@pytest.fixture(scope="module")
def tabular(tmp_path_factory: pytest.TempPathFactory) -> Tabular:
    return build(tmp_path_factory.mktemp("tabular"))


def _schema_with_int_tenure(tabular: Tabular, path: Path) -> Path:
    """The churn model's schema, corrected so that tenure takes whole numbers."""
    from deploy_advisor.runtime.loader import load_model

    doc = load_model(tabular.churn_path).schema.to_json()
    for col in doc["columns"]:
        if col["name"] == "tenure":
            col["type"] = "int"
    path.write_text(json.dumps(doc))
    return path


def _rows(tabular: Tabular) -> list[dict[str, Any]]:
    frame = tabular.frame.head(60)
    out = []
    for i, rec in enumerate(frame.to_dict(orient="records")):
        row = {"id": f"c{i}"}
        for k, v in rec.items():
            if isinstance(v, float) and np.isnan(v):
                row[k] = ""
            elif isinstance(v, (bool, np.bool_)):
                row[k] = "true" if v else "false"
            else:
                row[k] = str(v)
        out.append(row)
    for i, col, value, _ in BAD:
        out[i][col] = value
    return out


def _write(rows: list[dict[str, Any]], path: Path, kind: str) -> Path:
    if kind == "csv":
        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return path
    import pyarrow as pa
    import pyarrow.parquet as pq

    def typed(name: str, v: str) -> Any:
        if v == "":
            return None
        if name == "tenure":
            return float(v) if v.replace(".", "", 1).isdigit() else v
        return v

    # Parquet keeps real types where the value has one; bad values stay text in a text column.
    columns = {name: [typed(name, r[name]) for r in rows] for name in rows[0]}
    columns["tenure"] = [str(v) if v is not None else None for v in columns["tenure"]]
    columns["charges"] = [float(v) if v is not None else None for v in columns["charges"]]
    pq.write_table(pa.table(columns), path)
    return path


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_typed_columns_are_scored_and_bad_rows_rejected(
    tabular: Tabular, tmp_path: Path, kind: str
) -> None:
    import pandas as pd

    rows = _rows(tabular)
    source = _write(rows, tmp_path / f"in.{kind}", kind)
    model = tmp_path / "churn.joblib"
    model.write_bytes(tabular.churn_path.read_bytes())
    _schema_with_int_tenure(tabular, tmp_path / "schema.json")
    done = run_scorer(
        "--model", model, "--input", source, "--output", tmp_path / "out", "--id-column", "id",
        "--chunk-rows", "25", "--schema", tmp_path / "schema.json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with (tmp_path / "out" / "rejects.csv").open() as f:
        rejects = list(csv.DictReader(f))
    assert [(r["id"], r["reason"]) for r in rejects] == [(f"c{i}", why) for i, _, _, why in BAD]
    bad = {i for i, *_ in BAD}
    good = [i for i in range(len(rows)) if i not in bad]
    ids, probabilities = read_predictions(tmp_path / "out")
    assert ids == [f"c{i}" for i in good]
    frame = tabular.frame.head(60).iloc[good]
    want = tabular.churn.predict_proba(pd.DataFrame(frame))
    np.testing.assert_allclose(probabilities, want, rtol=0, atol=1e-9)


def test_catboost_string_column_from_csv(tabular: Tabular, tmp_path: Path) -> None:
    frame = tabular.with_city.head(40).copy()
    frame.insert(0, "id", [f"r{i}" for i in range(len(frame))])
    frame.loc[5, "city"] = ""
    frame.to_csv(tmp_path / "in.csv", index=False)
    done = run_scorer(
        "--model", tabular.files["catboost_cbm"], "--input", tmp_path / "in.csv",
        "--output", tmp_path / "out", "--id-column", "id",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with (tmp_path / "out" / "rejects.csv").open() as f:
        rejects = [(r["row"], r["id"], r["reason"]) for r in csv.DictReader(f)]
    assert rejects == [("6", "r5", "column 'city': missing value, which the model can't take")]
    ids, probabilities = read_predictions(tmp_path / "out")
    keep = [i for i in range(40) if i != 5]
    want = tabular.estimators["catboost"].predict_proba(tabular.with_city.head(40).iloc[keep])
    assert ids == [f"r{i}" for i in keep]
    np.testing.assert_allclose(probabilities, want, rtol=0, atol=1e-9)
