"""Typed, named columns for a model with one ONNX input per column (a pipeline over a DataFrame).

Each column is checked (type, category, missing value) and fed as its own ``[rows, 1]`` tensor:
strings as a string tensor (a missing string as ``""``), numbers as float32 (missing as NaN) or
int64. The columns come from the schema the exporter wrote into the model's metadata, else from
the model's inputs. Bad input is one ValueError naming the row and the column.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "MISSING_TEXT",
    "SCHEMA_KEY",
    "InputColumn",
    "check_rows",
    "feed",
    "parse_typed",
    "typed_columns",
]

SCHEMA_KEY = "deploy_advisor.input_columns"
"""The ONNX metadata key holding the columns as JSON (written by `scaffold --target edge`)."""
MISSING_TEXT = ""
"""What a missing value of a string column becomes: string tensors have no missing value."""
_TENSORS = {"tensor(string)": "string", "tensor(float)": "float", "tensor(int64)": "int64"}
_WANT = {
    "string": "a string",
    "float": "a number",
    "int": "a whole number",
    "bool": "true or false",
}
_SEND = 'send {"records": [{"column": value, ...}]}, {"instances": [[...]]} or CSV with a header'


@dataclass(frozen=True)
class InputColumn:
    """One model input: its name, how it is fed, what a request writes, and what it allows."""

    name: str
    tensor: str  # "string" | "float" | "int64"
    type: str = "float"  # "string" | "float" | "int" | "bool"
    nullable: bool = True
    categories: tuple[Any, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"name": self.name, "tensor": self.tensor, "type": self.type}
        doc["nullable"] = self.nullable
        if self.categories is not None:
            doc["categories"] = list(self.categories)
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> InputColumn:
        cats = doc.get("categories")
        return cls(
            name=str(doc["name"]),
            tensor=str(doc["tensor"]),
            type=str(doc.get("type", "float")),
            nullable=bool(doc.get("nullable", True)),
            categories=tuple(cats) if cats is not None else None,
        )


def typed_columns(session: Any) -> list[InputColumn] | None:
    """The model's columns, or None when it takes one float tensor of rows (the fast path)."""
    written = session.get_modelmeta().custom_metadata_map.get(SCHEMA_KEY)
    if written:
        return [InputColumn.from_json(doc) for doc in json.loads(written)]
    inputs = session.get_inputs()
    if len(inputs) == 1 and inputs[0].type == "tensor(float)":
        return None
    if any(given.type not in _TENSORS for given in inputs):
        return None  # fed as one float tensor, as before: onnxruntime names what it wants
    columns = []
    for given in inputs:
        tensor = _TENSORS[given.type]
        kind = {"string": "string", "float": "float", "int64": "int"}[tensor]
        columns.append(InputColumn(given.name, tensor, kind, nullable=tensor != "int64"))
    return columns


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _cell(col: InputColumn, value: Any, where: str) -> Any:
    """The checked value of one cell (None when missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if not col.nullable:
            raise ValueError(
                f"{where}: missing, and the model takes no missing value there; "
                f"send {_WANT[col.type]}"
            )
        return None
    if col.type == "string":
        ok = isinstance(value, str)
    elif col.type == "bool":
        ok = isinstance(value, bool) or (isinstance(value, int) and value in (0, 1))
    else:
        ok = isinstance(value, int | float) and math.isfinite(value)  # true counts as 1
        ok = ok and (col.type != "int" or float(value).is_integer())
    if not ok:
        raise ValueError(f"{where}: {_describe(value)} is not {_WANT[col.type]}")
    if col.categories is not None and value not in col.categories:
        known = ", ".join(map(str, col.categories[:10]))
        more = ", ..." if len(col.categories) > 10 else ""
        raise ValueError(
            f"{where}: {_describe(value)} is not a category the model knows ({known}{more})"
        )
    return value


def _from_text(col: InputColumn, text: str, where: str) -> Any:
    """A CSV cell as the column's type; an empty cell is a missing value."""
    cell = text.strip()
    if cell == "":
        return None
    if col.type == "string":
        return text
    if cell.lower() in ("true", "false"):  # a boolean, also where the model reads it as 1 or 0
        return cell.lower() == "true"
    try:
        number = float(cell)
    except ValueError:
        raise ValueError(f"{where}: {_describe(text)} is not {_WANT[col.type]}") from None
    return int(number) if col.type in ("int", "bool") and number.is_integer() else number


