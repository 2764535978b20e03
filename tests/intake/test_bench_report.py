"""The serving benchmark's summary, target verdicts and Markdown table, from recorded runs."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from tests.intake.helpers import bench_serving

ROOT = Path(__file__).resolve().parents[2]


def _report() -> ModuleType:
    bench_serving()  # puts benchmarks/ on sys.path
    import contenders.report

    return contenders.report


def _run(
    name: str, c: int, rps: float, p50: float, p99: float, round_no: int, model: str = "forest"
) -> dict[str, Any]:
    return {
        "endpoint": name, "model": model, "round": round_no, "connections": c, "rps": rps,
        "p50_ms": p50, "p99_ms": p99, "errors": 0, "server_cores": 1.9,
    }  # fmt: skip


def test_medians_over_rounds_and_target_verdicts() -> None:
    report = _report()
    runs = [
        _run("ours-joblib", 64, 1500, 40, 90, 1),
        _run("ours-joblib", 64, 1400, 45, 100, 2),
        _run("ours-joblib", 64, 1600, 42, 95, 3),
        _run("bentoml-batchable", 64, 700, 70, 360, 1),
        _run("ours-onnx", 8, 5000, 1.4, 3, 1),
        _run("ours-noop", 8, 6000, 1.2, 2, 1),
    ]
    summary = report.summarise(runs, {"ours-joblib": "ours, RF joblib"})
    ours = summary[0]
    assert (ours["rps"], ours["p99_ms"], ours["rounds"]) == (1500, 95, 3)
    verdicts = {t["target"]: t["passed"] for t in report.targets(summary)}
    assert verdicts == {
        "RF joblib c=64: >= 3x the best of BentoML, MLServer, LitServe req/s": False,
        "RF joblib c=64: >= 2x BentoML batchable req/s": True,
        "RF joblib c=64: p99 no worse than BentoML batchable": True,
        "ONNX c=8: >= 80% of the no-op endpoint's req/s": True,
        "ONNX c=8: p50 below 5 ms": True,
    }
    runs[4] = _run("ours-onnx", 8, 4000, 6, 9, 1)  # 67% of the floor, p50 over 5 ms
    verdicts = {t["target"]: t["passed"] for t in report.targets(report.summarise(runs, {}))}
    assert not verdicts["ONNX c=8: >= 80% of the no-op endpoint's req/s"]
    assert not verdicts["ONNX c=8: p50 below 5 ms"]


def test_markdown_table_names_machine_versions_and_rows() -> None:
    report = _report()
    summary = report.summarise([_run("flask-dev", 8, 111.4, 68.6, 133, 1)], {"flask-dev": "Flask"})
    document = {
        "command": "make bench-serving",
        "started_at": "2026-11-22T00:00:00+00:00",
        "machine": {"cpu_model": "Xeon", "cores": 2, "memory_gib": 23.5, "os": "Linux 6"},
        "settings": {"generator": "wrk", "duration_s": 15, "warmup_s": 5, "rounds": 3},
        "versions": {"python": "3.11.7", "wrk": "4.1.0"},
        "summary": summary,
        "in_process": [{"model": "RF", "batch": 64, "us_per_call": 3688.0, "rows_per_s": 17350}],
        "targets": [],
        "problems": {"mlflow": "mlflow exited with 1: boom"},
    }
    text = report.markdown(document)
    assert "Command: `make bench-serving`" in text
    assert "on Xeon, 2 cores, 23.5 GiB" in text
    assert "Versions: python 3.11.7, wrk 4.1.0." in text
    assert "| Flask | 111 | 68.6 | 133.0 | 0 | - | 1.90 |" in text
    assert "| RF | 64 | 3,688.0 | 17,350 |" in text
    assert "- **mlflow not measured**: mlflow exited with 1: boom" in text


def test_three_times_mlserver_targets_and_ratio_columns() -> None:
    report = _report()
    runs = [
        _run("ours-joblib", 64, 3000, 20, 60, 1),
        _run("mlserver-forest", 64, 900, 70, 150, 1),
        _run("litserve-forest", 64, 1100, 60, 120, 1),
        _run("ours-xgboost", 64, 2400, 25, 80, 1, "xgboost"),
        _run("mlserver-xgboost", 64, 600, 100, 300, 1, "xgboost"),
        _run("ours-churn", 64, 1500, 40, 200, 1, "churn"),
        _run("mlserver-churn", 64, 600, 100, 150, 1, "churn"),
    ]
    summary = report.summarise(runs, {"mlserver-xgboost": "MLServer"})
    verdicts = {t["target"]: (t["measured"], t["passed"]) for t in report.targets(summary)}
    assert verdicts["RF joblib c=64: >= 3x the best of BentoML, MLServer, LitServe req/s"] == (
        "3000 vs 3 x 1100 (litserve-forest, 2.7x)", False,
    )  # fmt: skip
    assert verdicts["xgboost c=64: >= 3x MLServer req/s"] == ("2400 vs 3 x 600 (4.0x)", True)
    assert verdicts["xgboost c=64: p99 lower than MLServer's"][1] is True
    assert verdicts["churn c=64: >= 3x MLServer req/s"][1] is False  # 2.5x
    assert verdicts["churn c=64: p99 lower than MLServer's"][1] is False  # 200 ms vs 150 ms
    assert not any(name.startswith("lightgbm") for name in verdicts)  # not measured, no verdict
    document = {
        "command": "make bench-serving BENCH_SERVING_ARGS='--models forest,xgboost'",
        "started_at": "2026-12-02T00:00:00+00:00",
        "machine": {"cpu_model": "EPYC", "cores": 2, "memory_gib": 23.5, "os": "Linux 6"},
        "settings": {"generator": "wrk", "duration_s": 10, "warmup_s": 3, "rounds": 2},
        "versions": {"mlserver": "1.7.1"},
        "summary": summary,
        "in_process": [],
        "targets": report.targets(summary),
        "problems": {"ours-churn": "POST /predict answered 422: not a number"},
    }
    text = report.markdown(document)
    assert "## XGBClassifier (100 trees, 30 numeric columns)" in text
    assert "| MLServer | 600 | 100.0 | 300.0 | 0 | 4.0x | 1.90 |" in text
    assert "| ours-xgboost | 2,400 | 25.0 | 80.0 | 0 | 1.0x | 1.90 |" in text
    assert "- **ours-churn not measured**: POST /predict answered 422: not a number" in text
