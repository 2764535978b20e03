"""The edge runtime's typed columns: every way of writing rows, and what each column is fed."""

from __future__ import annotations

import numpy as np
import pytest

from deploy_advisor.edge_runtime.columns import InputColumn, feed, parse_typed

COLUMNS = [
    InputColumn("plan", "string", "string", nullable=True),
    InputColumn("seats", "int64", "int", nullable=False),
    InputColumn("spend", "float", "float", nullable=True),
    InputColumn("region", "string", "string", nullable=False, categories=("eu", "us")),
]
EXPECTED = [["pro", 3, 12.5, "eu"], [None, 1, None, "us"]]


@pytest.mark.parametrize(
    "text",
    [
        '{"records": [{"plan": "pro", "seats": 3, "spend": 12.5, "region": "eu"},'
        ' {"region": "us", "spend": null, "seats": 1, "plan": null}]}',
        '{"instances": [["pro", 3, 12.5, "eu"], [null, 1, null, "us"]]}',
        '[["pro", 3, 12.5, "eu"], [null, 1, null, "us"]]',
        '{"plan": "pro", "seats": 3, "spend": 12.5, "region": "eu"}\n'
        '{"plan": null, "seats": 1, "spend": null, "region": "us"}\n',
        "region,spend,seats,plan\neu,12.5,3,pro\nus,,1,\n",
    ],
    ids=["records", "instances", "list", "json-lines", "csv"],
)
def test_every_way_of_writing_rows_reads_the_same_table(text: str) -> None:
    table = parse_typed(text, COLUMNS)

    assert table.tolist() == EXPECTED


def test_one_flat_row_is_one_row() -> None:
    assert parse_typed('["pro", 3, 12.5, "eu"]', COLUMNS).tolist() == EXPECTED[:1]


def test_each_column_is_fed_as_its_own_tensor() -> None:
    inputs = feed(parse_typed('{"instances": [[null, 1, null, "us"]]}', COLUMNS), COLUMNS)

    assert {name: (a.dtype.kind, a.shape) for name, a in inputs.items()} == {
        "plan": ("O", (1, 1)), "seats": ("i", (1, 1)), "spend": ("f", (1, 1)),
        "region": ("O", (1, 1)),
    }  # fmt: skip
    assert inputs["plan"][0, 0] == "" and np.isnan(inputs["spend"][0, 0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("plan,seats\npro,3\n", "CSV row 1: column 'spend' is missing"),
        ("1,2,3,4\n", "the CSV input needs a header naming the columns (plan, seats, spend, "
                       "region)"),
        ('[["pro", null, 1, "eu"]]', "JSON row 1, column 'seats': missing, and the model takes no "
                                     "missing value there; send a whole number"),
        ('[["pro", 3, 1, "asia"]]', "JSON row 1, column 'region': 'asia' is not a category the "
                                    "model knows (eu, us)"),
        ('[["pro", 3, 1]]', "JSON row 1 has 3 values; the model takes 4 columns"),
        ("", "no input: send "),
    ],
)  # fmt: skip
def test_bad_rows_are_one_error_naming_the_row_and_column(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_typed(text, COLUMNS)

    assert str(caught.value).startswith(message), caught.value
    assert "\n" not in str(caught.value)