def check_rows(rows: list[Any], columns: list[InputColumn], *, kind: str = "JSON") -> np.ndarray:
    """An object matrix (rows x columns) of checked values; rows are lists in column order or
    records (dicts by column name)."""
    names = [c.name for c in columns]
    table = np.empty((len(rows), len(columns)), dtype=object)
    for i, row in enumerate(rows):
        number = i + 1
        if isinstance(row, dict):
            unknown = [str(k) for k in row if k not in names]
            if unknown:
                raise ValueError(
                    f"{kind} row {number}: unknown column {unknown[0]!r}; the model "
                    f"takes {', '.join(names)}"
                )
            missing = [n for n in names if n not in row]
            if missing:
                raise ValueError(f"{kind} row {number}: column {missing[0]!r} is missing")
            row = [row[n] for n in names]
        elif not isinstance(row, list):
            raise ValueError(f"{kind} row {number} is {_describe(row)}, not a record; {_SEND}")
        elif len(row) != len(columns):
            raise ValueError(
                f"{kind} row {number} has {len(row)} values; the model takes "
                f"{len(columns)} columns ({', '.join(names)})"
            )
        for j, col in enumerate(columns):
            table[i, j] = _cell(col, row[j], f"{kind} row {number}, column {col.name!r}")
    return table


def feed(table: np.ndarray, columns: list[InputColumn]) -> dict[str, np.ndarray]:
    """One ``[rows, 1]`` tensor per column, by input name."""
    inputs: dict[str, np.ndarray] = {}
    for j, col in enumerate(columns):
        values = table[:, j]
        missing = values == None  # noqa: E711 - elementwise on an object array
        if col.tensor == "string":
            column = values.copy()
            column[missing] = MISSING_TEXT
        elif col.tensor == "int64":
            column = values.astype(np.int64)
        else:
            column = values.copy()
            column[missing] = np.nan
            column = column.astype(np.float32)
        inputs[col.name] = column.reshape(-1, 1)
    return inputs


def parse_typed(text: str, columns: list[InputColumn], *, fmt: str = "auto") -> np.ndarray:
    """Checked rows from JSON (records, instances, a list, or one per line) or CSV under a
    header naming the columns (any order)."""
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"no input: {_SEND}")
    if fmt == "json" or (fmt == "auto" and stripped[0] in "[{"):
        rows = _json_rows(stripped)
        kind = "JSON"
    else:
        rows = _csv_records(stripped, columns)
        kind = "CSV"
    if not rows:
        raise ValueError(f"no rows in the {kind} input; {_SEND}")
    return check_rows(rows, columns, kind=kind)


def _json_rows(text: str) -> list[Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as whole:
        try:
            document = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            raise ValueError(
                f"the input is not valid JSON ({whole.msg} at line {whole.lineno} "
                f"column {whole.colno}); {_SEND}"
            ) from None
    if isinstance(document, dict):
        for key in ("records", "instances"):
            if key in document:
                document = document[key]
                break
        else:
            document = [document]  # one record
    if not isinstance(document, list):
        raise ValueError(f"the JSON input is {json.dumps(document)[:40]}, not rows; {_SEND}")
    if document and not isinstance(document[0], list | dict):
        document = [document]  # one row of values
    return document


def _csv_records(text: str, columns: list[InputColumn]) -> list[Any]:
    lines = list(csv.reader(io.StringIO(text)))
    header = [name.strip() for name in lines[0]]
    by_name = {c.name: c for c in columns}
    if not set(header) & set(by_name):
        raise ValueError(
            f"the CSV input needs a header naming the columns "
            f"({', '.join(by_name)}); its first line is {text.splitlines()[0][:60]!r}"
        )
    records: list[Any] = []
    for number, cells in enumerate(lines[1:], start=1):
        if not cells:
            continue
        if len(cells) != len(header):
            raise ValueError(
                f"CSV row {number} has {len(cells)} cells under a header of {len(header)} names"
            )
        record = {}
        for name, cell in zip(header, cells, strict=True):
            col = by_name.get(name)
            where = f"CSV row {number}, column {name!r}"
            record[name] = _from_text(col, cell, where) if col else cell
        records.append(record)
    return records
