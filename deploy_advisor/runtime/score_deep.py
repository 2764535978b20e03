"""The batch scorer for text and image models: chunks of items, each scored in batches.

Items come from :mod:`.score_items`; each is prepared by the model's own ``prepare`` (a text
tokenised, an image decoded and preprocessed) and run by its ``run`` in batches: texts sorted
by length within the chunk and padded to the longest of their batch, under a row cap and a
padded-token cap. Chunks are written, skipped on a rerun and assembled exactly as for tabular
models (:class:`.OutputDirectory`, :func:`.run_chunks`). An item the model refuses (an
undecodable image, a text over the maximum length without ``--truncate``) goes to rejects.csv.

Part files hold the id (relative path, `--id-column` value or row number) and, per task:
``label`` and one ``proba_<label>`` column per class (classification), ``embedding`` (feature
extraction) or ``tokens`` (token classification); nested values are lists in Parquet and JSON
text in CSV.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .score_columns import Reject
from .score_input import ScoreInputError
from .score_items import ItemChunk, find_items, read_item_chunks
from .score_output import OutputDirectory, Progress, open_output
from .score_stages import Scored, ScoreSummary, Totals, prefetch, run_chunks, write_job
from .tensors import DeepModel, InputError, Prepared
from .text_batching import split_batches

__all__ = ["DEFAULT_ITEM_CHUNK", "ItemOptions", "score_items"]

DEFAULT_ITEM_CHUNK = 1_000
"""Items per chunk for text and image models."""


@dataclass(frozen=True)
class ItemOptions:
    """What only text and image models take: where the texts are and how to batch them."""

    text_column: str = "text"
    truncate: bool = False
    """Cut texts over the model's maximum length instead of rejecting them."""
    task: str | None = None
    """The transformers task, when the model's config does not say."""
    batch_rows: int = 64
    batch_tokens: int = 8192
    """Most padded tokens (rows times the longest text) in one forward pass."""


def score_items(
    deep: DeepModel,
    *,
    model_sha256: str,
    input_path: Path,
    output: Path,
    chunk_rows: int | None,
    id_column: str | None,
    options: ItemOptions,
    fmt: str | None,
    restart: bool,
    progress: bool,
    load_seconds: float,
) -> ScoreSummary:
    """Score every text or image at `input_path` with `deep` into the directory `output`."""
    if deep.kind == "tensor":
        raise ScoreInputError(
            "the batch scorer takes tabular, text and image models; a tensor model is served "
            "(serve --model PATH) and sent its tensors over /predict or /v2"
        )
    chunk_rows = chunk_rows or DEFAULT_ITEM_CHUNK
    text_column = options.text_column
    items = find_items(
        input_path, kind=deep.kind, text_column=text_column, id_column=id_column, output=output
    )
    fmt = fmt or (
        "parquet" if items.tables and all(t.kind == "parquet" for t in items.tables) else "csv"
    )
    manifest = {
        "version": 1,
        "inputs": items.manifest(),
        "model_sha256": model_sha256,
        "task": deep.task,
        "chunk_rows": chunk_rows,
        "id_column": id_column,
        "text_column": text_column if items.tables else None,
        "truncate": options.truncate,
        "format": fmt,
    }
    out = open_output(output, fmt=fmt, manifest=manifest, restart=restart)

    bar = Progress(items.count(), enabled=progress)
    run_started = time.monotonic()
    id_name = "id" if not items.tables else id_column or "row"
    params = {"truncate": options.truncate}
    seen = [0]

    def score_chunk(index: int, chunk: ItemChunk) -> Scored:
        answers, kept, model_rejects = predict_chunk(
            deep, chunk, params=params, max_rows=options.batch_rows, max_tokens=options.batch_tokens
        )
        rejects = sorted([*chunk.rejects, *model_rejects], key=lambda r: r.row)
        return write_job(
            out,
            index,
            source=chunk.source,
            first_row=chunk.first_row,
            n_rows=chunk.n_rows,
            id_name=id_name,
            ids=[chunk.ids[i] for i in kept],
            predictions=answer_columns(deep, answers, fmt=fmt),
            columns=[],
            rejects=rejects,
            several=len(items.tables) > 1,
        )

    def show(chunk: ItemChunk, totals: Totals) -> None:
        seen[0] += chunk.n_rows
        bar.update(seen[0], totals.scored)

    done_before = functools.partial(_done, out)
    chunks = prefetch(enumerate(read_item_chunks(items, chunk_rows=chunk_rows, skip=done_before)))
    totals = run_chunks(chunks, done=out.done, score=score_chunk, after=show)
    bar.close()
    summary = totals.summary(started=run_started, load_seconds=load_seconds, output=output)
    out.finish(totals.chunks, {"version": 1, **asdict(summary)})
    return summary


