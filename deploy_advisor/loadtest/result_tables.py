"""Terminal tables for a load-test result: the summary, the SLO verdicts, the capacity steps."""

from __future__ import annotations

from typing import Any

from deploy_advisor import console

__all__ = ["print_result"]


def _num(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}{unit}"


def print_result(result: dict[str, Any], *, run_dir: str) -> None:
    """Summary, SLO and capacity tables to stdout; warnings to stderr."""
    from rich.table import Table

    lat = result["latency_ms"]
    gen, srv = result["generator"], result["server"]
    title = f"{result['target']}" + (f" ({result['plan']})" if result["plan"] else "")
    if result["emulated"]:
        title += " — emulated locally"
    if result["partial"]:
        title += " — PARTIAL (interrupted)"
    summary = Table(title=title, show_header=False, box=None)
    summary.add_column(style="bold")
    summary.add_column()
    asked = result["asked_rps"]
    rate = _num(result["achieved_rps"], " req/s")
    if asked:
        rate += f" (asked {asked:g})"
    summary.add_row("rate", rate)
    failures = result["failures"]
    summary.add_row("requests", f"{result['requests']:,} ({failures['total']} failed)")
    if failures["by_kind"]:
        summary.add_row("failures", ", ".join(f"{k}: {v}" for k, v in failures["by_kind"].items()))
    summary.add_row(
        "latency",
        "  ".join(f"{k} {_num(lat[k], ' ms')}" for k in ("p50", "p95", "p99", "p999", "max")),
    )
    summary.add_row(
        "server",
        f"{_num(srv['cpu_cores_mean'], digits=2)} cores mean, "
        f"{_num(srv['cpu_cores_max'], digits=2)} max, "
        f"{_num(srv['memory_mb_max'], ' MB')} peak",
    )
    bound = " — BOTTLENECK" if gen["bound"] else ""
    summary.add_row("generator", f"{_num(gen['cpu_cores_mean'], digits=2)} cores mean{bound}")
    summary.add_row("run dir", run_dir)
    console.print(summary)
    if result["slo"]:
        slo_table = Table(title="SLOs")
        for column in ("SLO", "measured", "result"):
            slo_table.add_column(column)
        for row in result["slo"]:
            unit = {"ms": " ms", "%": "%", "rps": " req/s"}[row["unit"]]
            verdict = "pass" if row["passed"] else "FAIL"
            if not row["passed"] and row.get("note"):
                verdict += f" ({row['note']})"
            name = f"{row['name']} {row['op']} {row['threshold']:g}{unit}"
            slo_table.add_row(name, _num(row["measured"], unit), verdict)
        console.print(slo_table)
    if result.get("capacity"):
        _print_capacity(result["capacity"])
    for warning in result["warnings"]:
        console.warn(warning)


def _print_capacity(capacity: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"Capacity search ({capacity['slo']})")
    for column in ("asked req/s", "achieved", "p95 ms", "p99 ms", "errors %", "result"):
        table.add_column(column, justify="right")
    for step in capacity["steps"]:
        verdict = "pass" if step["passed"] else "fail"
        if step["generator_bound"]:
            verdict += " (generator-bound)"
        table.add_row(
            f"{step['rate']:g}",
            _num(step["achieved_rps"]),
            _num(step["p95_ms"]),
            _num(step["p99_ms"]),
            _num(step["error_pct"]),
            verdict,
        )
    console.print(table)
    rps = capacity["rps"]
    if rps is None:
        console.print("Capacity: no step met the SLO.")
    elif capacity["generator_bound"]:
        console.print(f"Capacity: ≥ {rps:g} req/s (generator-bound: the server may do more).")
    else:
        console.print(f"Capacity: {rps:g} req/s at {capacity['slo']}.")
