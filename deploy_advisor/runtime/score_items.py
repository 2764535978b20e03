"""Batch scorer input for deep models: texts and images, read in fixed-size chunks of items.

A text model reads a text column of CSV/Parquet files (ids from `--id-column`, else row
numbers) or a folder of `.txt` files; an image model reads a folder of image files or a file
list (one path per line, relative to the list's folder). Files in a folder are taken in the
order of their relative paths, which are their ids, so a rerun sees the same chunks. An item
that cannot be read (unreadable file, text that is not UTF-8, an empty text) is set aside
with its reason; the model's own checks come later (:mod:`.score_deep`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .score_chunk import InputFile, groups_of_rows
from .score_columns import Reject
from .score_input import ScoreInputError, find_inputs, read_header

__all__ = ["IMAGE_SUFFIXES", "ItemChunk", "Items", "find_items", "read_item_chunks"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")
TEXT_SUFFIXES = (".txt",)


@dataclass(frozen=True)
class Items:
    """Where a deep model's items come from: table files with a text column, or files."""

    kind: str  # "text" | "image"
    name: str  # the input as rejects.csv names it
    tables: list[InputFile] = field(default_factory=list)
    files: list[tuple[str, Path]] = field(default_factory=list)  # (id, path)
    text_column: str | None = None
    id_column: str | None = None

    def manifest(self) -> list[dict[str, Any]]:
        """What identifies the input's content, for the output's manifest."""
        if self.tables:
            return [
                {"name": f.name, "size": f.size, "fingerprint": f.fingerprint} for f in self.tables
            ]
        digest = hashlib.sha256()
        for key, path in self.files:
            try:
                stat = path.stat()
                digest.update(
                    f"{key}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode(errors="replace")
                )
            except OSError:
                digest.update(f"{key}\0missing\n".encode(errors="replace"))
        return [{"name": self.name, "items": len(self.files), "fingerprint": digest.hexdigest()}]

    def count(self) -> int:
        """How many items (rows of the tables, or files), for the progress bar."""
        if not self.tables:
            return len(self.files)
        return sum(_count_rows(f) for f in self.tables)


@dataclass
class ItemChunk:
    """Items of one chunk: the readable ones with their ids, and the rejects."""

    source: str
    first_row: int
    n_rows: int
    rows: list[int] = field(default_factory=list)  # 1-based positions of the readable items
    ids: list[Any] = field(default_factory=list)  # ids, or row numbers of a table without ids
    payloads: list[Any] = field(default_factory=list)  # texts, or {"bytes": ...} for images
    rejects: list[Reject] = field(default_factory=list)
    skipped: bool = False

    def add(self, row: int, key: str | None, payload: Any) -> None:
        self.rows.append(row)
        self.ids.append(row if key is None else key)
        self.payloads.append(payload)

    def reject(self, row: int, key: str | None, reason: str) -> None:
        self.rejects.append(Reject(row, key or "", reason))


def find_items(
    path: Path, *, kind: str, text_column: str, id_column: str | None, output: Path
) -> Items:
    """The items at `path` for a `kind` ("text" or "image") model."""
    if not path.exists():
        raise ScoreInputError(f"input {path} does not exist; pass --input FILE_OR_DIRECTORY")
    if kind == "image":
        if path.is_dir():
            return Items(kind, path.name, files=_walk(path, IMAGE_SUFFIXES, output))
        return Items(kind, path.name, files=_file_list(path))
    if path.is_dir() and not any(
        p.name.lower().endswith((".csv", ".parquet", ".pq")) for p in path.iterdir()
    ):
        files = _walk(path, TEXT_SUFFIXES, output)
        if not files:
            raise ScoreInputError(
                f"input directory {path} holds no .txt, .csv or .parquet file; pass --input "
                "with a folder of .txt files (one text each) or a table with a text column"
            )
        return Items(kind, path.name, files=files)
    tables = find_inputs(path)
    for table in tables:
        header = read_header(table)
        for flag, name in (("--text-column", text_column), ("--id-column", id_column)):
            if name is not None and name not in header:
                shown = ", ".join(header[:8]) + (", …" if len(header) > 8 else "")
                raise ScoreInputError(
                    f"{flag.removeprefix('--').replace('-', ' ')} {name!r} is not in "
                    f"{table.path} (columns: {shown}); pass {flag} with one of them"
                )
    return Items(kind, path.name, tables=tables, text_column=text_column, id_column=id_column)


