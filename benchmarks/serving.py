"""The serving benchmark behind `make bench-serving`: every contender, one machine, one run.

Each contender serves the same example RandomForest (joblib, and ONNX for our server) on a free
loopback port. Predictions are checked against scikit-learn before any load. wrk then drives
single-row POSTs at each concurrency, contenders interleaved round by round (A, B, A, B).
The in-process limits (the model's own predict rate, no HTTP) are measured first.
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
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from contenders.servers import ROOT, RunningServer, server_specs, start_server  # noqa: E402
from contenders.wrk import run_wrk, write_post_script  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CHECK_ROWS = 20
CHECK_ATOL = 1e-5  # ONNX computes in float32 (largest difference about 4e-7)


def main() -> int:
    args = _parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    model_dir = args.model_dir or _example_model(work)
    body = json.dumps({"instances": [_rows()[0]]})
    script = write_post_script(work / "post.lua", body)
    in_process = [] if args.skip_in_process else _in_process_limits(model_dir)
    specs = [s for s in server_specs(model_dir) if not args.only or _wanted(s.endpoints, args.only)]
    servers: list[RunningServer] = []
    problems: dict[str, str] = {}
    runs: list[dict[str, Any]] = []
    try:
        for spec in specs:
            _log(f"starting {spec.name}")
            try:
                servers.append(start_server(spec, work=work))
            except (RuntimeError, subprocess.CalledProcessError) as exc:
                problems[spec.name] = str(exc)
        endpoints = []
        for server in servers:
            for endpoint in server.spec.endpoints:
                if args.only and endpoint.name not in args.only:
                    continue
                problem = _check(server, endpoint.path, endpoint.checks_predictions, model_dir)
                if problem:
                    problems[endpoint.name] = problem
                else:
                    endpoints.append((server, endpoint))
        for round_no in range(1, args.rounds + 1):
            for connections in args.concurrency:
                for server, endpoint in endpoints:
                    url = server.url(endpoint.path)
                    _log(f"round {round_no} c={connections} {endpoint.name}")
                    if args.warmup > 0:
                        run_wrk(url, script=script, connections=connections, seconds=args.warmup)
                    cpu_before = _tree_cpu_seconds(server.process.pid)
                    result = run_wrk(
                        url, script=script, connections=connections, seconds=args.duration
                    )
                    cores = (_tree_cpu_seconds(server.process.pid) - cpu_before) / result.seconds
                    runs.append(
                        {
                            "endpoint": endpoint.name,
                            "round": round_no,
                            "connections": connections,
                            **result.to_dict(),
                            "server_cores": round(cores, 2),
                        }
                    )
    finally:
        for server in servers:
            server.stop()
    labels = {e.name: e.label for s in specs for e in s.endpoints}
    document = {
        "version": 1,
        "command": _command(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "versions": _versions(),
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
            "concurrency": args.concurrency,
            "generator": "wrk -t1 -cC --latency -s post.lua (Lua POST, one row)",
            "body_bytes": len(body),
        },
        "in_process": in_process,
        "summary": _summarise(runs, labels),
        "runs": runs,
        "problems": problems,
    }
    document["targets"] = _targets(document["summary"])
    args.out_dir.mkdir(parents=True, exist_ok=True)
    _write(args.out_dir / "serving.json", json.dumps(document, indent=2) + "\n")
    _write(args.out_dir / "serving.md", _markdown(document))
    _log(f"wrote {args.out_dir / 'serving.md'} and serving.json (server logs in {work})")
    sys.stdout.write(_markdown(document))
    return 1 if problems else 0


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=15, help="seconds of load per run")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of warm-up per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (A,B,A,B)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--only", action="append", help="endpoint name; repeat for several")
    parser.add_argument("--model-dir", type=Path, help="holds model.joblib and model.onnx")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    parser.add_argument("--skip-in-process", action="store_true")
    return parser.parse_args()


def _wanted(endpoints: Any, only: list[str]) -> bool:
    return any(e.name in only for e in endpoints)


def _log(message: str) -> None:
    sys.stderr.write(f"[bench-serving] {message}\n")
    sys.stderr.flush()


def _example_model(work: Path) -> Path:
    from deploy_advisor.intake import make_example_model

    make_example_model(work / "model")
    return work / "model"


def _rows() -> list[list[float]]:
    from sklearn.datasets import load_breast_cancer

    return [[float(v) for v in row] for row in load_breast_cancer().data]


def _check(server: RunningServer, path: str, predictions: bool, model_dir: Path) -> str | None:
    """None when the endpoint answers CHECK_ROWS single rows like scikit-learn does."""
    import joblib
    import numpy as np

    model = joblib.load(model_dir / "model.joblib")
    for row in _rows()[:CHECK_ROWS]:
        request = urllib.request.Request(
            server.url(path),
            data=json.dumps({"instances": [row]}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = json.loads(response.read() or b"null")
        except OSError as exc:
            return f"POST {path} failed: {exc}"
        if not predictions:
            continue
        got = answer.get("predictions") if isinstance(answer, dict) else answer
        expected = model.predict_proba(np.asarray([row]))
        if not np.allclose(np.asarray(got, dtype=float), expected, atol=CHECK_ATOL):
            return f"POST {path} answered {str(answer)[:120]}, expected {expected.tolist()}"
    return None


def _tree_cpu_seconds(pid: int) -> float:
    import psutil

    try:
        root = psutil.Process(pid)
        total = 0.0
        for proc in [root, *root.children(recursive=True)]:
            times = proc.cpu_times()
            total += times.user + times.system
        return total
    except psutil.Error:
        return 0.0


def _in_process_limits(model_dir: Path) -> list[dict[str, Any]]:
    """The model's own predict rate at batch 1 and 64, without HTTP (median of 5 repeats)."""
    import joblib
    import numpy as np
    import onnxruntime as ort

    data = np.asarray(_rows())
    forest = joblib.load(model_dir / "model.joblib")
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model_dir / "model.onnx"), sess_options=options)
    results = []
    for batch in (1, 64):
        rows = data[:batch]
        rows32 = rows.astype(np.float32)
        cases = {
            "RandomForest predict_proba (joblib)": lambda r=rows: forest.predict_proba(r),
            "RandomForest as ONNX, onnxruntime 1 thread": lambda r=rows32: session.run(
                ["probabilities"], {"X": r}
            ),
        }
        for name, call in cases.items():
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


