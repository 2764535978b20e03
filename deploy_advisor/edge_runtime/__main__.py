"""Command line: `python -m edge_runtime predict|serve|bench [--model model.onnx]`.

predict  reads JSON or CSV rows on stdin, writes one JSON line of outputs per row
serve    a tiny HTTP server (127.0.0.1 by default): POST /predict {"instances": [[...]]}
         (a model with named columns: {"records": [{"column": value, ...}]})
bench    load time, p50/p99 latency per one-row prediction and peak memory, as JSON
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .bench import bench
from .model import load, memory_mb
from .rows import parse_rows

DEFAULT_MODEL = "model.onnx"


def _default_model() -> Path:
    """$EDGE_MODEL, else model.onnx in the current directory, else beside this package."""
    if os.environ.get("EDGE_MODEL"):
        return Path(os.environ["EDGE_MODEL"])
    here = Path(DEFAULT_MODEL)
    return here if here.exists() else Path(__file__).resolve().parent.parent / DEFAULT_MODEL


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m edge_runtime",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", type=Path, default=None, help="ONNX file (default model.onnx)")
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser("predict", help="rows on stdin, predictions on stdout")
    predict.add_argument("--format", choices=["auto", "json", "csv"], default="auto")
    predict.add_argument("--stats", action="store_true", help="load time and memory on stderr")
    serve = commands.add_parser("serve", help="tiny HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    measure = commands.add_parser("bench", help="latency and memory on this machine")
    measure.add_argument("--predictions", type=int, default=1000)
    measure.add_argument(
        "--sample", type=Path, default=None, help="JSON rows (default sample.json)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    model_path = args.model or _default_model()
    if not model_path.exists():
        print(
            f"Error: model {model_path} not found; pass --model PATH or set EDGE_MODEL",
            file=sys.stderr,
        )
        return 2
    if args.command == "bench":
        sample = args.sample or model_path.with_name("sample.json")
        print(json.dumps(bench(model_path, sample.read_text(), predictions=args.predictions)))
        return 0
    model = load(model_path)
    if args.command == "serve":
        from .serve import serve

        serve(model, host=args.host, port=args.port)
        return 0
    try:
        rows = parse_rows(sys.stdin.read(), fmt=args.format, columns=model.columns)
        records = model.records(rows)
    except ValueError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write("".join(json.dumps(record) + "\n" for record in records))
    if args.stats:
        stats = {"load_ms": round(model.load_seconds * 1000, 2), "rows": len(rows), **memory_mb()}
        print(json.dumps(stats), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