def read_item_chunks(
    items: Items, *, chunk_rows: int, skip: Callable[[int], bool]
) -> Iterator[ItemChunk]:
    """Chunks of `chunk_rows` items in order (table by table); chunk i is not read if skip(i)."""
    if not items.tables:
        for index, start in enumerate(range(0, len(items.files), chunk_rows)):
            part = items.files[start : start + chunk_rows]
            chunk = ItemChunk(items.name, start + 1, len(part), skipped=skip(index))
            if not chunk.skipped:
                for row, (key, path) in enumerate(part, start + 1):
                    _read_file(chunk, row, key, path, items.kind)
            yield chunk
        return
    index = 0
    for table in items.tables:
        for chunk, texts, keys in _table_chunks(items, table, chunk_rows):
            chunk.skipped = skip(index)
            if not chunk.skipped:
                for offset, (raw, text_id) in enumerate(zip(texts, keys, strict=True)):
                    _add_text(chunk, chunk.first_row + offset, text_id, raw)
            index += 1
            yield chunk


def _walk(root: Path, suffixes: tuple[str, ...], output: Path) -> list[tuple[str, Path]]:
    """Files under `root` with one of `suffixes`, by relative path; hidden ones and the output
    folder left out."""
    skip = output.resolve()
    found = []
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if not d.startswith((".", "_")) and (here / d).resolve() != skip]
        for name in names:
            if not name.startswith((".", "_")) and name.lower().endswith(suffixes):
                found.append(((here / name).relative_to(root).as_posix(), here / name))
    return sorted(found)


def _file_list(path: Path) -> list[tuple[str, Path]]:
    """The paths of a file list, one per line, as written (relative to the list's folder)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ScoreInputError(
            f"file list {path} cannot be read as UTF-8 text ({exc}); pass --input with a folder "
            "of images or a list of their paths, one per line"
        ) from None
    entries = [line.strip() for line in lines if line.strip()]
    if not entries:
        raise ScoreInputError(f"file list {path} is empty; list one image path per line")
    return [(entry, path.parent / entry) for entry in entries]


def _read_file(chunk: ItemChunk, row: int, key: str, path: Path, kind: str) -> None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        chunk.reject(row, key, f"cannot read the file: {exc.strerror or exc}")
        return
    if kind == "image":
        chunk.add(row, key, {"bytes": data})
    else:
        _add_text(chunk, row, key, data)


def _add_text(chunk: ItemChunk, row: int, key: str | None, raw: bytes | str | None) -> None:
    text = raw
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            reason = f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
            chunk.reject(row, key, reason)
            return
    if text is None or not text.strip():
        chunk.reject(row, key, "empty text")
        return
    chunk.add(row, key, text)


def _table_chunks(
    items: Items, table: InputFile, chunk_rows: int
) -> Iterator[tuple[ItemChunk, list[Any], list[str | None]]]:
    """Chunks of a table's rows with their raw texts and ids (bytes for a CSV: decoded later,
    so one undecodable text rejects its row, not the file)."""
    import pyarrow as pa

    assert items.text_column is not None
    wanted = [items.text_column, *([items.id_column] if items.id_column else [])]
    if table.kind == "parquet":
        import pyarrow.parquet as pq

        batches: Iterator[Any] = pq.ParquetFile(table.path).iter_batches(
            batch_size=chunk_rows, columns=wanted
        )
    else:
        import pyarrow.csv as pacsv

        try:
            batches = iter(
                pacsv.open_csv(
                    table.path,
                    parse_options=pacsv.ParseOptions(newlines_in_values=True),
                    convert_options=pacsv.ConvertOptions(
                        include_columns=wanted,
                        column_types={name: pa.binary() for name in wanted},
                        strings_can_be_null=False,
                    ),
                )
            )
        except pa.ArrowInvalid as exc:
            raise ScoreInputError(f"{table.path} cannot be read as CSV ({exc})") from None
    first_row = 1
    for group in groups_of_rows(batches, chunk_rows):
        rows = pa.Table.from_batches(group)
        texts = rows.column(items.text_column).to_pylist()
        keys: list[str | None] = [None] * len(texts)
        if items.id_column:
            keys = [_id(v) for v in rows.column(items.id_column).to_pylist()]
        yield ItemChunk(table.name, first_row, len(texts)), texts, keys
        first_row += len(texts)


def _id(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="surrogateescape")
    return "" if value is None else str(value)


def _count_rows(table: InputFile) -> int:
    if table.kind == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(table.path).metadata.num_rows)
    with table.path.open("rb") as f:
        return max(sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b"")) - 1, 1)
