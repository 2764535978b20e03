"""The serving benchmark behind `make bench-serving`: every contender, one machine, one run.

Models (trained offline with fixed seeds, benchmarks/contenders/models.py): the example
RandomForest, a churn-like Pipeline over a DataFrame, an XGBClassifier and an LGBMClassifier.
For one model at a time, each contender serves it on a free loopback port from its own venv,
its answers are checked against the framework's own predict_proba (a contender that fails is
skipped with the reason printed and recorded), then wrk drives single-row POSTs in the
contender's protocol at each concurrency, contenders interleaved round by round (A, B, A, B).
The in-process limits (each model's own predict rate, no HTTP) are measured first.
Results: benchmarks/results/serving.json and serving.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from contenders.mlserver_config import DEFAULT_PARALLEL_WORKERS, MLSERVER_SETTINGS  # noqa: E402
from contenders.models import MODEL_KINDS, BenchModel, churn_frame, make_models  # noqa: E402
from contenders.payloads import matches, probabilities, request_body  # noqa: E402
from contenders.report import markdown, summarise, targets  # noqa: E402
from contenders.runinfo import machine, tree_cpu_seconds, write_atomic  # noqa: E402
from contenders.servers import ROOT, Endpoint, RunningServer, ServerSpec, start_server  # noqa: E402
from contenders.specs import CONTENDERS, server_specs  # noqa: E402
from contenders.wrk import run_wrk, write_post_script  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def main() -> int:
    args = _parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    _log(f"training {', '.join(args.models)} in {work}")
    models = make_models(work, args.models)
    in_process = [] if args.skip_in_process else _in_process_limits(models)
    specs = [
        s
        for s in server_specs(models, mlserver_workers=args.mlserver_workers)
        if s.contender in args.contenders and (not args.only or _wanted(s.endpoints, args.only))
    ]
    problems: dict[str, str] = {}
    runs: list[dict[str, Any]] = []
    for kind, model in models.items():
        mine = [s for s in specs if s.model == kind]
        runs += _measure(model, mine, args=args, work=work, problems=problems)
    labels = {e.name: e.label for s in specs for e in s.endpoints}
    document = {
        "version": 2,
        "command": _command(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": _versions(),
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
            "concurrency": args.concurrency,
            "models": list(args.models),
            "contenders": list(args.contenders),
            "generator": "wrk -t1 -cC --latency -s post.lua (Lua POST, one row)",
            "mlserver": {
                **MLSERVER_SETTINGS,
                "parallel_workers": args.mlserver_workers,
                "max_batch_size": 64,
                "max_batch_time_s": 0.005,
            },
            "litserve": {"max_batch_size": 64, "batch_timeout_s": 0.005, "workers": 2},
        },
        "in_process": in_process,
        "summary": summarise(runs, labels),
        "runs": runs,
        "problems": problems,
    }
    document["targets"] = targets(document["summary"])
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out_dir / "serving.json", json.dumps(document, indent=2) + "\n")
    write_atomic(args.out_dir / "serving.md", markdown(document))
    _log(f"wrote {args.out_dir / 'serving.md'} and serving.json (server logs in {work})")
    sys.stdout.write(markdown(document))
    return 1 if problems else 0


def _measure(
    model: BenchModel,
    specs: list[ServerSpec],
    *,
    args: argparse.Namespace,
    work: Path,
    problems: dict[str, str],
) -> list[dict[str, Any]]:
    """Start one model's servers, check their answers, then run wrk round by round."""
    servers: list[RunningServer] = []
    runs: list[dict[str, Any]] = []
    try:
        for spec in specs:
            _log(f"starting {spec.name}")
            try:
                servers.append(start_server(spec, work=work))
            except (RuntimeError, subprocess.CalledProcessError) as exc:
                _skip(problems, spec.name, str(exc))
        endpoints = []
        for server in servers:
            for endpoint in server.spec.endpoints:
                if args.only and endpoint.name not in args.only:
                    continue
                problem = check_endpoint(server.url(endpoint.path), endpoint, model)
                if problem:
                    _skip(problems, endpoint.name, problem)
                    continue
                body = json.dumps(request_body(endpoint.protocol, model, model.rows[:1]))
                script = write_post_script(work / f"{endpoint.name}.lua", body)
                endpoints.append((server, endpoint, script, len(body)))
        for round_no in range(1, args.rounds + 1):
            for connections in args.concurrency:
                for server, endpoint, script, body_bytes in endpoints:
                    url = server.url(endpoint.path)
                    _log(f"round {round_no} c={connections} {endpoint.name}")
                    if args.warmup > 0:
                        run_wrk(url, script=script, connections=connections, seconds=args.warmup)
                    cpu_before = tree_cpu_seconds(server.process.pid)
                    result = run_wrk(
                        url, script=script, connections=connections, seconds=args.duration
                    )
                    cores = (tree_cpu_seconds(server.process.pid) - cpu_before) / result.seconds
                    runs.append(
                        {
                            "endpoint": endpoint.name,
                            "model": model.kind,
                            "round": round_no,
                            "connections": connections,
                            "body_bytes": body_bytes,
                            **result.to_dict(),
                            "server_cores": round(cores, 2),
                        }
                    )
    finally:
        for server in servers:
            server.stop()
    return runs


