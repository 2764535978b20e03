"""The batch scorer: score a CSV/Parquet file or directory in chunks, resumably.

    python -m model_server.score --model PATH --input PATH --output DIR
        [--chunk-rows N] [--id-column NAME] [--format csv|parquet] [--restart] [--no-progress]
        [--text-column NAME] [--truncate] [--task TASK]        (text and image models)

Three stages overlap on their own threads: the next chunk is parsed while this one is
predicted and the one before is written, so memory stays flat at a few chunks. Each chunk's
predictions are written atomically to DIR/part-NNNNN.*, so a rerun after a crash or a kill
skips the chunks already done and ends with the same files as an uninterrupted run. Rows with
a wrong number of fields or a value that is not a finite number go to DIR/rejects.csv with the
reason and their id exactly as written (bytes that are not UTF-8 kept as they were); they
never stop the run. Text and image models (:mod:`.score_deep`) read a text column, a folder of
.txt files, a folder of images or a file list, and reject unreadable, non-UTF-8, empty or
over-long texts and undecodable images the same way. Exit codes: 0 done (even with rejects),
2 unusable input or an output that cannot be written (full disk, read-only): finished chunks
stay, and a rerun resumes after them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .score_deep import DEFAULT_ITEM_CHUNK, ItemOptions, score_items
from .score_input import (
    Chunk,
    InputFile,
    Reject,
    ScoreInputError,
    find_inputs,
    read_chunks,
    read_header,
    select_columns,
)
from .score_output import (
    OutputDirectory,
    Progress,
    body_start,
    id_positions,
    ids_as_written,
    open_output,
)
from .score_stages import Scored, ScoreSummary, Totals, prefetch, run_chunks, write_job

__all__ = ["ScoreSummary", "main", "score"]

DEFAULT_CHUNK_ROWS = 50_000


class Model(Protocol):
    """What the scorer needs of a loaded model (runtime/loader.py's `LoadedModel`)."""

    n_features: int | None
    feature_names: list[str] | None
    output_kind: str
    sha256: str
    classes: list[Any] | None
    allows_nan: bool

    def predict(self, batch: np.ndarray) -> np.ndarray: ...


def score(
    *,
    model_path: Path,
    input_path: Path,
    output: Path,
    chunk_rows: int | None = None,
    id_column: str | None = None,
    fmt: str | None = None,
    restart: bool = False,
    progress: bool = True,
    schema_path: Path | None = None,
    trust_types: tuple[str, ...] = (),
    items: ItemOptions | None = None,
) -> ScoreSummary:
    """Score every row (or text, or image) of `input_path` into the directory `output`.

    `chunk_rows` defaults to 50,000 rows for tabular models and 1,000 items for deep ones.
    """
    started = time.monotonic()
    if chunk_rows is not None and chunk_rows < 1:
        raise ScoreInputError(f"--chunk-rows {chunk_rows} must be at least 1")
    if not input_path.exists():
        raise ScoreInputError(f"input {input_path} does not exist; pass --input FILE_OR_DIRECTORY")
    model = _load_model(
        model_path,
        schema_path=schema_path,
        trust_types=trust_types,
        task=items.task if items else None,
    )
    load_seconds = time.monotonic() - started
    deep = getattr(model, "deep", None)
    if deep is not None:
        return score_items(
            deep,
            model_sha256=model.sha256,
            input_path=input_path,
            output=output,
            chunk_rows=chunk_rows,
            id_column=id_column,
            options=items or ItemOptions(),
            fmt=fmt,
            restart=restart,
            progress=progress,
            load_seconds=load_seconds,
        )
    chunk_rows = chunk_rows or DEFAULT_CHUNK_ROWS
    inputs = find_inputs(input_path)
    header = read_header(inputs[0])
    columns = select_columns(
        header,
        n_features=model.n_features,
        feature_names=model.feature_names,
        id_column=id_column,
        source=inputs[0].path,
    )
    for other in inputs[1:]:
        select_columns(
            read_header(other),
            n_features=model.n_features,
            feature_names=columns,
            id_column=id_column,
            source=other.path,
        )
    fmt = fmt or ("parquet" if all(f.kind == "parquet" for f in inputs) else "csv")
    manifest = {
        "version": 1,
        "inputs": [{"name": f.name, "size": f.size, "fingerprint": f.fingerprint} for f in inputs],
        "model_sha256": model.sha256,
        "chunk_rows": chunk_rows,
        "id_column": id_column,
        "columns": columns,
        "format": fmt,
    }
    out = open_output(output, fmt=fmt, manifest=manifest, restart=restart)

    bar = Progress(sum(f.size for f in inputs), enabled=progress)
    # Where each file starts in the bar, and what its chunks' `bytes_done` counts in.
    bar_start = {f.name: sum(g.size for g in inputs[:i]) for i, f in enumerate(inputs)}
    units = {f.name: _file_units(f) for f in inputs}
    import pyarrow.compute
    import pyarrow.csv
    import pyarrow.parquet  # noqa: F401 - imported before the clock starts

    run_started = time.monotonic()
    id_name = id_column or "row"
    chunks = prefetch(
        _all_chunks(
            inputs,
            out,
            columns=columns,
            id_column=id_column,
            chunk_rows=chunk_rows,
            allow_missing=model.allows_nan,
            schema=getattr(model, "schema", None),
        )
    )
    id_index = id_positions(inputs, id_column)

    def score_chunk(index: int, chunk: Chunk) -> Scored:
        source = chunk.source
        predictions, kept, model_rejects = _predict(model, chunk)
        rejects = sorted([*chunk.rejects, *model_rejects], key=lambda r: r.row)
        if rejects and (position := id_index[source.name]) is not None:
            rejects = ids_as_written(
                source, rejects, start=chunk.bytes_start, chunk=chunk, index=position
            )
        return write_job(
            out,
            index,
            source=source.name,
            first_row=chunk.first_row,
            n_rows=chunk.n_rows,
            id_name=id_name,
            ids=_ids(chunk, kept),
            predictions=predictions,
            columns=_prediction_columns(model, predictions),
            rejects=rejects,
            several=len(inputs) > 1,
        )

    def show(chunk: Chunk, totals: Totals) -> None:
        name = chunk.source.name
        within = chunk.bytes_done / units[name] if units[name] else 1.0
        bar.update(int(bar_start[name] + chunk.source.size * within), totals.scored)

    # Three stages, each on its own thread: parse the next chunk, predict this one, write the
    # one before. pyarrow and the model release the GIL, so the stages overlap on the cores.
    totals = run_chunks(chunks, done=out.done, score=score_chunk, after=show)
    bar.close()
    summary = totals.summary(started=run_started, load_seconds=load_seconds, output=output)
    out.finish(totals.chunks, {"version": 1, **asdict(summary)})
    return summary


def _all_chunks(
    inputs: list[InputFile],
    out: OutputDirectory,
    *,
    columns: list[str],
    id_column: str | None,
    chunk_rows: int,
    allow_missing: bool,
    schema: Any = None,
) -> Iterator[tuple[int, Chunk]]:
    """Every chunk of every file with its global index; chunks already done are not parsed."""
    base = 0
    for source in inputs:
        start = base
        position = body_start(source)
        for chunk in read_chunks(
            source,
            columns=columns,
            id_column=id_column,
            chunk_rows=chunk_rows,
            allow_missing=allow_missing,
            skip=lambda i, start=start: out.done(start + i) is not None,  # type: ignore[misc]
            schema=schema,
        ):
            chunk.bytes_start, position = position, chunk.bytes_done
            yield base, chunk
            base += 1


def _predict(model: Model, chunk: Chunk) -> tuple[np.ndarray, np.ndarray, list[Reject]]:
    """Predict a chunk at once; if the model refuses the chunk, find the rows it refuses."""
    everything = np.arange(len(chunk.rows))
    if not len(chunk.rows):
        return np.empty((0,)), everything, []
    try:
        return np.asarray(model.predict(chunk.features)), everything, []
    except Exception:  # one bad row fails the whole batch: retry row by row below
        pass
    outputs, kept, rejects = [], [], []
    for i in everything:
        try:
            outputs.append(np.asarray(model.predict(chunk.features[i : i + 1]))[0])
            kept.append(i)
        except Exception as exc:
            key = _key(chunk.keys, int(i))
            reason = f"model refused the row: {type(exc).__name__}: {str(exc)[:120]}"
            rejects.append(Reject(row=int(chunk.rows[i]), key=key, reason=reason))
    return np.asarray(outputs), np.asarray(kept, dtype=np.int64), rejects


def _ids(chunk: Chunk, kept: np.ndarray) -> Any:
    """The id values (or row numbers) of the rows kept, for the part file."""
    if chunk.keys is None:
        return chunk.rows[kept]
    if len(kept) == len(chunk.rows):
        return chunk.keys
    if isinstance(chunk.keys, list):
        return [chunk.keys[i] for i in kept]
    return chunk.keys.take(kept)


def _key(keys: Any, i: int) -> str:
    if keys is None:
        return ""
    value = keys[i]
    value = value.as_py() if hasattr(value, "as_py") else value
    return "" if value is None else str(value)


def _prediction_columns(model: Model, predictions: np.ndarray) -> list[str]:
    width = 1 if predictions.ndim == 1 else int(np.prod(predictions.shape[1:]))
    if width == 1:
        return ["prediction"]
    if model.output_kind == "probabilities":
        classes = model.classes if model.classes and len(model.classes) == width else range(width)
        return [f"proba_{label}" for label in classes]
    return [f"prediction_{j}" for j in range(width)]


def _file_units(source: InputFile) -> int:
    """The unit that Chunk.bytes_done counts: bytes of a CSV file, rows of a Parquet file."""
    if source.kind == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(source.path).metadata.num_rows)
    return source.size


