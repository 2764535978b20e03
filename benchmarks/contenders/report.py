"""The serving benchmark's report: medians over rounds, the issues' targets, the Markdown tables."""

from __future__ import annotations

import json
import statistics
from typing import Any

__all__ = ["MODEL_TITLES", "markdown", "reference_endpoint", "summarise", "targets"]


def summarise(runs: list[dict[str, Any]], labels: dict[str, str]) -> list[dict[str, Any]]:
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
                    "model": mine[0].get("model", "forest"),
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


def reference_endpoint(model: str) -> str:
    """Our endpoint that the model's ratios are taken against."""
    return "ours-joblib" if model == "forest" else f"ours-{model}"


def targets(summary: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issues' targets, each with the figures it compares and a verdict."""

    def get(name: str, connections: int) -> dict[str, Any] | None:
        return next(
            (s for s in summary if s["endpoint"] == name and s["connections"] == connections),
            None,
        )

    targets: list[dict[str, Any]] = []
    ours = get("ours-joblib", 64)
    peer_names = ("bentoml-default", "bentoml-batchable", "mlserver-forest", "litserve-forest")
    peers = [p for name in peer_names if (p := get(name, 64))]
    if ours and peers:
        best = max(peers, key=lambda p: p["rps"])
        targets.append(
            {
                "target": "RF joblib c=64: >= 3x the best of BentoML, MLServer, LitServe req/s",
                "measured": f"{ours['rps']:.0f} vs 3 x {best['rps']:.0f} ({best['endpoint']}, "
                f"{ours['rps'] / best['rps']:.1f}x)",
                "passed": ours["rps"] >= 3 * best["rps"],
            }
        )
    bento = get("bentoml-batchable", 64)
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
    for kind in ("churn", "xgboost", "lightgbm"):
        mine, theirs = get(f"ours-{kind}", 64), get(f"mlserver-{kind}", 64)
        if mine and theirs:
            targets.append(
                {
                    "target": f"{kind} c=64: >= 3x MLServer req/s",
                    "measured": f"{mine['rps']:.0f} vs 3 x {theirs['rps']:.0f} "
                    f"({mine['rps'] / theirs['rps']:.1f}x)",
                    "passed": mine["rps"] >= 3 * theirs["rps"],
                }
            )
            targets.append(
                {
                    "target": f"{kind} c=64: p99 lower than MLServer's",
                    "measured": f"{mine['p99_ms']:.1f} ms vs {theirs['p99_ms']:.1f} ms",
                    "passed": mine["p99_ms"] < theirs["p99_ms"],
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


def markdown(doc: dict[str, Any]) -> str:
    m, s = doc["machine"], doc["settings"]
    lines = [
        "# Serving benchmark",
        "",
        f"Command: `{doc['command']}`  ",
        f"Run: {doc['started_at']} on {m['cpu_model']}, {m['cores']} cores, "
        f"{m['memory_gib']} GiB, {m['os']}.  ",
        f"Load: {s['generator']}, {s['duration_s']:g} s per run after {s['warmup_s']:g} s "
        f"warm-up, {s['rounds']} interleaved round(s); figures are medians over the rounds; "
        "server and wrk share the cores. Each model's servers run only while it is measured.  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in doc["versions"].items()) + ".",
        "",
    ]
    if "mlserver" in s:
        lines += [
            f"MLServer settings: {json.dumps(s['mlserver'])}; uvloop < 0.22 in its venv, without "
            'which its worker processes die at start with "There is no current event loop" '
            "when `parallel_workers` > 0.  ",
            f"LitServe settings: {json.dumps(s['litserve'])}.  ",
            "Ratio `ours ÷ this`: our req/s for the same model divided by this row's.",
            "",
        ]
    for model in dict.fromkeys(r.get("model", "forest") for r in doc["summary"]):
        lines += [f"## {MODEL_TITLES.get(model, model)}", ""]
        lines += _model_table([r for r in doc["summary"] if r.get("model", "forest") == model])
    if doc["in_process"]:
        lines += [
            "## In process, no HTTP (median of 5 repeats)",
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
        lines += ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
        for t in doc["targets"]:
            lines.append(f"| {t['target']} | {t['measured']} | {'yes' if t['passed'] else 'NO'} |")
        lines.append("")
    for name, problem in doc["problems"].items():
        lines.append(f"- **{name} not measured**: {problem}")
    return "\n".join(lines).rstrip() + "\n"


MODEL_TITLES = {
    "forest": "RandomForest (example model, 30 numeric columns)",
    "churn": "Churn pipeline over a DataFrame (imputers, scaler, one-hot, logistic regression)",
    "xgboost": "XGBClassifier (100 trees, 30 numeric columns)",
    "lightgbm": "LGBMClassifier (100 trees, 30 numeric columns)",
}


def _model_table(summary: list[dict[str, Any]]) -> list[str]:
    """One model's rows: each concurrency's figures and the ratio of ours to this row."""
    concurrencies = list(dict.fromkeys(r["connections"] for r in summary))
    head = ["server"]
    for c in concurrencies:
        head += [f"c={c} req/s", f"c={c} p50 ms", f"c={c} p99 ms", f"c={c} errors"]
        head.append(f"c={c} ours ÷ this")
    lines = [
        "| " + " | ".join(head) + " | server cores |",
        "|---|" + "---:|" * (len(head) - 1) + "---:|",
    ]
    for name in dict.fromkeys(r["endpoint"] for r in summary):
        cells, label, cores = [], name, []
        for c in concurrencies:
            row = _row(summary, name, c)
            if row is None:
                cells += ["-"] * 5
                continue
            reference = _row(summary, reference_endpoint(row.get("model", "forest")), c)
            ratio = f"{reference['rps'] / row['rps']:.1f}x" if reference and row["rps"] else "-"
            label = row["label"]
            cores.append(f"{row['server_cores']:.2f}")
            cells += [
                f"{row['rps']:,.0f}",
                f"{row['p50_ms']:.1f}",
                f"{row['p99_ms']:.1f}",
                str(row["errors"]),
                ratio,
            ]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {' / '.join(cores)} |")
    lines.append("")
    return lines


def _row(summary: list[dict[str, Any]], name: str, connections: int) -> dict[str, Any] | None:
    return next(
        (r for r in summary if r["endpoint"] == name and r["connections"] == connections), None
    )
