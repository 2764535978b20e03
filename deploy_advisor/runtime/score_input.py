"""Batch scorer input: find the files, fingerprint them and read them in fixed-size chunks.

A chunk is `chunk_rows` data lines of a CSV file (or rows of a Parquet file), so chunk
boundaries depend only on the input and the chunk size: a rerun sees the same chunks.
Values are converted column by column; a row with a wrong number of fields, an empty or
non-numeric value is set aside with its reason instead of stopping the run.
"""

from __future__ import annotations

import hashlib
import io
import mmap
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .schema import InputSchema
from .score_columns import Reject, to_float
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
_FAST_BLOCK_BYTES = 1 << 20


class ScoreInputError(Exception):
    """The input cannot be scored at all (missing, empty, wrong columns); one line for the user."""


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
    skipped: bool = False  # already done by an earlier run: not parsed


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
        names = [n.strip() for n in _split_header(header_line)]
        body = _MappedFile(f)
        first_row = 1
        position = len(header_line)
        for index, (data, n_lines) in enumerate(_blocks_of_lines(body.view, position, chunk_rows)):
            position += len(data)
            if skip(index):
                chunk = _skipped(source, first_row, n_lines, len(columns))
            else:
                chunk = _parse_csv_lines(
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


def _skipped(source: InputFile, first_row: int, n_rows: int, n_columns: int) -> Chunk:
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


def _split_header(line: bytes) -> list[str]:
    import csv

    return next(csv.reader([line.decode("utf-8", errors="replace")]), [])


def _parse_csv_lines(
    source: InputFile,
    names: list[str],
    data: memoryview,
    n_lines: int,
    *,
    columns: list[str],
    id_column: str | None,
    first_row: int,
    convert: Any,
) -> Chunk:
    """Parse one chunk with pyarrow; a chunk pyarrow cannot parse falls back to the csv module."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    wanted = [*columns, *([id_column] if id_column else [])]
    clean = (
        _parse_clean_csv(data, names, columns=columns, id_column=id_column)
        if convert.fast
        else None
    )
    if clean is not None and len(clean[0]) == n_lines:
        features, keys = clean
        return Chunk(
            source=source,
            first_row=first_row,
            n_rows=n_lines,
            rows=np.arange(first_row, first_row + n_lines, dtype=np.int64),
            keys=keys,
            features=features,
        )
    header = b",".join(_quote(n) for n in names) + b"\n"
    text = bytes(data)
    if not text.endswith(b"\n"):
        text += b"\n"
    wrong_width: list[Reject] = []

    def on_invalid(row: Any) -> str:
        line_in_chunk = row.number - 1  # line 1 of the buffer is the header
        reason = f"expected {row.expected_columns} fields, found {row.actual_columns}"
        key = _field(row.text, names.index(id_column)) if id_column else ""
        wrong_width.append(Reject(row=first_row + line_in_chunk - 1, key=key, reason=reason))
        return "skip"

    buffer = io.BytesIO(header + text)
    try:
        table = pacsv.read_csv(
            buffer,
            read_options=pacsv.ReadOptions(
                use_threads=False, block_size=max(1 << 20, len(buffer.getbuffer()) + 1)
            ),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=on_invalid, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(wanted, pa.string()),
                include_columns=wanted,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return _parse_csv_lines_slowly(
            source,
            names,
            text.split(b"\n")[:n_lines],
            columns=columns,
            id_column=id_column,
            first_row=first_row,
            convert=convert,
        )
    bad = {r.row for r in wrong_width}
    rows = (
        np.array([r for r in range(first_row, first_row + n_lines) if r not in bad], dtype=np.int64)
        if bad
        else np.arange(first_row, first_row + n_lines, dtype=np.int64)
    )
    keys = table.column(id_column).to_pylist() if id_column else None
    features, value_rejects = convert.matrix(
        [table.column(c).combine_chunks() for c in columns], columns, rows, keys
    )
    ok = np.ones(len(rows), dtype=bool)
    if value_rejects:
        ok[[i for i, _ in value_rejects]] = False
    rejects = sorted([*wrong_width, *(reject for _, reject in value_rejects)], key=lambda r: r.row)
    return Chunk(
        source=source,
        first_row=first_row,
        n_rows=n_lines,
        rows=rows[ok],
        keys=[k for k, good in zip(keys, ok, strict=True) if good] if keys is not None else None,
        features=features[ok],
        rejects=rejects,
    )


def _parse_clean_csv(
    data: memoryview, names: list[str], *, columns: list[str], id_column: str | None
) -> tuple[np.ndarray, Any] | None:
    """The fast path: floats parsed in C, no copy of the text; None when a row is not clean.

    A chunk with a wrong-width row, a value that is not a number, or an empty, NaN or infinite
    value goes through the exact path instead, which names each bad row and its reason.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    seen_invalid = []

    def on_invalid(row: Any) -> str:
        seen_invalid.append(row)
        return "skip"

    types = {
        **dict.fromkeys(columns, pa.float64()),
        **({id_column: pa.string()} if id_column else {}),
    }
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=pacsv.ReadOptions(
                use_threads=False, block_size=_FAST_BLOCK_BYTES, column_names=names
            ),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=on_invalid, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                include_columns=list(types),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    if seen_invalid:
        return None
    features = (
        np.column_stack([table.column(c).to_numpy() for c in columns])
        if table.num_rows
        else np.empty((0, len(columns)))
    )
    if not np.isfinite(features).all():
        return None
    keys = table.column(id_column).combine_chunks() if id_column else None
    return np.ascontiguousarray(features, dtype=np.float64), keys


def _field(text: str, position: int) -> str:
    """Field `position` of a CSV line, or "" when the line is too short or unreadable."""
    import csv

    try:
        fields = next(csv.reader([text]), [])
    except csv.Error:
        return ""
    return fields[position] if position < len(fields) else ""


def _quote(name: str) -> bytes:
    return ('"' + name.replace('"', '""') + '"').encode()


def _parse_csv_lines_slowly(
    source: InputFile,
    names: list[str],
    lines: list[bytes],
    *,
    columns: list[str],
    id_column: str | None,
    first_row: int,
    convert: Any,
) -> Chunk:
    """Line by line with the csv module: for chunks with broken quoting or bad UTF-8."""
    import csv

    import pyarrow as pa

    positions = {name.strip(): i for i, name in enumerate(names)}
    kept_rows: list[int] = []
    kept_keys: list[str] = []
    kept_values: list[list[str]] = []
    rejects: list[Reject] = []
    for offset, raw in enumerate(lines):
        row = first_row + offset
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        try:
            fields = next(csv.reader([text], strict=True), [""])
        except csv.Error as exc:
            rejects.append(Reject(row=row, key="", reason=f"unreadable CSV line ({exc})"))
            continue
        if len(fields) != len(names):
            reason = f"expected {len(names)} fields, found {len(fields)}"
            rejects.append(Reject(row=row, key="", reason=reason))
            continue
        kept_rows.append(row)
        kept_keys.append(fields[positions[id_column]] if id_column else "")
        kept_values.append([fields[positions[c]] for c in columns])
    rows = np.array(kept_rows, dtype=np.int64)
    keys = kept_keys if id_column else None
    arrays = [pa.array([v[j] for v in kept_values], pa.string()) for j in range(len(columns))]
    features, value_rejects = convert.matrix(arrays, columns, rows, keys)
    ok = np.ones(len(rows), dtype=bool)
    if value_rejects:
        ok[[i for i, _ in value_rejects]] = False
    return Chunk(
        source=source,
        first_row=first_row,
        n_rows=len(lines),
        rows=rows[ok],
        keys=[k for k, good in zip(keys, ok, strict=True) if good] if keys is not None else None,
        features=features[ok] if len(rows) else np.empty((0, len(columns))),
        rejects=sorted([*rejects, *(r for _, r in value_rejects)], key=lambda r: r.row),
    )


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
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    first_row = 1
    index = 0

    def flush(batches: list[pa.RecordBatch]) -> Chunk:
        n_rows = sum(b.num_rows for b in batches)
        if skip(index):
            chunk = _skipped(source, first_row, n_rows, len(columns))
            chunk.bytes_done = first_row - 1 + n_rows
            return chunk
        table = pa.Table.from_batches(batches)
        rows = np.arange(first_row, first_row + table.num_rows, dtype=np.int64)
        keys = [_key(v) for v in table.column(id_column).to_pylist()] if id_column else None
        features, value_rejects = convert.matrix(
            [table.column(c).combine_chunks() for c in columns], columns, rows, keys
        )
        ok = np.ones(len(rows), dtype=bool)
        if value_rejects:
            ok[[i for i, _ in value_rejects]] = False
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

    for batch in parquet.iter_batches(batch_size=chunk_rows, columns=wanted):
        while batch.num_rows:
            take = min(chunk_rows - pending_rows, batch.num_rows)
            pending.append(batch.slice(0, take))
            pending_rows += take
            batch = batch.slice(take)
            if pending_rows == chunk_rows:
                yield flush(pending)
                first_row += pending_rows
                index += 1
                pending, pending_rows = [], 0
    if pending_rows:
        yield flush(pending)


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
