"""What the batch scorer reads: an input file and one chunk of its rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .score_columns import Reject

__all__ = ["Chunk", "InputFile", "groups_of_rows", "skipped_chunk", "valid_rows"]


@dataclass(frozen=True)
class InputFile:
    """One input file and what identifies its content."""

    path: Path
    name: str
    kind: str  # "csv" | "parquet"
    size: int
    fingerprint: str


@dataclass
class Chunk:
    """Rows of one chunk: the valid ones as a float matrix with their ids, and the rejects."""

    source: InputFile
    first_row: int
    n_rows: int
    rows: np.ndarray  # 1-based row numbers of the valid rows
    keys: Any  # id-column values of the valid rows (list or pyarrow array), or None
    features: np.ndarray  # float64, or checked objects for DataFrame models; (rows, n_features)
    rejects: list[Reject] = field(default_factory=list)
    bytes_done: int = 0  # position reached in the source (bytes for CSV, rows for Parquet)
    bytes_start: int = 0  # where the chunk starts in the source (set by the scorer)
    skipped: bool = False  # already done by an earlier run: not parsed


def skipped_chunk(source: InputFile, first_row: int, n_rows: int, n_columns: int) -> Chunk:
    """A chunk an earlier run already scored: counted, not parsed."""
    empty = np.empty(0, dtype=np.int64)
    return Chunk(
        source=source,
        first_row=first_row,
        n_rows=n_rows,
        rows=empty,
        keys=None,
        features=np.empty((0, n_columns)),
        skipped=True,
    )


def valid_rows(n_rows: int, value_rejects: list[tuple[int, Reject]]) -> np.ndarray:
    """A mask of the rows whose values all converted."""
    ok = np.ones(n_rows, dtype=bool)
    if value_rejects:
        ok[[i for i, _ in value_rejects]] = False
    return ok


def groups_of_rows(batches: Iterable[Any], n: int) -> Iterator[list[Any]]:
    """pyarrow record batches regrouped into runs of `n` rows (the last may be shorter)."""
    pending: list[Any] = []
    count = 0
    for batch in batches:
        while batch.num_rows:
            take = min(n - count, batch.num_rows)
            pending.append(batch.slice(0, take))
            count += take
            batch = batch.slice(take)
            if count == n:
                yield pending
                pending, count = [], 0
    if count:
        yield pending
