"""Terminal rendering of a `ModelReport`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deploy_advisor import console

if TYPE_CHECKING:
    from deploy_advisor.intake.inspect import ModelReport

__all__ = ["print_report"]

_SHOWN_NAMES = 8


def print_report(report: ModelReport) -> None:
    """A two-column table of what the model is, then its warnings on stderr."""
    from rich.table import Table

    table = Table(title=f"Model {report.path}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for label, value in _rows(report):
        table.add_row(label, value)
    console.print(table)
    if report.schema.get("columns") and not report.input_schema.numeric_only:
        console.print(_schema_table(report))
    for note in report.warnings:
        console.warn(note)


def _rows(report: ModelReport) -> list[tuple[str, str]]:
    trained = report.trained_sklearn_version or "-"
    if report.sklearn_mismatch:
        trained += f" (installed: {report.installed_sklearn_version})"
    return [
        ("format", f"{report.format} ({report.estimator})"),
        ("size", _size(report.size_bytes)),
        ("sha256", report.sha256),
        ("features", str(report.n_features) if report.n_features else "unknown"),
        ("feature names", _names(report.feature_names)),
        ("output", f"{report.output_kind}" + _width(report.n_outputs) + _classes(report.classes)),
        ("load time", f"{report.load_seconds * 1000:.0f} ms"),
        ("memory after load", f"{report.rss_mb:.0f} MB resident"),
        ("scikit-learn", trained),
        ("framework", f"{report.framework} {report.framework_version or ''}".strip()),
        ("outputs", ", ".join(report.outputs) + f" (answers {report.output})"),
        *_deep_rows(report),
    ]


def _deep_rows(report: ModelReport) -> list[tuple[str, str]]:
    """Task, tensors (name dtype shape) and labels of a deep-learning model."""
    deep = report.deep
    if not deep:
        return []

    def tensors(specs: list[dict[str, Any]]) -> str:
        return ", ".join(
            f"{s['name']} {s['dtype']} {s['shape'] if s['shape'] is not None else 'any shape'}"
            for s in specs
        )

    rows = [
        ("task", f"{deep.get('task')} ({deep.get('kind')})"),
        ("inputs", tensors(deep.get("inputs", []))),
        ("outputs tensors", tensors(deep.get("outputs", []))),
    ]
    if deep.get("labels"):
        rows.append(("labels", _names(deep["labels"])))
    if deep.get("max_length"):
        rows.append(("max length", f"{deep['max_length']} tokens"))
    return rows


def _schema_table(report: ModelReport) -> Any:
    from rich.table import Table

    table = Table(title="Input columns", title_justify="left")
    for heading in ("column", "type", "categories", "missing values"):
        table.add_column(heading, overflow="fold")
    for col in report.input_schema.columns:
        if col.categories is not None:
            cats = ", ".join(map(str, col.categories))
        elif col.known_values:
            cats = "any (seen: " + ", ".join(map(str, col.known_values[:8])) + ")"
        else:
            cats = "-"
        table.add_row(col.name, col.type, cats, "allowed" if col.nullable else "refused")
    return table


def _names(names: list[str] | None) -> str:
    if not names:
        return "none recorded"
    shown = ", ".join(names[:_SHOWN_NAMES])
    return shown + (f", … ({len(names)} in all)" if len(names) > _SHOWN_NAMES else "")


def _width(n_outputs: int | None) -> str:
    return f", {n_outputs} column{'s' if n_outputs != 1 else ''}" if n_outputs else ""


def _classes(classes: list[Any] | None) -> str:
    return f", classes {', '.join(map(str, classes))}" if classes else ""


def _size(size_bytes: int) -> str:
    if size_bytes < 1024 * 1024:
        return f"{size_bytes / 1024:.1f} KiB"
    return f"{size_bytes / 2**20:.1f} MiB"
