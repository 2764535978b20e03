"""Loading tabular models: derived schemas, frameworks, outputs, skops trust, missing code."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from deploy_advisor.runtime.frames import check_rows, to_frame
from deploy_advisor.runtime.loader import ModelLoadError, load_model, read_schema_file
from deploy_advisor.runtime.validation import HTTPError

from .conftest import Models
from .tabular import Tabular, records


def test_pipeline_schema_comes_from_the_fitted_encoders(tabular: Tabular) -> None:
    import sklearn

    m = load_model(tabular.churn_path)
    cols = {c.name: c for c in m.schema.columns}
    assert m.schema.names == ["plan", "region", "tenure", "charges", "paperless"]
    assert m.schema.needs_dataframe and not m.schema.numeric_only
    assert (cols["plan"].type, cols["plan"].categories, cols["plan"].nullable) == (
        "string",
        ("basic", "pro", "team"),
        False,
    )
    # handle_unknown="ignore": any region is taken; the known ones are kept for payloads
    assert cols["region"].categories is None
    assert cols["region"].known_values == ("apac", "eu", "us")
    assert cols["charges"].nullable and cols["tenure"].nullable  # imputed
    assert cols["paperless"].type == "bool"
    assert (m.framework, m.framework_version) == ("sklearn", sklearn.__version__)
    assert m.outputs == ("predict", "predict_proba", "decision_function")
    assert (m.output, m.output_kind, m.classes) == ("predict_proba", "probabilities", [0, 1])


def test_predict_frame_equals_the_pipeline(tabular: Tabular) -> None:
    m = load_model(tabular.churn_path)
    frame = tabular.frame.head(30)
    rows = [list(r.values()) for r in records(frame)]
    np.testing.assert_allclose(m.predict_frame(rows), tabular.churn.predict_proba(frame))
    rebuilt = to_frame(check_rows(rows, m.schema), m.schema)
    kinds = [str(t) for t in rebuilt.dtypes]
    assert kinds[2:] == ["float64", "float64", "bool"]
    assert all(k in ("object", "str") for k in kinds[:2])


@pytest.mark.parametrize(
    ("key", "framework", "fmt", "outputs"),
    [
        ("xgb_json", "xgboost", "xgboost-json", ("predict", "predict_proba", "raw")),
        ("xgb_ubj", "xgboost", "xgboost-ubj", ("predict", "predict_proba", "raw")),
        ("xgb_pickle", "xgboost", "joblib", ("predict", "predict_proba", "raw")),
        ("lgbm_txt", "lightgbm", "lightgbm-txt", ("predict", "raw")),
        ("lgbm_pickle", "lightgbm", "pickle", ("predict", "raw")),
        ("catboost_cbm", "catboost", "catboost-cbm", ("predict", "predict_proba", "raw")),
        ("catboost_pickle", "catboost", "joblib", ("predict", "predict_proba", "raw")),
    ],
)
def test_booster_formats(
    tabular: Tabular, key: str, framework: str, fmt: str, outputs: tuple[str, ...]
) -> None:
    import importlib

    m = load_model(tabular.files[key])
    assert (m.framework, m.format, m.outputs) == (framework, fmt, outputs)
    # the module's version: xgboost installs as the `xgboost` or the `xgboost-cpu` distribution
    assert m.framework_version == importlib.import_module(framework).__version__
    assert m.schema.names[:4] == ["a", "b", "c", "d"]
    assert all(c.nullable for c in m.schema.columns if c.type == "float")
    if framework == "catboost":
        city = m.schema.columns[4]
        assert (city.name, city.type, city.nullable) == ("city", "string", False)
        assert m.schema.needs_dataframe
    else:
        assert m.schema.numeric_only


def test_raw_output_is_the_margin(tabular: Tabular) -> None:
    frame = tabular.numeric.head(10)
    x = frame.to_numpy()
    xgb = tabular.estimators["xgb"]
    for key in ("xgb_json", "xgb_pickle"):
        m = load_model(tabular.files[key], output="raw")
        assert m.output_kind == "margins"
        np.testing.assert_allclose(m.predict(x), xgb.predict(frame, output_margin=True), atol=1e-5)
    m = load_model(tabular.files["xgb_ubj"], output="predict")
    assert m.predict(x).tolist() == xgb.predict(frame).tolist()
    lgbm = tabular.estimators["lgbm"]
    m = load_model(tabular.files["lgbm_txt"], output="raw")
    np.testing.assert_allclose(m.predict(x), lgbm.predict(frame, raw_score=True))
    cat = tabular.estimators["catboost"]
    m = load_model(tabular.files["catboost_cbm"], output="raw")
    rows = [list(r.values()) for r in records(tabular.with_city.head(10))]
    want = cat.predict(tabular.with_city.head(10), prediction_type="RawFormulaVal")
    np.testing.assert_allclose(m.predict_frame(rows), want, atol=1e-6)


def test_an_output_the_model_lacks_is_refused(tabular: Tabular) -> None:
    with pytest.raises(ModelLoadError, match="has no decision_function output; it has predict"):
        load_model(tabular.files["lgbm_txt"], output="decision_function")
    with pytest.raises(ModelLoadError, match="unknown output 'proba'"):
        load_model(tabular.churn_path, output="proba")


def test_skops_refuses_untrusted_types_unless_listed(tabular: Tabular) -> None:
    with pytest.raises(ModelLoadError, match=r"does not trust: .*user_transforms\.Doubler"):
        load_model(tabular.files["custom_skops"])
    with pytest.raises(ModelLoadError, match="--trust-types numpy.dtype"):
        load_model(tabular.files["churn_skops"])
    m = load_model(tabular.files["churn_skops"], trust_types=["numpy.dtype"])
    assert (m.format, m.framework) == ("skops", "sklearn")
    frame = tabular.frame.head(8)
    rows = [list(r.values()) for r in records(frame)]
    np.testing.assert_allclose(m.predict_frame(rows), tabular.churn.predict_proba(frame))


def test_skops_with_trusted_custom_type_needs_its_module(tabular: Tabular) -> None:
    trusted = ["user_transforms.Doubler", "numpy.dtype"]
    with pytest.raises(ModelLoadError, match="needs the Python module 'user_transforms'"):
        load_model(tabular.files["custom_skops"], trust_types=trusted)


def test_missing_user_module_names_it_and_the_flag(tabular: Tabular) -> None:
    with pytest.raises(ModelLoadError) as caught:
        load_model(tabular.files["custom_pickle"])
    text = str(caught.value)
    assert "'user_transforms'" in text and "scaffold --code PATH" in text
    assert "PYTHONPATH" in text


def test_schema_file_replaces_the_derived_one(tabular: Tabular, tmp_path: Path) -> None:
    doc = load_model(tabular.churn_path).schema.to_json()
    doc["columns"][2]["type"] = "int"
    doc["columns"][2]["nullable"] = False
    (tmp_path / "s.json").write_text(json.dumps({"schema": doc}))
    m = load_model(tabular.churn_path, schema=read_schema_file(tmp_path / "s.json"))
    tenure = m.schema.columns[2]
    assert (tenure.type, tenure.nullable) == ("int", False)
    with pytest.raises(HTTPError, match="missing value at row 0, column 'tenure'"):
        check_rows([["pro", "eu", None, 1.0, True]], m.schema)
    with pytest.raises(HTTPError, match="not a whole number"):
        check_rows([["pro", "eu", 1.5, 1.0, True]], m.schema)
    doc["columns"] = doc["columns"][:3]
    (tmp_path / "short.json").write_text(json.dumps(doc))
    with pytest.raises(ModelLoadError, match="the schema has 3 columns but churn.joblib takes 5"):
        load_model(tabular.churn_path, schema=read_schema_file(tmp_path / "short.json"))
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ModelLoadError, match="bad.json is not usable"):
        read_schema_file(tmp_path / "bad.json")


def test_native_json_that_is_not_a_booster_is_an_unknown_format(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"a": 1}')
    with pytest.raises(ModelLoadError, match=r"unknown model format \.json"):
        load_model(tmp_path / "config.json")


def test_numeric_models_never_import_pandas(models: Models) -> None:
    """The runtime and an ONNX model never import pandas (scikit-learn, XGBoost and LightGBM
    import it themselves when it is installed)."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from deploy_advisor.runtime import app, frames, score, score_typed\n"
        "from deploy_advisor.runtime.loader import load_model\n"
        "for path in sys.argv[1:]:\n"
        "    m = load_model(path)\n"
        "    assert m.schema.numeric_only, path\n"
        "    m.predict(np.zeros((2, m.n_features)))\n"
        "print('pandas' in sys.modules)\n"
    )
    paths = [models.rf_onnx]
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, paths)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_boosters_fitted_on_pandas_categories_take_strings(tmp_path: Path) -> None:
    import joblib
    import lightgbm
    import pandas as pd
    import xgboost

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"a": rng.normal(size=120), "city": pd.Categorical(rng.choice(["x", "y", "z"], 120))}
    )
    y = (frame["city"] == "y").astype(int) ^ (frame["a"] > 0.5).astype(int)
    fitted = {
        "xgb": xgboost.XGBClassifier(n_estimators=4, enable_categorical=True).fit(frame, y),
        "lgbm": lightgbm.LGBMClassifier(n_estimators=4, verbose=-1, min_child_samples=5).fit(
            frame, y
        ),
    }
    rows = [[float(a), str(c)] for a, c in zip(frame["a"][:20], frame["city"][:20], strict=True)]
    for name, est in fitted.items():
        joblib.dump(est, tmp_path / f"{name}.joblib")
        m = load_model(tmp_path / f"{name}.joblib")
        city = m.schema.columns[1]
        assert (city.name, city.type, city.known_values) == ("city", "string", ("x", "y", "z"))
        assert m.schema.needs_dataframe
        np.testing.assert_allclose(
            m.predict_frame(rows), est.predict_proba(frame.head(20)), atol=1e-6
        )


def test_column_selectors_slices_and_remainders_are_resolved() -> None:
    import pandas as pd
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from deploy_advisor.runtime.formats.sklearn_schema import sklearn_schema

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"a": rng.normal(size=50), "s": rng.choice(["x", "y"], 50), "b": rng.normal(size=50)}
    )
    y = rng.integers(0, 2, 50)
    selecting = ColumnTransformer(
        [
            ("c", OneHotEncoder(), make_column_selector(dtype_exclude="number")),
            ("n", StandardScaler(), slice(0, 1)),
        ],
        remainder="passthrough",
    )
    remainder = ColumnTransformer([("c", OneHotEncoder(), [1])], remainder=StandardScaler())
    for ct in (selecting, remainder):
        schema = sklearn_schema(
            make_pipeline(ct, LogisticRegression()).fit(frame, y), allow_nan=False
        )
        assert schema is not None
        assert [(c.name, c.type, c.categories) for c in schema.columns] == [
            ("a", "float", None),
            ("s", "string", ("x", "y")),
            ("b", "float", None),
        ]
        assert schema.needs_dataframe