def _skip(problems: dict[str, str], name: str, reason: str) -> None:
    """Record why a contender is not measured, and say so now rather than only in the table."""
    problems[name] = reason
    _log(f"SKIPPING {name}: {reason}")


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=15, help="seconds of load per run")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of warm-up per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (A,B,A,B)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 64])
    parser.add_argument(
        "--models",
        type=_choices(MODEL_KINDS),
        default=MODEL_KINDS,
        help=f"comma-separated, from {','.join(MODEL_KINDS)} (default: all)",
    )
    parser.add_argument(
        "--contenders",
        type=_choices(CONTENDERS),
        default=CONTENDERS,
        help=f"comma-separated, from {','.join(CONTENDERS)} (default: all)",
    )
    parser.add_argument(
        "--mlserver-workers",
        type=int,
        default=DEFAULT_PARALLEL_WORKERS,
        help="MLServer's parallel_workers (0: inference in the server process)",
    )
    parser.add_argument("--only", action="append", help="endpoint name; repeat for several")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    parser.add_argument("--skip-in-process", action="store_true")
    return parser.parse_args()


def _choices(allowed: tuple[str, ...]) -> Callable[[str], tuple[str, ...]]:
    def parse(text: str) -> tuple[str, ...]:
        chosen = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
        unknown = [c for c in chosen if c not in allowed]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(
                f"{', '.join(unknown) or 'nothing'} is not one of {', '.join(allowed)}"
            )
        return chosen

    return parse


def _wanted(endpoints: Any, only: list[str]) -> bool:
    return any(e.name in only for e in endpoints)


def _log(message: str) -> None:
    sys.stderr.write(f"[bench-serving] {message}\n")
    sys.stderr.flush()


def check_endpoint(url: str, endpoint: Endpoint, model: BenchModel) -> str | None:
    """None when the endpoint answers each check row, one per request, like the framework does."""
    for row, expected in zip(model.rows, model.expected, strict=True):
        body = request_body(endpoint.protocol, model, [row])
        request = urllib.request.Request(
            url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:200]
            return f"POST {endpoint.path} answered {exc.code}: {detail}"
        except OSError as exc:
            return f"POST {endpoint.path} failed: {exc}"
        if not endpoint.checks_predictions:
            continue
        try:
            got = probabilities(endpoint.protocol, answer)
        except (KeyError, TypeError, ValueError) as exc:
            return f"POST {endpoint.path} answered {str(answer)[:120]} ({exc!r})"
        if not matches(got, [expected]):
            return f"POST {endpoint.path} answered {str(answer)[:120]}, expected {[expected]}"
    return None


def _in_process_limits(models: dict[str, BenchModel]) -> list[dict[str, Any]]:
    """Each model's own predict rate at batch 1 and 64, without HTTP (median of 5 repeats)."""
    import joblib
    import numpy as np

    numeric = np.asarray(_numeric_rows())
    cases: list[tuple[str, int, Callable[[], object]]] = []
    for kind, model in models.items():
        loaded = joblib.load(model.joblib_path)
        for batch in (1, 64):
            rows = churn_frame(batch, seed=1)[0] if model.is_frame else numeric[:batch]
            name = f"{kind} predict_proba (joblib)"
            cases.append((name, batch, lambda m=loaded, r=rows: m.predict_proba(r)))
            if kind == "forest":
                onnx = "forest as ONNX, onnxruntime 1 thread"
                cases.append((onnx, batch, _onnx_call(model, batch)))
    results = []
    for name, batch, call in cases:
        _log(f"in-process {name} batch {batch}")
        timer = timeit.Timer(call)
        number, _ = timer.autorange()
        per_call = statistics.median(timer.repeat(repeat=5, number=number)) / number
        results.append(
            {
                "model": name,
                "batch": batch,
                "us_per_call": round(per_call * 1e6, 1),
                "rows_per_s": round(batch / per_call),
            }
        )
    return sorted(results, key=lambda r: (r["model"], r["batch"]))


def _numeric_rows() -> list[list[float]]:
    from sklearn.datasets import load_breast_cancer

    return [[float(v) for v in row] for row in load_breast_cancer().data]


def _onnx_call(model: BenchModel, batch: int) -> Callable[[], object]:
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model.directory / "model.onnx"), sess_options=options)
    rows32 = np.asarray(_numeric_rows()[:batch], dtype=np.float32)
    return lambda: session.run(["probabilities"], {"X": rows32})


def _command() -> str:
    """How to repeat this run: through make when make started it."""
    if os.environ.get("MAKELEVEL"):
        extra = shlex.join(sys.argv[1:])
        return "make bench-serving" + (f" BENCH_SERVING_ARGS='{extra}'" if extra else "")
    return shlex.join(["python", *sys.argv])


def _versions() -> dict[str, str]:
    """Versions of every moving part: ours from this venv, contenders' from theirs, and wrk."""
    wanted = {
        ".venv": [
            "scikit-learn",
            "numpy",
            "pandas",
            "xgboost",
            "lightgbm",
            "onnxruntime",
            "uvicorn",
            "orjson",
        ],  # fmt: skip
        ".venv-bench-bentoml": ["bentoml"],
        ".venv-bench-mlflow": ["mlflow"],
        ".venv-bench-flask": ["flask", "gunicorn"],
        ".venv-bench-mlserver": ["mlserver", "mlserver-sklearn", "mlserver-xgboost"],
        ".venv-bench-litserve": ["litserve"],
    }
    versions = {"python": platform.python_version()}
    for venv, packages in wanted.items():
        python = ROOT / venv / "bin" / "python"
        if not python.exists():
            continue
        code = (
            "import importlib.metadata as m, json, sys;"
            "print(json.dumps({p: m.version(p) for p in sys.argv[1:]}))"
        )
        done = subprocess.run(
            [str(python), "-c", code, *packages], capture_output=True, text=True, check=False
        )
        if done.returncode == 0:
            versions.update(json.loads(done.stdout))
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    first = (wrk.stdout or wrk.stderr).split()
    versions["wrk"] = first[1] if len(first) > 1 else "unknown"
    return versions


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    _log(f"done in {time.monotonic() - started:.0f} s")
    sys.exit(code)
