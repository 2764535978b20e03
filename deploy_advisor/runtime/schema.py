"""The typed input a model takes: named columns, their types, categories and missing values.

The loader derives an `InputSchema` from the model (feature names, fitted encoders' categories,
dtypes); a user may correct it from a sample of training data or a schema file. The server
enforces it on every request, `inspect --json` prints it, and sample payloads are drawn from it.

This module is part of the self-contained runtime: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

__all__ = ["Column", "ColumnType", "InputSchema"]

ColumnType = Literal["float", "int", "bool", "string"]
"""How a column's values are written in a request: JSON number, integer, boolean or string."""


@dataclass(frozen=True)
class Column:
    """One input column: its name, type, allowed categories and whether it may be missing."""

    name: str
    type: ColumnType = "float"
    categories: tuple[Any, ...] | None = None
    """The values a fitted encoder knows, when the model refuses any other (None: any value)."""
    nullable: bool = False
    """Whether the model takes a missing value (null, NaN) in this column."""
    minimum: float | None = None
    maximum: float | None = None
    """The range seen in training, when known (for realistic sample payloads, never enforced)."""
    known_values: tuple[Any, ...] | None = None
    """Values seen in training where the model also takes others (an encoder that ignores
    unknown categories): used for realistic sample payloads, never enforced."""

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"name": self.name, "type": self.type, "nullable": self.nullable}
        if self.categories is not None:
            doc["categories"] = list(self.categories)
        if self.known_values is not None:
            doc["known_values"] = list(self.known_values)
        if self.minimum is not None:
            doc["minimum"] = self.minimum
        if self.maximum is not None:
            doc["maximum"] = self.maximum
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Column:
        cats = doc.get("categories")
        seen = doc.get("known_values")
        return cls(
            name=str(doc["name"]),
            type=doc.get("type", "float"),
            categories=tuple(cats) if cats is not None else None,
            nullable=bool(doc.get("nullable", False)),
            minimum=doc.get("minimum"),
            maximum=doc.get("maximum"),
            known_values=tuple(seen) if seen is not None else None,
        )


@dataclass(frozen=True)
class InputSchema:
    """The columns of one input row, in order; `tabular` says whether a DataFrame is needed."""

    columns: tuple[Column, ...]
    needs_dataframe: bool = False
    """True when the model must be called with a pandas DataFrame (named, typed columns)."""

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @cached_property
    def numeric_only(self) -> bool:
        """Every column is a number or boolean with no categories: the fast float-matrix path."""
        return not self.needs_dataframe and all(
            c.type != "string" and c.categories is None for c in self.columns
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "needs_dataframe": self.needs_dataframe,
            "columns": [c.to_json() for c in self.columns],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> InputSchema:
        return cls(
            columns=tuple(Column.from_json(c) for c in doc.get("columns", [])),
            needs_dataframe=bool(doc.get("needs_dataframe", False)),
        )

    @classmethod
    def numeric(cls, n_features: int, names: list[str] | None = None) -> InputSchema:
        """The schema of a model that takes rows of `n_features` plain numbers."""
        labels = names if names is not None else [f"f{i}" for i in range(n_features)]
        return cls(columns=tuple(Column(name=n) for n in labels))
