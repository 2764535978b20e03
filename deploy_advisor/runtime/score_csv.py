"""One chunk of CSV lines to rows: pyarrow for clean chunks, the csv module for broken ones."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from .score_chunk import Chunk, InputFile, valid_rows
from .score_columns import Reject

__all__ = ["parse_csv_chunk", "split_header"]

_FAST_BLOCK_BYTES = 1 << 20


def split_header(line: bytes) -> list[str]:
    """The column names of a CSV header line."""
    import csv

    return next(csv.reader([line.decode("utf-8", errors="replace")]), [])


def parse_csv_chunk(
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
    ok = valid_rows(len(rows), value_rejects)
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
    ok = valid_rows(len(rows), value_rejects)
    return Chunk(
        source=source,
        first_row=first_row,
        n_rows=len(lines),
        rows=rows[ok],
        keys=[k for k, good in zip(keys, ok, strict=True) if good] if keys is not None else None,
        features=features[ok] if len(rows) else np.empty((0, len(columns))),
        rejects=sorted([*rejects, *(r for _, r in value_rejects)], key=lambda r: r.row),
    )
