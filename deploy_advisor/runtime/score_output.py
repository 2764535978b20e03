"""Batch scorer output: atomic part files, per-chunk done markers, the manifest and progress.

Layout of the output directory:

    part-00000.csv | .parquet   predictions of chunk 0, next to the row numbers or ids
    rejects.csv                 every rejected row with its reason (assembled at the end)
    _manifest.json              what was scored: inputs' fingerprints, model, settings
    _chunks/00000.json          chunk 0 is done (written last, after its part file)
    _chunks/00000.rejects.csv   the rejects of chunk 0
    _summary.json               rows scored and rejected, rows/s, wall time of the last run

Every file is written to a temporary name in the same directory and renamed into place, so a
crash leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from .score_input import Chunk, InputFile, Reject, ScoreInputError, read_header

__all__ = [
    "MANIFEST",
    "OutputDirectory",
    "Progress",
    "body_start",
    "id_positions",
    "ids_as_written",
    "open_output",
    "write_atomic",
]

MANIFEST = "_manifest.json"
SUMMARY = "_summary.json"
REJECTS = "rejects.csv"
_CHUNKS = "_chunks"


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary file beside `path`, flush it to disk, then rename it."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        tmp.chmod(0o644)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_text(path: Path, text: str) -> None:
    """UTF-8; ids read with `surrogateescape` go back out as the bytes they were read from."""
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8", errors="surrogateescape"))


class OutputDirectory:
    """The output directory of one scoring job: what is done, and writing what gets done."""

    def __init__(self, root: Path, *, fmt: str) -> None:
        self.root = root
        self.fmt = fmt
        self.chunks_dir = root / _CHUNKS

    def prepare(self, manifest: dict[str, Any], *, restart: bool) -> bool:
        """Create or reuse the directory; True when resuming a run with the same manifest."""
        existing = self.root / MANIFEST
        if self.root.exists() and not self.root.is_dir():
            raise FileExistsError(f"output {self.root} is a file; pass --output with a directory")
        if existing.exists():
            previous = json.loads(existing.read_text(encoding="utf-8"))
            if restart:
                self._clear()
            elif previous != manifest:
                changed = sorted(k for k in manifest if previous.get(k) != manifest[k])
                raise FileExistsError(
                    f"output {self.root} holds a run with different {', '.join(changed)}; pass "
                    "--restart to score from scratch or choose another --output"
                )
            else:
                self._remove_temporaries()
                return True
        elif self.root.exists() and any(self.root.iterdir()):
            raise FileExistsError(
                f"output {self.root} is not empty and was not written by the scorer; "
                "choose another --output"
            )
        self.chunks_dir.mkdir(parents=True, exist_ok=True)
        _write_text(existing, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        return False

    def done(self, index: int) -> dict[str, Any] | None:
        """The done marker of a chunk, if the chunk and its part file are complete."""
        marker = self.chunks_dir / f"{index:05d}.json"
        if not marker.exists():
            return None
        record: dict[str, Any] = json.loads(marker.read_text(encoding="utf-8"))
        return record if (self.root / record["part"]).exists() else None

    def write_chunk(
        self,
        index: int,
        *,
        record: dict[str, Any],
        id_name: str,
        ids: Any,
        predictions: np.ndarray | dict[str, Any],
        columns: list[str],
        rejects: list[Reject],
        source: str | None,
    ) -> None:
        """Write a chunk's part file and rejects, then its done marker: each atomically.

        ``predictions`` is a matrix named by ``columns``, or columns by name (deep models)."""
        part = self.root / f"part-{index:05d}.{self.fmt}"
        table = _prediction_table(id_name, ids, predictions, columns, source)
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            write_atomic(part, lambda tmp: pq.write_table(table, tmp))
        else:
            import pyarrow.csv as pacsv

            write_atomic(part, lambda tmp: pacsv.write_csv(table, tmp))
        rejects_path = self.chunks_dir / f"{index:05d}.rejects.csv"
        _write_text(rejects_path, _rejects_csv(rejects, record["source"], header=False))
        marker = {**record, "part": part.name}
        _write_text(self.chunks_dir / f"{index:05d}.json", json.dumps(marker, sort_keys=True))

    def finish(self, n_chunks: int, summary: dict[str, Any]) -> Path:
        """Assemble rejects.csv from the chunks' rejects and write the summary."""
        rejects_path = self.root / REJECTS

        def assemble(tmp: Path) -> None:
            with tmp.open("wb") as out:
                out.write(_rejects_csv([], "", header=True).encode())
                for index in range(n_chunks):
                    with (self.chunks_dir / f"{index:05d}.rejects.csv").open("rb") as part:
                        shutil.copyfileobj(part, out)

        write_atomic(rejects_path, assemble)
        _write_text(self.root / SUMMARY, json.dumps(summary, indent=2) + "\n")
        return rejects_path

    def _clear(self) -> None:
        for path in self.root.iterdir():
            ours = path.name in {MANIFEST, SUMMARY, REJECTS, _CHUNKS} or path.name.startswith(
                ("part-", ".part-", ".rejects", "._")
            )
            if ours and path.is_dir():
                shutil.rmtree(path)
            elif ours:
                path.unlink()

    def _remove_temporaries(self) -> None:
        for folder in (self.root, self.chunks_dir):
            for path in folder.glob(".*.tmp"):
                path.unlink(missing_ok=True)
        self.chunks_dir.mkdir(exist_ok=True)


