"""Batch scorer input: find the files, fingerprint them and read them in fixed-size chunks.

A chunk is `chunk_rows` data lines of a CSV file (or rows of a Parquet file), so chunk
boundaries depend only on the input and the chunk size: a rerun sees the same chunks.
Values are converted column by column; a row with a wrong number of fields, an empty or
non-numeric value is set aside with its reason instead of stopping the run.
"""

from __future__ import annotations

import hashlib
import mmap
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .schema import InputSchema
from .score_chunk import Chunk, InputFile, groups_of_rows, skipped_chunk, valid_rows
from .score_columns import Reject, to_float
from .score_csv import parse_csv_chunk, split_header
from .score_typed import TypedConverter

__all__ = [
    "Chunk",
    "InputFile",
    "Reject",
    "ScoreInputError",
    "find_inputs",
    "read_chunks",
    "read_header",
    "select_columns",
]

CSV_SUFFIXES = (".csv",)
PARQUET_SUFFIXES = (".parquet", ".pq")
_FINGERPRINT_BYTES = 1 << 16


class ScoreInputError(Exception):
    """The input cannot be scored at all (missing, empty, wrong columns); one line for the user."""


def find_inputs(path: Path) -> list[InputFile]:
    """The CSV/Parquet files at `path` (a file, or a directory's files in name order)."""
    if not path.exists():
        raise ScoreInputError(f"input {path} does not exist; pass --input FILE_OR_DIRECTORY")
    if path.is_file():
        candidates = [path]
    else:
        candidates = sorted(
            p
            for p in path.iterdir()
            if p.is_file() and not p.name.startswith((".", "_")) and _kind(p) is not None
        )
        if not candidates:
            raise ScoreInputError(
                f"input directory {path} holds no .csv or .parquet file; pass --input with one"
            )
    files = []
    for p in candidates:
        kind = _kind(p)
        if kind is None:
            raise ScoreInputError(
                f"input {p} is neither .csv nor .parquet; rename it or convert it to one of those"
            )
        files.append(
            InputFile(
                path=p, name=p.name, kind=kind, size=p.stat().st_size, fingerprint=_fingerprint(p)
            )
        )
    return files


def read_header(source: InputFile) -> list[str]:
    """The column names of a file: the CSV header line, or the Parquet schema."""
    if source.kind == "parquet":
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(source.path).schema_arrow.names)
    import csv

    with source.path.open(encoding="utf-8", errors="replace", newline="") as f:
        header = next(csv.reader([f.readline()]), [])
    if not header or header == [""]:
        raise ScoreInputError(f"{source.path} is empty; a CSV input starts with a header line")
    return [name.strip() for name in header]


def select_columns(
    header: list[str],
    *,
    n_features: int | None,
    feature_names: list[str] | None,
    id_column: str | None,
    source: Path,
) -> list[str]:
    """The feature columns to read, in the model's order; refuses a header that cannot fit."""
    if id_column is not None and id_column not in header:
        raise ScoreInputError(
            f"id column {id_column!r} is not in {source} (columns: {', '.join(header[:8])}"
            f"{', …' if len(header) > 8 else ''}); pass --id-column with one of them"
        )
    if feature_names and all(name in header for name in feature_names):
        return list(feature_names)
    features = [name for name in header if name != id_column]
    if n_features is not None and len(features) != n_features:
        hint = "" if id_column else "; pass --id-column NAME if one column is a row id"
        raise ScoreInputError(
            f"{source} has {len(features)} feature columns but the model expects {n_features}{hint}"
        )
    return features


def read_chunks(
    source: InputFile,
    *,
    columns: list[str],
    id_column: str | None,
    chunk_rows: int,
    allow_missing: bool = False,
    skip: Callable[[int], bool] = lambda _: False,
    schema: InputSchema | None = None,
) -> Iterator[Chunk]:
    """Chunks of `chunk_rows` rows of one file, in order; chunk i is only counted if skip(i).

    With `allow_missing` (models that accept NaN), empty and NaN values are kept as NaN.
    With a `schema` that is not all numbers (strings, categories), each column is checked
    against it (:mod:`.score_typed`) and ``Chunk.features`` is what the model predicts on.
    """
    reader = _parquet_chunks if source.kind == "parquet" else _csv_chunks
    convert: Any = (
        _Converter(allow_missing)
        if schema is None or schema.numeric_only
        else TypedConverter(schema)
    )
    yield from reader(
        source,
        columns=columns,
        id_column=id_column,
        chunk_rows=chunk_rows,
        skip=skip,
        convert=convert,
    )


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


def _fingerprint(path: Path) -> str:
    """Size, mtime and hashes of the first and last 64 KiB: cheap, and catches real edits."""
    stat = path.stat()
    digest = hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    with path.open("rb") as f:
        digest.update(f.read(_FINGERPRINT_BYTES))
        if stat.st_size > _FINGERPRINT_BYTES:
            f.seek(max(stat.st_size - _FINGERPRINT_BYTES, _FINGERPRINT_BYTES))
            digest.update(f.read())
    return digest.hexdigest()


