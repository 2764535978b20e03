"""SageMaker's ``/invocations``: JSON as ``/predict`` takes it, CSV and JSON lines.

CSV rows are positional, or named by a header row that lists the model's columns (in any
order); JSON lines hold one record (an object keyed by column) or one instance (a list) per
line. ``Accept`` picks the answer: JSON (``{"predictions": [...]}``), CSV or JSON lines (one
prediction per line).
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from .frames import as_batch, check_columns, record_in_order, typed_batch
from .responses import JSON, Receive, Response, Scope, header, plain_output
from .schema import InputSchema
from .validation import HTTPError, csv_to_matrix, parse_json, rows_to_matrix

if TYPE_CHECKING:
    from .serving import Server as ModelServer

__all__ = ["ACCEPTED", "JSON_LINES", "SageMaker"]

CSV = b"text/csv"
JSON_LINES = b"application/jsonlines"
_LINES_ALIASES = (JSON_LINES, b"application/x-jsonlines", b"application/jsonl")
ACCEPTED = (JSON, CSV, *_LINES_ALIASES)
_ANSWERS = {JSON: JSON, CSV: CSV, **dict.fromkeys(_LINES_ALIASES, JSON_LINES)}


def answer_type(accept: bytes | None) -> bytes:
    """The media type to answer in, from the Accept header (JSON when it allows anything)."""
    if not accept:
        return JSON
    choices: list[tuple[float, int, bytes]] = []
    for k, part in enumerate(accept.split(b",")):
        fields = part.strip().split(b";")
        media = fields[0].strip().lower()
        q = 1.0
        for f in fields[1:]:
            key, _, value = f.strip().partition(b"=")
            if key.strip() == b"q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            choices.append((-q, k, media))
    for _, _, media in sorted(choices):
        if media in _ANSWERS:
            return _ANSWERS[media]
        if media in (b"*/*", b"application/*"):
            return JSON
        if media == b"text/*":
            return CSV
    raise HTTPError(
        406,
        f"cannot answer in {accept.decode(errors='replace')!r}; "
        "accept application/json, text/csv or application/jsonlines",
    )


def _csv_cell(v: Any) -> str:
    return repr(v) if isinstance(v, float) else str(v)


def render(out: np.ndarray, media: bytes) -> bytes:
    """Predictions as a JSON object, CSV rows or JSON lines."""
    if media == JSON:
        return orjson.dumps({"predictions": plain_output(out)}, option=orjson.OPT_SERIALIZE_NUMPY)
    rows = out.tolist()
    if media == JSON_LINES:
        return b"".join(orjson.dumps(r) + b"\n" for r in rows)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for r in rows:
        writer.writerow([_csv_cell(v) for v in r] if isinstance(r, list) else [_csv_cell(r)])
    return buf.getvalue().encode()


def _csv_table(text: str) -> list[list[str]]:
    table = [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]
    if not table:
        raise HTTPError(400, "the CSV body has no rows")
    return table


def csv_to_batch(schema: InputSchema, text: str) -> np.ndarray:
    """The typed batch of CSV rows, with or without a header naming the columns."""
    try:
        table = _csv_table(text)
    except csv.Error as exc:
        raise HTTPError(400, f"the CSV body cannot be read: {exc}") from None
    names = schema.names
    first = [c.strip() for c in table[0]]
    order = list(range(len(names)))
    width = len(names)
    if all(c in names for c in first):
        lacking = [n for n in names if n not in first]
        if lacking:
            raise HTTPError(422, f"the CSV header lacks column {lacking[0]!r}")
        order = [first.index(n) for n in names]
        width = len(first)
        table = table[1:]
        if not table:
            raise HTTPError(400, "the CSV body has a header but no rows")
    for i, row in enumerate(table):
        if len(row) != width:
            raise HTTPError(
                422,
                f"wrong column count: CSV row {i} has {len(row)} cells; the model takes "
                f"{len(names)} columns ({', '.join(names)})",
            )
    columns = [[row[k] for row in table] for k in order]
    return as_batch(check_columns(columns, schema, text=True, place="CSV "), schema)


def _lines(body: bytes) -> list[Any]:
    """The JSON values of a JSON lines body, one per non-empty line."""
    values = []
    for n, line in enumerate(body.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            values.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise HTTPError(
                400, f"invalid JSON on line {n} of the JSON lines body: {exc}"
            ) from None
    if not values:
        raise HTTPError(400, "the JSON lines body has no rows")
    return values


def _line_rows(values: list[Any], names: list[str] | None) -> list[Any]:
    """Each line as a positional row; a record (object) is put in column order."""
    known = set(names or ())
    rows: list[Any] = []
    for i, v in enumerate(values):
        if isinstance(v, dict):
            if names is None:
                raise HTTPError(
                    422,
                    f"row {i} is a record, but this model was trained without column names; "
                    "send each row as a list of values",
                )
            rows.append(record_in_order(v, i, names, known))
        elif isinstance(v, list):
            rows.append(v)
        else:
            raise HTTPError(
                400, f"row {i} is {type(v).__name__}; each line must be a JSON object or list"
            )
    return rows


class SageMaker:
    """The ``/invocations`` route of one :class:`~.app.ModelServer`."""

    def __init__(self, server: ModelServer) -> None:
        self.server = server

    async def invocations(self, scope: Scope, receive: Receive, params: dict[str, str]) -> Response:
        server = self.server
        model, batcher = server._ready_model()
        media = answer_type(header(scope, b"accept"))
        body, kind = await server._body(scope, receive, (JSON, CSV, *_LINES_ALIASES))
        schema = server.schema if server.typed else None
        if kind == CSV:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise HTTPError(400, "the CSV body is not UTF-8 text") from None
            if schema is not None:
                x = csv_to_batch(schema, text)
            else:
                x = csv_to_matrix(text, model.n_features, model.allows_nan, model.feature_names)
        elif kind in _LINES_ALIASES:
            names = schema.names if schema is not None else model.feature_names
            rows = _line_rows(_lines(body), names)
            if schema is not None:
                x = typed_batch(rows, schema, allow_list=True)
            else:
                x = rows_to_matrix(
                    rows, model.n_features, model.allows_nan, model.feature_names, "rows"
                )
        elif schema is not None:
            x = typed_batch(parse_json(body), schema, allow_list=True)
        else:
            x = server._matrix(parse_json(body), model, allow_list=True)
        out, batch = await batcher.submit(x)
        return Response(200, render(out, media), media, batch)