def _done(out: OutputDirectory, index: int) -> bool:
    return out.done(index) is not None


def predict_chunk(
    deep: DeepModel,
    chunk: ItemChunk,
    *,
    params: dict[str, Any],
    max_rows: int,
    max_tokens: int,
) -> tuple[list[Any], list[int], list[Reject]]:
    """The model's answers for a chunk's items, the positions they answer, and the rejects.

    Texts are prepared at once and sorted by length, so each batch pads little; images are
    prepared a batch at a time, so a chunk never holds more than one batch of pixels.
    """
    rejects: list[Reject] = []
    answered: dict[int, Any] = {}

    def prepare(i: int) -> Prepared | None:
        try:
            return deep.prepare(chunk.payloads[i], params, "item")
        except InputError as exc:
            rejects.append(Reject(chunk.rows[i], _key(chunk, i), _reason(exc)))
            return None

    positions = range(len(chunk.payloads))
    groups: Iterable[list[tuple[int, Prepared]]]
    if deep.kind == "text":
        texts = [(i, p) for i in positions if (p := prepare(i)) is not None]
        groups = [sorted(texts, key=lambda item: item[1].tokens)]
    else:  # a generator: each group is prepared when the one before has run
        groups = (
            [(i, p) for i in positions[start : start + max_rows] if (p := prepare(i)) is not None]
            for start in range(0, len(positions), max_rows)
        )
    for group in groups:
        by_key: dict[Any, list[tuple[int, Prepared]]] = {}
        for i, p in group:
            by_key.setdefault(p.key, []).append((i, p))
        for same in by_key.values():
            done = 0
            for batch in split_batches(
                [p for _, p in same], max_rows=max_rows, max_tokens=max_tokens
            ):
                where = [i for i, _ in same[done : done + len(batch)]]
                done += len(batch)
                _run(deep, chunk, where, [p.data for p in batch], answered, rejects)
    kept = sorted(answered)
    return [answered[i] for i in kept], kept, rejects


def _run(
    deep: DeepModel,
    chunk: ItemChunk,
    where: list[int],
    data: list[Any],
    answered: dict[int, Any],
    rejects: list[Reject],
) -> None:
    """One forward pass; if the model refuses the batch, find the items it refuses."""
    try:
        answered.update(zip(where, deep.run(data), strict=True))
    except Exception:  # one bad item fails the whole batch: retry item by item below
        pass
    else:
        return
    for i, item in zip(where, data, strict=True):
        try:
            answered[i] = deep.run([item])[0]
        except Exception as exc:
            reason = f"model refused the item: {type(exc).__name__}: {str(exc)[:120]}"
            rejects.append(Reject(chunk.rows[i], _key(chunk, i), reason))


def _key(chunk: ItemChunk, i: int) -> str:
    key = chunk.ids[i]
    return "" if isinstance(key, int) else str(key)


_TOO_LONG = "over the model's maximum"


def _reason(exc: InputError) -> str:
    """The model's message for an item, without the request's prefix or the server's hint."""
    reason = exc.message.removeprefix("item: ")
    if _TOO_LONG in reason:
        reason = reason.split("; send", 1)[0] + "; pass --truncate to cut it"
    return reason


def answer_columns(deep: DeepModel, answers: list[Any], *, fmt: str) -> dict[str, Any]:
    """The part file's columns for a task's answers, by name."""
    import pyarrow as pa

    if deep.task in ("text-classification", "image-classification"):
        labels = deep.labels or [str(j) for j in range(len(answers[0]["scores"]) if answers else 0)]
        columns: dict[str, Any] = {
            "label": pa.array([str(a["label"]) for a in answers], pa.string())
        }
        for j, label in enumerate(labels):
            columns[f"proba_{label}"] = pa.array([a["scores"][j] for a in answers], pa.float64())
        return columns
    name = "embedding" if deep.task == "feature-extraction" else "tokens"
    if fmt == "csv":
        return {name: pa.array([json.dumps(a, ensure_ascii=False) for a in answers], pa.string())}
    if name == "embedding":
        return {name: pa.array(answers, pa.list_(pa.float32()))}
    return {name: pa.array(answers)}