def _load_model(
    path: Path,
    *,
    schema_path: Path | None = None,
    trust_types: tuple[str, ...] = (),
    task: str | None = None,
) -> Model:
    """The runtime's loader, so the scorer accepts exactly what the server accepts."""
    from .loader import ModelLoadError, load_model, read_schema_file

    try:
        schema = read_schema_file(schema_path) if schema_path is not None else None
        model: Model = load_model(path, schema=schema, trust_types=trust_types, task=task)
    except ModelLoadError as exc:
        raise ScoreInputError(str(exc)) from None
    return model


def _write_failure(exc: OSError, output: Path) -> str:
    """One line for an input or output the system refused (full disk, read-only, no access)."""
    where = exc.filename or output
    cause = exc.strerror or str(exc).strip().splitlines()[0] or type(exc).__name__
    return (
        f"cannot write {where}: {cause}; free space or make --output {output} writable (or "
        "choose another), then rerun the same command: finished chunks are kept"
    )


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="python -m model_server.score",
        description="Score a CSV/Parquet file or directory (a text model: a text column or "
        "a folder of .txt files; an image model: a folder of images or a file list) in chunks; "
        "rerun to resume. Flags default to MODEL_PATH, SCORE_INPUT, SCORE_OUTPUT, CHUNK_ROWS, "
        "ID_COLUMN, TEXT_COLUMN, TRUNCATE, MODEL_TASK.",
    )
    parser.add_argument("--model", type=Path, default=env("MODEL_PATH"), help="model file")
    parser.add_argument("--input", type=Path, default=env("SCORE_INPUT"), help="file or folder")
    parser.add_argument("--output", type=Path, default=env("SCORE_OUTPUT"), help="output folder")
    parser.add_argument(
        "--chunk-rows",
        type=int,
        default=int(env("CHUNK_ROWS") or 0) or None,
        metavar="N",
        help=f"rows per chunk (default {DEFAULT_CHUNK_ROWS:,}; {DEFAULT_ITEM_CHUNK:,} texts "
        "or images)",
    )
    parser.add_argument("--id-column", metavar="NAME", default=env("ID_COLUMN") or None)
    parser.add_argument(
        "--text-column",
        metavar="NAME",
        default=env("TEXT_COLUMN") or "text",
        help="the column of texts for a text model (default: text)",
    )
    parser.add_argument(
        "--truncate",
        action="store_true",
        default=env("TRUNCATE", "").lower() in ("1", "true", "yes"),
        help="cut texts over the model's maximum length instead of rejecting them",
    )
    parser.add_argument("--task", default=env("MODEL_TASK") or None, help="transformers task")
    parser.add_argument(
        "--batch-rows", type=int, default=64, metavar="N", help="texts or images per forward pass"
    )
    parser.add_argument(
        "--batch-tokens",
        type=int,
        default=8192,
        metavar="N",
        help="padded tokens per forward pass (rows times the longest text)",
    )
    parser.add_argument("--format", choices=["csv", "parquet"], help="output format")
    parser.add_argument("--restart", action="store_true", help="discard a previous run's output")
    parser.add_argument(
        "--schema", type=Path, default=env("MODEL_SCHEMA") or None, help="JSON input schema"
    )
    parser.add_argument(
        "--trust-types",
        default=env("MODEL_TRUST_TYPES") or "",
        help="types a .skops file may hold beyond those skops trusts (comma-separated)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    for flag, variable in (
        ("model", "MODEL_PATH"),
        ("input", "SCORE_INPUT"),
        ("output", "SCORE_OUTPUT"),
    ):
        if getattr(args, flag) is None:
            parser.error(f"--{flag} is required (or set {variable})")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; prints the summary to stderr and returns the exit code."""
    args = _parse_args(argv)
    # The scorer's own progress bar is the only one: none from transformers loading weights.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        summary = score(
            model_path=args.model,
            input_path=args.input,
            output=args.output,
            chunk_rows=args.chunk_rows,
            id_column=args.id_column,
            fmt=args.format,
            restart=args.restart,
            progress=not args.no_progress,
            schema_path=args.schema,
            trust_types=tuple(t.strip() for t in args.trust_types.split(",") if t.strip()),
            items=ItemOptions(
                text_column=args.text_column,
                truncate=args.truncate,
                task=args.task,
                batch_rows=max(args.batch_rows, 1),
                batch_tokens=max(args.batch_tokens, 1),
            ),
        )
    except ScoreInputError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"Error: {_write_failure(exc, args.output)}", file=sys.stderr)
        return 2
    skipped = (
        f" ({summary.chunks_skipped} of {summary.chunks} chunks done by an earlier run)"
        if summary.chunks_skipped
        else ""
    )
    print(
        f"scored {summary.rows_scored:,} rows, rejected {summary.rows_rejected:,}{skipped}\n"
        f"this run: {summary.rows_scored_this_run:,} rows in {summary.wall_seconds:.1f} s, "
        f"{summary.rows_per_second:,.0f} rows/s, peak memory {summary.peak_rss_mb:.0f} MB\n"
        f"predictions: {summary.output}/part-*  rejects: {summary.rejects_file}",
        file=sys.stderr,
    )
    print(json.dumps(asdict(summary)), file=sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
