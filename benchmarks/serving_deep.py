"""The deep-learning serving benchmark behind `make bench-serving-deep`.

A small BERT-shaped text classifier (benchmarks/contenders/deep_models.py, built offline) is
served by ours (2 workers, adaptive batching padded to the longest text), a plain FastAPI app
calling a transformers pipeline per request (2 uvicorn workers) and LitServe (batching 32 / 5 ms,
2 workers). Every contender's answers are checked against the model's own scores first; then wrk
drives single-text POSTs at each concurrency, contenders interleaved round by round. Every
process runs torch with one thread per worker (OMP_NUM_THREADS=1), two workers on two cores; the
in-process limit is the batched forward pass (tokenizer and model, batch 32, torch on every core)
with no HTTP. Results: benchmarks/results/serving-deep.json and serving-deep.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
import timeit
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from contenders.deep_models import LABELS, TextModel, make_text_classifier  # noqa: E402
from contenders.runinfo import machine, tree_cpu_seconds, write_atomic  # noqa: E402
from contenders.servers import HERE, ROOT, Endpoint, ServerSpec, start_server  # noqa: E402
from contenders.wrk import run_wrk, write_post_script  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
DEEP_VENV = ".venv-bench-deep"
TOLERANCE = 1e-4  # float32, batched and padded against alone
THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}


def _specs(model: TextModel) -> list[ServerSpec]:
    env = {**THREADS, "BENCH_MODEL": str(model.directory)}
    deep = ROOT / DEEP_VENV / "bin"
    return [
        ServerSpec(
            name="ours-text", contender="ours", model="text", venv=".venv",
            command=lambda work, port: [
                str(ROOT / ".venv/bin/python"), "-m", "deploy_advisor.runtime", "serve",
                "--model", str(model.directory), "--host", "127.0.0.1", "--port", str(port),
                "--workers", "2",
            ],
            ready_path="/readyz",
            endpoints=(Endpoint("ours-text", "ours, 2 workers, adaptive batching", "/predict",
                                "ours"),),
            env=env,
        ),
        ServerSpec(
            name="fastapi-text", contender="fastapi", model="text", venv=DEEP_VENV,
            command=lambda work, port: [
                str(deep / "uvicorn"), "fastapi_text_app:app", "--host", "127.0.0.1",
                "--port", str(port), "--workers", "2", "--no-access-log",
            ],
            ready_path="/health",
            endpoints=(Endpoint("fastapi-text", "FastAPI + transformers pipeline per request, "
                                "2 workers", "/predict", "fastapi"),),
            cwd=HERE, env=env,
        ),
        ServerSpec(
            name="litserve-text", contender="litserve", model="text", venv=DEEP_VENV,
            command=lambda work, port: [
                str(deep / "python"), str(HERE / "litserve_text_app.py"), str(port),
            ],
            ready_path="/health",
            endpoints=(Endpoint("litserve-text", "LitServe 0.2, batching 32/5 ms, 2 workers",
                                "/predict", "litserve"),),
            env=env,
        ),
    ]  # fmt: skip


def _body(protocol: str, text: str) -> dict[str, Any]:
    return {
        "ours": {"instances": [text]},
        "fastapi": {"text": text},
        "litserve": {"input": text},
    }[protocol]


def _scores(protocol: str, answer: Any) -> list[float]:
    if protocol == "ours":
        return [float(s) for s in answer["predictions"][0]["scores"]]
    if protocol == "fastapi":
        by_label = {d["label"]: float(d["score"]) for d in answer}
        return [by_label[label] for label in LABELS]
    return [float(s) for s in answer["output"]]


def _check(url: str, endpoint: Endpoint, model: TextModel) -> str | None:
    """None when every text's answer equals the model's own scores within the tolerance."""
    for text, expected in zip(model.texts, model.expected, strict=True):
        request = urllib.request.Request(
            url, data=json.dumps(_body(endpoint.protocol, text)).encode(),
            headers={"Content-Type": "application/json"}, method="POST",
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                got = _scores(endpoint.protocol, json.loads(response.read()))
        except (OSError, KeyError, TypeError, ValueError) as exc:
            return f"POST {endpoint.path} failed: {exc!r}"
        if any(abs(a - b) > TOLERANCE for a, b in zip(got, expected, strict=True)):
            return f"POST {endpoint.path} answered {got}, expected {list(expected)}"
    return None


def _in_process(model: TextModel, batch: int) -> dict[str, Any]:
    """The batched forward pass with no HTTP on one thread, median of 5 repeats; the machine's
    limit is that rate on every core (the servers run one single-threaded worker per core)."""
    import torch
    import transformers

    torch.set_num_threads(1)
    tokenizer = transformers.AutoTokenizer.from_pretrained(model.directory, local_files_only=True)
    net = transformers.AutoModelForSequenceClassification.from_pretrained(
        model.directory, local_files_only=True
    ).eval()
    texts = [model.texts[i % len(model.texts)] for i in range(batch)]

    def call() -> object:
        with torch.inference_mode():
            encoded = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
            return torch.softmax(net(**encoded).logits, dim=-1)

    timer = timeit.Timer(call)
    number, _ = timer.autorange()
    per_call = statistics.median(timer.repeat(repeat=5, number=number)) / number
    cores = os.cpu_count() or 1
    return {
        "batch": batch,
        "ms_per_call": round(per_call * 1e3, 2),
        "texts_per_s_one_thread": round(batch / per_call),
        "texts_per_s": round(batch / per_call * cores),
    }


def main() -> int:
    args = _parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-deep-"))
    _log(f"building the text classifier in {work}")
    model = make_text_classifier(work / "text")
    limits = [_in_process(model, batch) for batch in (1, 32)]
    problems: dict[str, str] = {}
    servers, endpoints = [], []
    runs: list[dict[str, Any]] = []
    try:
        for spec in _specs(model):
            if spec.contender not in args.contenders:
                continue
            _log(f"starting {spec.name}")
            try:
                server = start_server(spec, work=work)
            except RuntimeError as exc:
                problems[spec.name] = str(exc)
                continue
            servers.append(server)
            endpoint = spec.endpoints[0]
            problem = _check(server.url(endpoint.path), endpoint, model)
            if problem:
                problems[endpoint.name] = problem
                _log(f"SKIPPING {endpoint.name}: {problem}")
                continue
            body = json.dumps(_body(endpoint.protocol, model.texts[0]))
            endpoints.append((server, endpoint, write_post_script(work / f"{spec.name}.lua", body)))
        for round_no in range(1, args.rounds + 1):
            for connections in args.concurrency:
                for server, endpoint, script in endpoints:
                    url = server.url(endpoint.path)
                    _log(f"round {round_no} c={connections} {endpoint.name}")
                    if args.warmup > 0:
                        run_wrk(url, script=script, connections=connections, seconds=args.warmup)
                    before = tree_cpu_seconds(server.process.pid)
                    result = run_wrk(
                        url, script=script, connections=connections, seconds=args.duration
                    )
                    cores = (tree_cpu_seconds(server.process.pid) - before) / result.seconds
                    runs.append({
                        "endpoint": endpoint.name, "label": endpoint.label, "round": round_no,
                        "connections": connections, **result.to_dict(),
                        "server_cores": round(cores, 2),
                    })  # fmt: skip
    finally:
        for server in servers:
            server.stop()
    document = {
        "command": _command(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "model": "BertForSequenceClassification, 4 layers, hidden 128, 4 heads, 3 labels, "
        "random weights; WordPiece tokenizer (400 tokens) trained here; texts of 4-12 words",
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
            "concurrency": args.concurrency,
            "threads": THREADS,
        },  # fmt: skip
        "in_process": limits,
        "best": _best(runs),
        "runs": runs,
        "problems": problems,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out_dir / "serving-deep.json", json.dumps(document, indent=2) + "\n")
    write_atomic(args.out_dir / "serving-deep.md", _markdown(document))
    sys.stdout.write(_markdown(document))
    return 1 if problems else 0


def _best(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each endpoint's best round at each concurrency (the highest throughput)."""
    best: dict[tuple[str, int], dict[str, Any]] = {}
    for run in runs:
        key = (run["endpoint"], run["connections"])
        if key not in best or run["rps"] > best[key]["rps"]:
            best[key] = run
    return sorted(best.values(), key=lambda r: (r["connections"], -r["rps"]))