def _csv_chunks(
    source: InputFile,
    *,
    columns: list[str],
    id_column: str | None,
    chunk_rows: int,
    skip: Callable[[int], bool],
    convert: Any,
) -> Iterator[Chunk]:
    with source.path.open("rb") as f:
        header_line = f.readline()
        names = [n.strip() for n in split_header(header_line)]
        body = _MappedFile(f)
        first_row = 1
        position = len(header_line)
        for index, (data, n_lines) in enumerate(_blocks_of_lines(body.view, position, chunk_rows)):
            position += len(data)
            if skip(index):
                chunk = skipped_chunk(source, first_row, n_lines, len(columns))
            else:
                chunk = parse_csv_chunk(
                    source,
                    names,
                    data,
                    n_lines,
                    columns=columns,
                    id_column=id_column,
                    first_row=first_row,
                    convert=convert,
                )
            chunk.bytes_done = position
            body.release(position)
            yield chunk
            first_row += n_lines


class _MappedFile:
    """A file as read-only memory: chunks are slices of it, never copies.

    Pages already parsed are handed back to the kernel, so resident memory stays one chunk's
    worth however large the file (reading them again would fault them back in from the file).
    """

    def __init__(self, f: Any) -> None:
        self._map = (
            mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            if os.fstat(f.fileno()).st_size
            else None
        )
        self.view = memoryview(self._map) if self._map is not None else memoryview(b"")
        self._released = 0

    def release(self, upto: int) -> None:
        end = upto - upto % mmap.PAGESIZE
        if self._map is not None and end > self._released and hasattr(self._map, "madvise"):
            self._map.madvise(mmap.MADV_DONTNEED, self._released, end - self._released)
            self._released = end


def _blocks_of_lines(body: memoryview, start: int, n: int) -> Iterator[tuple[memoryview, int]]:
    """Consecutive blocks of `n` lines from byte `start` (the last may be shorter): slices of
    `body`, with the newlines found by numpy in windows sized from the lines seen so far."""
    line_bytes = 128
    while start < len(body):
        window = min(len(body) - start, max(n * line_bytes * 5 // 4, 1 << 16))
        while True:
            text = np.frombuffer(body, dtype=np.uint8, count=window, offset=start)
            newlines = np.flatnonzero(text == 10)
            if len(newlines) >= n or start + window == len(body):
                break
            window = min(len(body) - start, window * 2)
        if len(newlines) >= n:
            cut = start + int(newlines[n - 1]) + 1
            line_bytes = max(1, (cut - start) // n)
            yield body[start:cut], n
        else:
            cut = len(body)
            yield body[start:cut], len(newlines) + (0 if body[cut - 1] == 10 else 1)
        start = cut


def _parquet_chunks(
    source: InputFile,
    *,
    columns: list[str],
    id_column: str | None,
    chunk_rows: int,
    skip: Callable[[int], bool],
    convert: Any,
) -> Iterator[Chunk]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    wanted = [*columns, *([id_column] if id_column else [])]
    parquet = pq.ParquetFile(source.path)
    first_row = 1

    def flush(batches: list[pa.RecordBatch], index: int) -> Chunk:
        n_rows = sum(b.num_rows for b in batches)
        if skip(index):
            chunk = skipped_chunk(source, first_row, n_rows, len(columns))
            chunk.bytes_done = first_row - 1 + n_rows
            return chunk
        table = pa.Table.from_batches(batches)
        rows = np.arange(first_row, first_row + table.num_rows, dtype=np.int64)
        keys = [_key(v) for v in table.column(id_column).to_pylist()] if id_column else None
        features, value_rejects = convert.matrix(
            [table.column(c).combine_chunks() for c in columns], columns, rows, keys
        )
        ok = valid_rows(len(rows), value_rejects)
        return Chunk(
            source=source,
            first_row=first_row,
            n_rows=table.num_rows,
            rows=rows[ok],
            keys=[k for k, good in zip(keys, ok, strict=True) if good] if keys else None,
            features=features[ok],
            rejects=[r for _, r in value_rejects],
            bytes_done=first_row - 1 + table.num_rows,
        )

    batches = parquet.iter_batches(batch_size=chunk_rows, columns=wanted)
    for index, group in enumerate(groups_of_rows(batches, chunk_rows)):
        chunk = flush(group, index)
        yield chunk
        first_row += chunk.n_rows


def _key(value: object) -> str:
    return "" if value is None else str(value)


class _Converter:
    """Turns text or numeric columns into floats, naming the problem of each bad value."""

    fast = True

    def __init__(self, allow_missing: bool) -> None:
        self.allow_missing = allow_missing

    def matrix(
        self, arrays: list[Any], columns: list[str], rows: np.ndarray, keys: list[str] | None
    ) -> tuple[np.ndarray, list[tuple[int, Reject]]]:
        """Columns to one float64 matrix, plus (position, reject) for rows with a bad value."""
        return _to_matrix(arrays, columns, rows, keys, allow_missing=self.allow_missing)


def _to_matrix(
    arrays: list[Any],
    columns: list[str],
    rows: np.ndarray,
    keys: list[str] | None,
    *,
    allow_missing: bool,
) -> tuple[np.ndarray, list[tuple[int, Reject]]]:
    n = len(rows)
    matrix = np.empty((n, len(columns)), dtype=np.float64)
    first_problem: dict[int, str] = {}
    for j, (name, array) in enumerate(zip(columns, arrays, strict=True)):
        values, problems = to_float(array, allow_missing=allow_missing)
        matrix[:, j] = values
        for i, problem in problems.items():
            first_problem.setdefault(i, f"column {name!r}: {problem}")
    if allow_missing and n:
        for i in np.flatnonzero(np.isnan(matrix).all(axis=1)).tolist():
            first_problem.setdefault(i, "every value is empty")
    rejects = [
        (i, Reject(row=int(rows[i]), key=keys[i] if keys else "", reason=first_problem[i]))
        for i in sorted(first_problem)
    ]
    return matrix, rejects
