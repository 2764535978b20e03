"""What the batch scorer's runs share: the stages on their threads and the run's summary.

Tabular rows (:mod:`.score`) and deep-model items (:mod:`.score_deep`) both parse the next
chunk on a reader thread, predict on the caller's and write on a writer thread.
"""

from __future__ import annotations

import functools
import queue
import resource
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .score_columns import Reject
from .score_output import OutputDirectory

__all__ = [
    "InOrder",
    "ScoreSummary",
    "Scored",
    "Totals",
    "peak_rss_mb",
    "prefetch",
    "run_chunks",
    "write_job",
]


@dataclass(frozen=True)
class ScoreSummary:
    """What a scoring run did; also written to DIR/_summary.json."""

    rows_scored: int
    rows_rejected: int
    rows_scored_this_run: int
    chunks: int
    chunks_skipped: int
    wall_seconds: float
    rows_per_second: float
    load_seconds: float
    peak_rss_mb: float
    output: str
    rejects_file: str


@dataclass
class Totals:
    """Rows (or items) counted while a run goes; turned into its summary at the end."""

    scored: int = 0
    rejected: int = 0
    scored_now: int = 0
    chunks: int = 0
    skipped: int = 0

    def add_done(self, record: dict[str, Any]) -> None:
        """Count a chunk an earlier run finished, from its done marker."""
        self.skipped += 1
        self.scored += record["scored"]
        self.rejected += record["rejected"]

    def summary(self, *, started: float, load_seconds: float, output: Path) -> ScoreSummary:
        wall = time.monotonic() - started
        return ScoreSummary(
            rows_scored=self.scored,
            rows_rejected=self.rejected,
            rows_scored_this_run=self.scored_now,
            chunks=self.chunks,
            chunks_skipped=self.skipped,
            wall_seconds=round(wall, 3),
            rows_per_second=round(self.scored_now / wall, 1) if wall > 0 else 0.0,
            load_seconds=round(load_seconds, 3),
            peak_rss_mb=peak_rss_mb(),
            output=str(output),
            rejects_file=str(output / "rejects.csv"),
        )


def prefetch(items: Iterator[Any], depth: int = 1) -> Iterator[Any]:
    """Produce the next items in a background thread while the caller works on this one."""
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)

    def fill() -> None:
        try:
            for item in items:
                q.put(("item", item))
        except BaseException as exc:  # handed to the consumer, re-raised there
            q.put(("error", exc))
        else:
            q.put(("end", None))

    threading.Thread(target=fill, name="score-reader", daemon=True).start()
    while True:
        kind, value = q.get()
        if kind == "end":
            return
        if kind == "error":
            raise value
        yield value


class InOrder:
    """Run jobs one after another on a background thread, with at most `depth` waiting.

    Leaving the `with` block waits for the jobs already submitted, so every chunk that was
    scored is written (or its error raised) before the run reports; the first job that fails
    stops the rest and its exception is raised in the caller.
    """

    def __init__(self, name: str, depth: int = 1) -> None:
        self._jobs: queue.Queue[Callable[[], object] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> InOrder:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._jobs.put(None)
        self._thread.join()
        if self._error is not None and exc_info[0] is None:
            raise self._error

    def submit(self, job: Callable[[], object]) -> None:
        if self._error is not None:
            raise self._error
        self._jobs.put(job)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._error is None:  # after a failure, drain without running
                try:
                    job()
                except BaseException as exc:  # handed to the caller, raised there
                    self._error = exc


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    Linux's VmHWM starts afresh at exec; ru_maxrss does not, so under a parent that forked
    with a large heap it would report the parent's size instead of the scorer's.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@dataclass(frozen=True)
class Scored:
    """One chunk scored: how to write it (on the writer thread) and what it counted."""

    write: Callable[[], object]
    scored: int
    rejected: int


def write_job(
    out: OutputDirectory,
    index: int,
    *,
    source: str,
    first_row: int,
    n_rows: int,
    id_name: str,
    ids: Any,
    predictions: Any,
    columns: list[str],
    rejects: list[Reject],
    several: bool,
) -> Scored:
    """A scored chunk: its part file, rejects and done marker to write, and its counts."""
    write = functools.partial(
        out.write_chunk,
        index,
        record={
            "source": source,
            "first_row": first_row,
            "rows": n_rows,
            "scored": len(ids),
            "rejected": len(rejects),
        },
        id_name=id_name,
        ids=ids,
        predictions=predictions,
        columns=columns,
        rejects=rejects,
        source=source if several else None,
    )
    return Scored(write, len(ids), len(rejects))


def run_chunks(
    chunks: Iterator[tuple[int, Any]],
    *,
    done: Callable[[int], dict[str, Any] | None],
    score: Callable[[int, Any], Scored],
    after: Callable[[Any, Totals], None],
) -> Totals:
    """Score each chunk an earlier run did not finish and write it in order; count the others.

    A chunk whose `skipped` is set and whose done marker is there is counted from the marker;
    the others are scored here while the one before is written on the writer thread.
    """
    totals = Totals()
    with InOrder("score-writer") as writer:
        for index, chunk in chunks:
            record = done(index)
            if chunk.skipped and record is not None:
                totals.add_done(record)
            else:
                result = score(index, chunk)
                writer.submit(result.write)
                totals.scored += result.scored
                totals.scored_now += result.scored
                totals.rejected += result.rejected
            totals.chunks += 1
            after(chunk, totals)
    return totals
