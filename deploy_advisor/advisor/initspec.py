"""`deploy-advisor init`: ask the questions, then write deploy-advisor.yaml atomically."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy_advisor import console
from deploy_advisor.advisor.inputs import NULL_WORDS, model_size_mb
from deploy_advisor.advisor.spec import (
    CLOUD_PROVIDERS,
    CONNECTIVITY_LEVELS,
    EDGE_DEVICES,
    FRESHNESS_LEVELS,
    OPS_SKILLS,
    PATTERNS,
    Spec,
    merge_overrides,
    spec_from_mapping,
)
from deploy_advisor.errors import InputError, SpecError
from deploy_advisor.files import write_atomic

__all__ = [
    "QUESTIONS", "Question", "ask", "init_spec", "natural", "relative_to", "spec_to_yaml",
    "write_spec",
]  # fmt: skip


@dataclass(frozen=True)
class Question:
    path: str
    text: str
    kind: str  # "text", "number", "bool", "choice", "p95", "optional", "model"
    choices: tuple[str, ...] = ()
    #: Asked only when this holds for the answers so far.
    relevant: Callable[[Spec], bool] = lambda spec: True


def _someone_may_wait(spec: Spec) -> bool:
    return spec.latency.freshness in ("realtime", "minutes")


def _on_device(spec: Spec) -> bool:
    return spec.privacy.on_device_only or spec.connectivity != "always"


OPS_SKILL_HELP = (
    "Team's operations skill: beginner = no servers, git push deploys; intermediate = "
    "containers and some Linux; expert = Linux, nginx, systemd, Kubernetes"
)


QUESTIONS: tuple[Question, ...] = (
    Question("name", "Name of the service", "text"),
    Question("model.path", "Model file (blank if not saved yet)", "model"),
    Question(
        "model.size_mb", "Model size in MB", "number", relevant=lambda s: s.model.path is None
    ),
    Question("model.gpu", "Does the model need a GPU to serve? (yes/no)", "bool"),
    Question("latency.freshness", "How fresh must predictions be?", "choice", FRESHNESS_LEVELS),
    Question(
        "latency.p95_ms",
        "p95 latency budget in ms for someone waiting (none = nobody waits online)",
        "p95",
        relevant=_someone_may_wait,
    ),
    Question("traffic.requests_per_day", "Prediction requests per day", "number"),
    Question(
        "traffic.peak_rps",
        "Peak requests per second",
        "number",
        relevant=lambda s: s.traffic.requests_per_day > 0,
    ),
    Question("traffic.pattern", "Traffic pattern", "choice", PATTERNS),
    Question(
        "traffic.batch_rows",
        "Rows per scheduled batch run (0 = no batch job)",
        "number",
        relevant=lambda s: s.latency.freshness != "realtime",
    ),
    Question("privacy.pii", "Do requests carry personal data? (yes/no)", "bool"),
    Question(
        "privacy.on_device_only", "Must the data stay on the device it is on? (yes/no)", "bool"
    ),
    Question(
        "privacy.region",
        "Region the data must stay in, e.g. eu, us, eu-west-1 (blank = any)",
        "optional",
        relevant=lambda s: not s.privacy.on_device_only,
    ),
    Question("connectivity", "Network at the place of use", "choice", CONNECTIVITY_LEVELS),
    Question(
        "edge.devices",
        "On the device, whose devices? own = the users' phones, browsers, desktops; "
        "board = boards you buy (Raspberry Pi, Jetson)",
        "choice",
        EDGE_DEVICES,
        relevant=_on_device,
    ),
    Question("budget.monthly_usd", "Monthly budget in USD", "number"),
    Question("team.ops_skill", OPS_SKILL_HELP, "choice", OPS_SKILLS),
    Question(
        "availability",
        "Availability target in percent (99.9 and up adds a spare instance)",
        "number",
        relevant=lambda s: not s.privacy.on_device_only,
    ),
    Question(
        "cloud.provider",
        "Cloud the team already runs on (any = no preference; none = no managed cloud service)",
        "choice",
        CLOUD_PROVIDERS,
        relevant=lambda s: not s.privacy.on_device_only,
    ),
)

_YES = frozenset({"y", "yes", "true", "1", "on"})
_NO = frozenset({"n", "no", "false", "0", "off"})
_UNITS = re.compile(r"^\$?\s*([-+0-9.,eE]+)\s*(%|ms|mb|usd|\$|/month|a month)?$")


def natural(text: str, kind: str, choices: tuple[str, ...] = ()) -> Any:
    """An answer as a person types it (`Realtime`, `yes`, `50,000`, `$50`, `99.9%`, `200ms`)."""
    answer = text.strip()
    low = answer.lower()
    if kind == "bool":
        if low in _YES:
            return True
        if low in _NO:
            return False
        return answer
    if kind == "choice":
        hits = [c for c in choices if c.startswith(low)] if low else []
        return hits[0] if len(hits) == 1 or low in choices else answer
    if kind in ("number", "p95"):
        match = _UNITS.match(low)
        if match:
            return match.group(1).replace(",", "").replace("_", "")
    return answer


#: Derived fields: after the question they depend on, their default is worked out again.
_DERIVED = {"latency.freshness": "latency.p95_ms", "traffic.requests_per_day": "traffic.peak_rps"}


def _drop(spec: Spec, path: str) -> Spec:
    """The spec without an explicit value at `path`, so its default is derived again."""
    from deploy_advisor.advisor.spec import spec_from_mapping

    data = spec.source
    section, _, leaf = path.rpartition(".")
    node = data.get(section) if section else data
    if isinstance(node, dict):
        node.pop(leaf, None)
    return spec_from_mapping(data, origin=spec.origin)


def _with_file_size(spec: Spec) -> Spec:
    size = model_size_mb(Path(spec.model.path)) if spec.model.path else None
    return spec if size is None else merge_overrides(spec, {"model.size_mb": size})


def relative_to(spec: Spec, output: Path) -> Spec:
    """The spec to write at `output`: a relative model.path rebased on the file's directory,
    which is where `recommend` reads it from."""
    path = spec.model.path
    if not path or Path(path).is_absolute():
        return spec
    rebased = os.path.relpath(path, output.parent if str(output.parent) else ".")
    return merge_overrides(spec, {"model.path": rebased}, from_flags=False)


def _default_text(value: Any, kind: str) -> str:
    if value is None:
        return "none" if kind == "p95" else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def ask(
    base: Spec,
    *,
    prompt: Callable[[str, str, tuple[str, ...]], str],
    report: Callable[[str], None],
    given: frozenset[str] = frozenset(),
) -> Spec:
    """Ask every question not answered by a flag (`given`) nor made irrelevant by an earlier
    answer, re-asking after an invalid one."""
    spec = base
    if "model.path" in given and "model.size_mb" not in given:
        spec = _with_file_size(spec)  # the size question then offers the file's size
    for q in QUESTIONS:
        if q.path in given or not q.relevant(spec):
            continue
        for _attempt in range(5):
            current = spec.get(q.path)
            if q.path == "edge.devices":
                current = spec.edge.kind(spec.privacy.on_device_only)
            if q.kind == "bool":
                text = prompt(q.text, "yes" if current else "no", ()).strip()
            else:
                shown = f"{q.text} ({', '.join(q.choices)})" if q.choices else q.text
                text = prompt(shown, _default_text(current, q.kind), ()).strip()
            empty = not text or text.lower() in NULL_WORDS
            answer: Any
            if (q.kind == "p95" and text.lower() in NULL_WORDS) or (
                q.kind in ("optional", "model") and empty
            ):
                answer = None
            else:
                answer = natural(text, q.kind, q.choices)
            if q.kind == "model" and answer is not None and model_size_mb(Path(answer)) is None:
                report(
                    f"model file {answer!r} is not there (not a file or MLflow model "
                    "directory); give its path, or leave it blank if it is not saved yet"
                )
                continue
            try:
                spec = merge_overrides(spec, {q.path: answer}, from_flags=False)
            except SpecError as exc:
                report(str(exc))
                continue
            break
        else:
            raise InputError(f"no valid answer for {q.path!r} after 5 tries; edit the file instead")
        if q.path == "model.path" and "model.size_mb" not in given:
            spec = _with_file_size(spec)
        dependent = _DERIVED.get(q.path)
        if dependent is not None and dependent not in given:
            spec = _drop(spec, dependent)
    return spec


# --- writing -------------------------------------------------------------------------------


_PLAIN = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_ ./+-]*[A-Za-z0-9_./+-])?")


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    text = str(value)
    if _reads_back_as(text):
        return text
    import yaml

    quoted = yaml.safe_dump(text, allow_unicode=True, default_style='"', width=math.inf)
    return str(quoted).removesuffix("\n...\n").rstrip("\n")


def _reads_back_as(text: str) -> bool:
    """True if `text` can be written unquoted: plain characters only, and it reads back as that
    string (not a date, number, boolean or null)."""
    from deploy_advisor.advisor.yamlfile import parse_yaml

    if not _PLAIN.fullmatch(text):
        return False
    try:
        return bool(parse_yaml(f"{{k: {text}}}", "name", InputError) == {"k": text})
    except InputError:
        return False


def spec_to_yaml(spec: Spec) -> str:
    """The spec as a commented deploy-advisor.yaml.

    Every field is written out except a derived one nobody set (`size_mb`, `p95_ms`,
    `peak_rps`): left out, it keeps following what it derives from when that changes later.
    """
    s = spec
    given_model = spec.source.get("model") or {}
    given_latency = spec.source.get("latency") or {}
    given_traffic = spec.source.get("traffic") or {}
    latency: dict[str, Any] = {"freshness": s.latency.freshness}
    if "p95_ms" in given_latency:
        latency = {"p95_ms": s.latency.p95_ms, **latency}
    traffic: dict[str, Any] = {"requests_per_day": s.traffic.requests_per_day}
    if "peak_rps" in given_traffic:
        traffic["peak_rps"] = s.traffic.peak_rps
    traffic |= {"pattern": s.traffic.pattern, "batch_rows": s.traffic.batch_rows}
    if "payload_kb" in given_traffic:
        traffic["payload_kb"] = s.traffic.payload_kb
    model: dict[str, Any] = {"path": s.model.path}
    if "size_mb" in given_model:
        model["size_mb"] = s.model.size_mb
    model["gpu"] = s.model.gpu
    flow: list[tuple[str, dict[str, Any], str]] = [
        ("model", model, ""),
        (
            "latency",
            latency,
            "freshness: realtime|minutes|hours|daily|weekly; p95_ms: null = nobody waits online",
        ),
        (
            "traffic",
            traffic,
            "pattern: steady|bursty|scheduled; batch_rows: rows per scheduled run",
        ),
        (
            "privacy",
            {
                "pii": s.privacy.pii,
                "on_device_only": s.privacy.on_device_only,
                "region": s.privacy.region,
            },
            "",
        ),
    ]
    lines = [
        "# deploy-advisor.yaml: what the deployment must do.",
        "# Every field is optional; `deploy-advisor schema` documents them and their defaults.",
        f"name: {_scalar(s.name)}",
    ]
    for key, values, comment in flow:
        if key == "model" and "size_mb" not in model:
            lines.append(
                f"# model.size_mb follows the model file's size ({_scalar(s.model.size_mb)} MB "
                "if none); set it if not saved yet"
            )
        if key == "latency" and "p95_ms" not in latency:
            now = "nobody waits" if s.latency.p95_ms is None else f"{_scalar(s.latency.p95_ms)} ms"
            lines.append(f"# latency.p95_ms follows freshness (now {now}); set it to fix a budget")
        if key == "traffic" and "peak_rps" not in traffic:
            lines.append(
                f"# traffic.peak_rps follows requests_per_day (now {_scalar(s.traffic.peak_rps)}"
                " req/s); set it if you know the peak"
            )
        body = ", ".join(f"{k}: {_scalar(v)}" for k, v in values.items())
        line = f"{key}: {{{body}}}"
        lines.append(f"{line}   # {comment}" if comment else line)
    lines += [
        f"connectivity: {_scalar(s.connectivity)}   # always|intermittent|offline",
        f"budget: {{monthly_usd: {_scalar(s.budget.monthly_usd)}}}   # USD a month",
        f"team: {{ops_skill: {_scalar(s.team.ops_skill)}}}   # beginner|intermediate|expert",
        f"availability: {_scalar(s.availability)}   # percent",
        f"cloud: {{provider: {_scalar(s.cloud.provider)}}}   # any|aws|gcp|azure|none: where the "
        "team already runs",
        f"edge: {{devices: {_scalar(s.edge.devices)}}}   # own|board; null = own when the data "
        "stays on the device, else board",
    ]
    return "\n".join(lines) + "\n"


def write_spec(path: Path, text: str, *, force: bool) -> None:
    """Write `text` to `path` atomically; refuse to replace an existing file without force."""
    if path.exists() and not force:
        raise InputError(f"{str(path)!r} already exists; pass --force to overwrite it")
    write_atomic(path, text)


def init_spec(
    *, output: Path, overrides: Mapping[str, Any], force: bool = False, interactive: bool = True
) -> None:
    """`init`: the defaults plus the flags, then (if `interactive`) the answers on the terminal
    to every question no flag answered, written to `output`."""
    if output.exists() and not force:
        raise InputError(f"{str(output)!r} already exists; pass --force to overwrite it")
    spec = merge_overrides(spec_from_mapping({}), overrides)
    if interactive:
        try:
            spec = ask(
                spec, prompt=console.ask_choice, report=console.error,
                given=frozenset(overrides),
            )  # fmt: skip
        except EOFError:
            console.stderr().print()
            raise InputError(
                "no answers on standard input; run `deploy-advisor init --no-input` in scripts"
            ) from None
    write_spec(output, spec_to_yaml(relative_to(spec, output)), force=force)
