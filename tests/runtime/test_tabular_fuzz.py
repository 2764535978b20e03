"""Any JSON value in any column of a DataFrame model is either refused with a 4xx naming the
column and the row, or predicted: never an exception from the model (a 500)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploy_advisor.runtime.frames import check_rows, records_in_order
from deploy_advisor.runtime.loader import LoadedModel, load_model
from deploy_advisor.runtime.validation import HTTPError

from .tabular import Tabular

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["basic", "pro", "team", "eu", "us", "apac", "", "gold"])
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=3,
)
NAMES = ["plan", "region", "tenure", "charges", "paperless"]


@pytest.fixture(scope="module")
def churn(tabular: Tabular) -> LoadedModel:
    return load_model(tabular.churn_path)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    records=st.lists(
        st.fixed_dictionaries(
            dict.fromkeys(NAMES, JSON_VALUES),
            optional={"extra": JSON_VALUES},
        ),
        min_size=1,
        max_size=3,
    )
)
def test_any_record_is_refused_by_name_or_predicted(
    churn: LoadedModel, records: list[dict[str, Any]]
) -> None:
    try:
        rows = records_in_order(records, churn.schema.names)
        table = check_rows(rows, churn.schema, "records")
    except HTTPError as exc:
        assert 400 <= exc.status < 500
        assert "row " in exc.message and "\n" not in exc.message
        assert "column" in exc.message or "feature count" in exc.message
        return
    out = churn.predict(table)
    assert out.shape == (len(records), 2)