def open_output(
    root: Path, *, fmt: str, manifest: dict[str, Any], restart: bool
) -> OutputDirectory:
    """The output directory of a run with `manifest`, new or resumed (refusals: input errors)."""
    out = OutputDirectory(root, fmt=fmt)
    try:
        out.prepare(manifest, restart=restart)
    except FileExistsError as exc:
        raise ScoreInputError(str(exc)) from None
    return out


def id_positions(inputs: list[InputFile], id_column: str | None) -> dict[str, int | None]:
    """Where the id column sits in each CSV input's header (None: no id or not a CSV)."""
    positions: dict[str, int | None] = {}
    for source in inputs:
        header = read_header(source) if id_column and source.kind == "csv" else []
        positions[source.name] = header.index(id_column) if id_column in header else None
    return positions


def body_start(source: InputFile) -> int:
    """Byte offset of a CSV's first data line (after the header); 0 for Parquet."""
    if source.kind != "csv":
        return 0
    with source.path.open("rb") as f:
        return len(f.readline())


def ids_as_written(
    source: InputFile, rejects: list[Reject], *, start: int, chunk: Chunk, index: int
) -> list[Reject]:
    """The rejects with their id field read again from the raw line: undecodable bytes kept
    as surrogates (written back as the same bytes), and an id found even in a line with the
    wrong number of fields when the id column is among the fields present."""
    with source.path.open("rb") as f:
        f.seek(start)
        lines = f.read(max(chunk.bytes_done - start, 0)).split(b"\n")
    fixed = []
    for reject in rejects:
        i = reject.row - chunk.first_row
        if 0 <= i < len(lines):
            text = lines[i].rstrip(b"\r").decode("utf-8", errors="surrogateescape")
            try:
                fields = next(csv.reader([text]), [])
            except csv.Error:
                fields = text.split(",")
            if index < len(fields):
                reject = Reject(row=reject.row, key=fields[index], reason=reject.reason)
        fixed.append(reject)
    return fixed


def _prediction_table(
    id_name: str,
    ids: Any,
    predictions: np.ndarray | dict[str, Any],
    columns: list[str],
    source: str | None,
) -> Any:
    import pyarrow as pa

    data: dict[str, Any] = {}
    if source is not None:
        data["source"] = pa.array([source] * len(ids), pa.string())
    data[id_name] = ids if isinstance(ids, pa.Array) else pa.array(ids)
    if isinstance(predictions, dict):
        return pa.table({**data, **predictions})
    values = predictions.reshape(len(ids), -1) if predictions.ndim != 1 else predictions[:, None]
    for j, name in enumerate(columns):
        column = values[:, j]
        data[name] = pa.array(column)
    return pa.table(data)


def _rejects_csv(rejects: list[Reject], source: str, *, header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(["source", "row", "id", "reason"])
    for reject in rejects:
        writer.writerow([source, reject.row, reject.key, reject.reason])
    return buffer.getvalue()


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise."""

    def __init__(self, total: int, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._last_decile = -1

    def update(self, done: int, rows: int) -> None:
        """Show `done` of `total` units processed and `rows` scored so far."""
        if not self.enabled:
            return
        fraction = min(done / self.total, 1.0)
        now = time.monotonic()
        decile = int(fraction * 10)
        if self.tty and now - self._last_draw < 0.2 and fraction < 1.0:
            return
        if not self.tty and decile == self._last_decile:
            return
        self._last_draw, self._last_decile = now, decile
        elapsed = max(now - self.started, 1e-9)
        bar = "#" * int(fraction * 30)
        eta = elapsed / fraction - elapsed if fraction > 0 else 0.0
        line = (
            f"scoring [{bar:<30}] {fraction:4.0%}  {rows:,} rows  "
            f"{rows / elapsed:,.0f} rows/s  ETA {eta:.0f}s"
        )
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()