def _markdown(document: dict[str, Any]) -> str:
    lines = [
        "# Deep-learning serving benchmark", "",
        f"Command: `{document['command']}` ({document['started_at']}, "
        f"{document['machine']['cores']} cores, {document['machine']['cpu_model']}).", "",
        f"Model: {document['model']}.", "",
        "| endpoint | c | req/s | p50 ms | p99 ms | errors | server cores |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for run in document["best"]:
        lines.append(
            f"| {run['label']} | {run['connections']} | {run['rps']:,.0f} | {run['p50_ms']:.1f} "
            f"| {run['p99_ms']:.1f} | {run['errors']} | {run['server_cores']} |"
        )
    lines += ["", "In-process limit (tokenizer + forward pass, no HTTP):", ""]
    lines += [
        f"- batch {limit['batch']}: {limit['texts_per_s_one_thread']:,} texts/s on one thread "
        f"({limit['ms_per_call']} ms a call), {limit['texts_per_s']:,} on every core"
        for limit in document["in_process"]
    ]
    lines += _ratios(document)
    if document["problems"]:
        lines += ["", "Not measured:", ""]
        lines += [f"- {name}: {why}" for name, why in document["problems"].items()]
    return "\n".join(lines) + "\n"


def _ratios(document: dict[str, Any]) -> list[str]:
    """Ours against each contender and against the in-process batched rate, per concurrency."""
    lines = ["", "Ratios (best rounds):", ""]
    batched = max(limit["texts_per_s"] for limit in document["in_process"])
    by_c: dict[int, dict[str, dict[str, Any]]] = {}
    for run in document["best"]:
        by_c.setdefault(run["connections"], {})[run["endpoint"]] = run
    for connections, runs in sorted(by_c.items()):
        ours = runs.get("ours-text")
        if not ours:
            continue
        parts = [f"{ours['rps'] / batched:.0%} of the in-process batched rate"]
        for name, run in runs.items():
            if name != "ours-text" and run["rps"]:
                parts.append(
                    f"{ours['rps'] / run['rps']:.1f}× {name} (p99 {ours['p99_ms']:.0f} vs "
                    f"{run['p99_ms']:.0f} ms)"
                )
        lines.append(f"- c={connections}: ours is " + "; ".join(parts))
    return lines


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per run")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (A,B,A,B)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[32])
    parser.add_argument(
        "--contenders", type=lambda s: tuple(s.split(",")), default=("ours", "fastapi", "litserve")
    )
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    return parser.parse_args()


def _command() -> str:
    if os.environ.get("MAKELEVEL"):
        extra = shlex.join(sys.argv[1:])
        return "make bench-serving-deep" + (f" BENCH_DEEP_ARGS='{extra}'" if extra else "")
    return shlex.join(["python", *sys.argv])


def _log(message: str) -> None:
    sys.stderr.write(f"[bench-serving-deep] {message}\n")
    sys.stderr.flush()


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    _log(f"done in {time.monotonic() - started:.0f} s")
    sys.exit(code)