def _summarise(runs: list[dict[str, Any]], labels: dict[str, str]) -> list[dict[str, Any]]:
    """Median over rounds for each endpoint and concurrency; errors are added up."""
    rows = []
    for name in dict.fromkeys(r["endpoint"] for r in runs):
        for connections in dict.fromkeys(r["connections"] for r in runs):
            mine = [r for r in runs if r["endpoint"] == name and r["connections"] == connections]
            if not mine:
                continue
            rows.append(
                {
                    "endpoint": name,
                    "label": labels.get(name, name),
                    "connections": connections,
                    "rounds": len(mine),
                    "rps": round(statistics.median(r["rps"] for r in mine), 1),
                    "p50_ms": round(statistics.median(r["p50_ms"] for r in mine), 2),
                    "p99_ms": round(statistics.median(r["p99_ms"] for r in mine), 2),
                    "errors": sum(r["errors"] for r in mine),
                    "server_cores": round(statistics.median(r["server_cores"] for r in mine), 2),
                }
            )
    return rows


def _targets(summary: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, each with the figures it compares and a verdict."""

    def get(name: str, connections: int) -> dict[str, Any] | None:
        return next(
            (s for s in summary if s["endpoint"] == name and s["connections"] == connections),
            None,
        )

    targets: list[dict[str, Any]] = []
    ours, bento = get("ours-joblib", 64), get("bentoml-batchable", 64)
    if ours and bento:
        targets.append(
            {
                "target": "RF joblib c=64: >= 2x BentoML batchable req/s",
                "measured": f"{ours['rps']:.0f} vs 2 x {bento['rps']:.0f}",
                "passed": ours["rps"] >= 2 * bento["rps"],
            }
        )
        targets.append(
            {
                "target": "RF joblib c=64: p99 no worse than BentoML batchable",
                "measured": f"{ours['p99_ms']:.1f} ms vs {bento['p99_ms']:.1f} ms",
                "passed": ours["p99_ms"] <= bento["p99_ms"],
            }
        )
    for connections in (8, 64):
        onnx, noop = get("ours-onnx", connections), get("ours-noop", connections)
        if onnx and noop:
            targets.append(
                {
                    "target": f"ONNX c={connections}: >= 80% of the no-op endpoint's req/s",
                    "measured": f"{onnx['rps']:.0f} vs {noop['rps']:.0f} "
                    f"({onnx['rps'] / noop['rps']:.0%})",
                    "passed": onnx["rps"] >= 0.8 * noop["rps"],
                }
            )
    onnx8 = get("ours-onnx", 8)
    if onnx8:
        targets.append(
            {
                "target": "ONNX c=8: p50 below 5 ms",
                "measured": f"{onnx8['p50_ms']:.2f} ms",
                "passed": onnx8["p50_ms"] < 5,
            }
        )
    return targets


def _markdown(doc: dict[str, Any]) -> str:
    m, s = doc["machine"], doc["settings"]
    lines = [
        "# Serving benchmark",
        "",
        f"Command: `{doc['command']}`  ",
        f"Run: {doc['started_at']} on {m['cpu_model']}, {m['cores']} cores, "
        f"{m['memory_gib']} GiB, {m['os']}.  ",
        f"Load: {s['generator']}, {s['duration_s']:g} s per run after {s['warmup_s']:g} s "
        f"warm-up, {s['rounds']} interleaved round(s); figures are medians over the rounds; "
        "server and wrk share the cores.  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in doc["versions"].items()) + ".",
        "",
    ]
    concurrencies = list(dict.fromkeys(r["connections"] for r in doc["summary"]))
    if concurrencies:
        head = ["server"] + [
            f"c={c} {col}" for c in concurrencies for col in ("req/s", "p50 ms", "p99 ms", "errors")
        ]
        lines += [
            "| " + " | ".join(head) + " | server cores |",
            "|---|" + "---:|" * (len(head) - 1) + "---:|",
        ]
        for name in dict.fromkeys(r["endpoint"] for r in doc["summary"]):
            cells, label, cores = [], name, []
            for c in concurrencies:
                row = next(
                    (r for r in doc["summary"] if r["endpoint"] == name and r["connections"] == c),
                    None,
                )
                if row is None:
                    cells += ["-"] * 4
                    continue
                label = row["label"]
                cores.append(f"{row['server_cores']:.2f}")
                cells += [
                    f"{row['rps']:,.0f}",
                    f"{row['p50_ms']:.1f}",
                    f"{row['p99_ms']:.1f}",
                    str(row["errors"]),
                ]
            lines.append(f"| {label} | " + " | ".join(cells) + f" | {' / '.join(cores)} |")
        lines.append("")
    if doc["in_process"]:
        lines += [
            "In process, no HTTP (median of 5 repeats):",
            "",
            "| model | batch | µs per call | rows/s |",
            "|---|---:|---:|---:|",
        ]
        for r in doc["in_process"]:
            lines.append(
                f"| {r['model']} | {r['batch']} | {r['us_per_call']:,.1f} | {r['rows_per_s']:,} |"
            )
        lines.append("")
    if doc["targets"]:
        lines += ["| target | measured | met |", "|---|---|---|"]
        for t in doc["targets"]:
            lines.append(f"| {t['target']} | {t['measured']} | {'yes' if t['passed'] else 'NO'} |")
        lines.append("")
    for name, problem in doc["problems"].items():
        lines.append(f"- **{name} not measured**: {problem}")
    return "\n".join(lines).rstrip() + "\n"


def _command() -> str:
    """How to repeat this run: through make when make started it."""
    if os.environ.get("MAKELEVEL"):
        extra = shlex.join(sys.argv[1:])
        return "make bench-serving" + (f" BENCH_SERVING_ARGS='{extra}'" if extra else "")
    return shlex.join(["python", *sys.argv])


def _machine() -> dict[str, Any]:
    import psutil

    model = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def _versions() -> dict[str, str]:
    """Versions of every moving part: ours from this venv, contenders' from theirs, and wrk."""
    wanted = {
        ".venv": ["scikit-learn", "numpy", "onnxruntime", "uvicorn", "orjson"],
        ".venv-bench-bentoml": ["bentoml"],
        ".venv-bench-mlflow": ["mlflow"],
        ".venv-bench-flask": ["flask", "gunicorn"],
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


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    _log(f"done in {time.monotonic() - started:.0f} s")
    sys.exit(code)
