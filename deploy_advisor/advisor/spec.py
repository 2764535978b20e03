"""The requirements spec, `deploy-advisor.yaml`: pydantic models, loading and flag overrides.

Every field is optional and has a documented default; an unknown key is rejected. The field
names are a public contract. Two defaults follow the user's words:

* `latency.p95_ms` absent with `freshness: realtime` means someone waits but there is no tight
  budget: 500 ms. Absent with any other freshness, or written as `null`, means nobody waits online.
* `traffic.peak_rps` absent is three times the average rate implied by `requests_per_day`
  (at least 1 request/s when there is any traffic).

A spec keeps the mapping it was built from, so flags merge into what the user wrote and the
derived defaults are worked out again (`--freshness daily` turns an implied 500 ms into "nobody
waits").
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from deploy_advisor.advisor.flags import FLAGS
from deploy_advisor.advisor.spec_messages import HINTS as _HINTS
from deploy_advisor.advisor.spec_messages import is_number as _is_number
from deploy_advisor.advisor.spec_messages import kind as _kind
from deploy_advisor.advisor.spec_messages import num as _num
from deploy_advisor.advisor.spec_messages import show as _show
from deploy_advisor.errors import SpecError

__all__ = [
    "CLOUD_PROVIDERS",
    "DEFAULT_SPEC_FILE",
    "FLAGS",
    "NETWORK_ROUND_TRIP_MS",
    "OFFLINE_MAX_AVAILABILITY",
    "PEAK_TO_AVERAGE",
    "REALTIME_DEFAULT_P95_MS",
    "Spec",
    "json_schema",
    "load_spec",
    "merge_overrides",
    "spec_from_mapping",
]

DEFAULT_SPEC_FILE = "deploy-advisor.yaml"
#: p95 assumed when someone waits (freshness realtime) but no budget is given.
REALTIME_DEFAULT_P95_MS = 500.0
#: Default peak rate as a multiple of the average rate.
PEAK_TO_AVERAGE = 3.0
#: A latency budget below this cannot include a trip over the network to a server: a typical
#: client-to-cloud-region round trip is 20-100 ms.
NETWORK_ROUND_TRIP_MS = 20.0
#: Above this availability, an offline deployment is a contradiction (that is a web SLA).
OFFLINE_MAX_AVAILABILITY = 99.9

Freshness = Literal["realtime", "minutes", "hours", "daily", "weekly"]
Pattern = Literal["steady", "bursty", "scheduled"]
Connectivity = Literal["always", "intermittent", "offline"]
OpsSkill = Literal["beginner", "intermediate", "expert"]

FRESHNESS_LEVELS: tuple[str, ...] = ("realtime", "minutes", "hours", "daily", "weekly")
PATTERNS: tuple[str, ...] = ("steady", "bursty", "scheduled")
CONNECTIVITY_LEVELS: tuple[str, ...] = ("always", "intermittent", "offline")
OPS_SKILLS: tuple[str, ...] = ("beginner", "intermediate", "expert")
EdgeDevices = Literal["own", "board"]
EDGE_DEVICES: tuple[str, ...] = ("own", "board")
CloudProvider = Literal["any", "aws", "gcp", "azure", "none"]
CLOUD_PROVIDERS: tuple[str, ...] = ("any", "aws", "gcp", "azure", "none")


def _not_bool(kind: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise PydanticCustomError(kind, "Input should be a valid number")
        return value

    return BeforeValidator(check)


def _whole_from_text(value: Any) -> Any:
    """A flag's "1e6" or "2000000.0" is the whole number it spells."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError, OverflowError):
            number = float(value)
            if number.is_integer():
                return int(number)
    return value


Number = Annotated[float, _not_bool("float_type")]
Count = Annotated[int, _not_bool("int_type"), BeforeValidator(_whole_from_text)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class ModelSpec(_Section):
    """The trained model."""

    path: str | None = Field(
        None, description="Path of the model file (joblib, pickle, ONNX or MLflow). Default: null."
    )
    size_mb: Number = Field(
        50.0,
        ge=0,
        le=10_000_000,
        description="Size of the model file in MB; sizes memory. Default: 50.",
    )
    gpu: bool = Field(False, description="The model needs a GPU to serve. Default: false.")


class LatencySpec(_Section):
    """Who waits for an answer, and how fresh it must be."""

    # the bounds before the validator, so the JSON Schema spells them exclusiveMinimum/maximum
    p95_ms: Annotated[float, Field(gt=0, le=86_400_000), _not_bool("float_type")] | None = Field(
        None,
        description=(
            "95th-percentile latency budget in ms for someone waiting online; null = nobody "
            "waits. Default: 500 when freshness is realtime, else null."
        ),
    )
    freshness: Freshness = Field(
        "realtime",
        description="How fresh predictions must be: realtime|minutes|hours|daily|weekly. "
        "Default: realtime.",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_p95(cls, data: Any) -> Any:
        if isinstance(data, dict) and "p95_ms" not in data:
            realtime = data.get("freshness", "realtime") == "realtime"
            data = {**data, "p95_ms": REALTIME_DEFAULT_P95_MS if realtime else None}
        return data

    @property
    def someone_waits(self) -> bool:
        return self.p95_ms is not None


class TrafficSpec(_Section):
    """How many predictions, and how they arrive."""

    requests_per_day: Number = Field(
        10_000, ge=0, le=1e13, description="Online prediction requests per day. Default: 10000."
    )
    peak_rps: Number = Field(
        1.0,
        ge=0,
        le=1e9,
        description="Peak requests per second. Default: 3x the average rate implied by "
        "requests_per_day, at least 1 (0 with no requests).",
    )
    pattern: Pattern = Field("steady", description="steady|bursty|scheduled. Default: steady.")
    batch_rows: Count = Field(
        0,
        ge=0,
        le=10**13,
        description="Rows scored per scheduled batch run; 0 = no batch job. Default: 0.",
    )
    payload_kb: Number = Field(
        2.0,
        ge=0,
        le=10_000_000,
        description="Size of one prediction request in KB; a platform's payload limit below it "
        "rules that platform out (SageMaker 6 MB, its Serverless 4 MB, Cloud Run 32 MiB). "
        "Default: 2 (one JSON row).",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_peak(cls, data: Any) -> Any:
        if isinstance(data, dict) and "peak_rps" not in data:
            rpd = data.get("requests_per_day", 10_000)
            try:
                average = float(rpd) / 86_400
            except (TypeError, ValueError, OverflowError):
                return data  # the requests_per_day error is reported instead
            if math.isfinite(average) and average >= 0:
                peak = 0.0 if average == 0 else max(1.0, round(PEAK_TO_AVERAGE * average, 1))
                data = {**data, "peak_rps": peak}
        return data

    @property
    def average_rps(self) -> float:
        return self.requests_per_day / 86_400


class PrivacySpec(_Section):
    """Where the data may go."""

    pii: bool = Field(False, description="Requests carry personal data. Default: false.")
    on_device_only: bool = Field(
        False, description="Data may not leave the device it is on. Default: false."
    )
    region: str | None = Field(
        None, description="Region the data must stay in, e.g. eu. Default: null (any)."
    )


class EdgeSpec(_Section):
    """Which devices run the model when it runs on the device."""

    devices: EdgeDevices | None = Field(
        None,
        description="own = the users' own phones, browsers or desktops (no hardware to buy; "
        "ONNX Runtime Mobile/Web, Core ML, TFLite); board = boards you buy (Raspberry Pi, "
        "Jetson). Default: null = own when the data may not leave the device, else board.",
    )

    def kind(self, on_device_only: bool) -> str:
        """own or board: the given value, else own for data that stays on the user's device."""
        return self.devices or ("own" if on_device_only else "board")


class BudgetSpec(_Section):
    monthly_usd: Number = Field(
        100.0, ge=0, le=1e9, description="Monthly budget in USD for serving. Default: 100."
    )


class TeamSpec(_Section):
    ops_skill: OpsSkill = Field(
        "intermediate",
        description="beginner (no servers), intermediate (containers, some Linux), expert "
        "(Linux, nginx, systemd, Kubernetes). Default: intermediate.",
    )


class CloudSpec(_Section):
    """Where the team already runs: which managed cloud services may compete."""

    provider: CloudProvider = Field(
        "any",
        description="The cloud the team already runs on: any|aws|gcp|azure|none. aws keeps "
        "SageMaker among the managed services, gcp Cloud Run, azure Azure ML; none rules the "
        "managed cloud services out; any lets them all compete. Default: any.",
    )


class Spec(_Section):
    """deploy-advisor.yaml: what the deployment must do. Every field is optional."""

    name: str = Field("model", description="Name of the service. Default: model.")
    model: ModelSpec = Field(default_factory=ModelSpec)
    latency: LatencySpec = Field(default_factory=LatencySpec)
    traffic: TrafficSpec = Field(default_factory=TrafficSpec)
    privacy: PrivacySpec = Field(default_factory=PrivacySpec)
    connectivity: Connectivity = Field(
        "always",
        description="Network at the place of use: always|intermittent|offline. Default: always.",
    )
    edge: EdgeSpec = Field(default_factory=EdgeSpec)
    budget: BudgetSpec = Field(default_factory=BudgetSpec)
    team: TeamSpec = Field(default_factory=TeamSpec)
    cloud: CloudSpec = Field(default_factory=CloudSpec)
    availability: Number = Field(
        99.5,
        ge=0,
        lt=100,
        description="Target availability in percent, e.g. 99.9. Default: 99.5.",
    )

    _source: dict[str, Any] = PrivateAttr(default_factory=dict)
    _origin: str = PrivateAttr(default="defaults")

    @property
    def source(self) -> dict[str, Any]:
        """A copy of the mapping this spec was validated from (what the user wrote + flags)."""
        return copy.deepcopy(self._source)

    @property
    def origin(self) -> str:
        return self._origin

    def get(self, path: str) -> Any:
        """The value at a dotted path, e.g. `traffic.peak_rps`."""
        value: Any = self
        for part in path.split("."):
            value = getattr(value, part)
        return value


# --- building a spec -----------------------------------------------------------------------


def spec_from_mapping(
    data: Mapping[str, Any] | None,
    *,
    origin: str = "defaults",
    flag_paths: frozenset[str] = frozenset(),
) -> Spec:
    """Validate a mapping into a Spec; any problem becomes one-line `SpecError`."""
    raw: Any = {} if data is None else data
    if not isinstance(raw, Mapping):
        raise SpecError(
            f"{origin} must be a mapping of keys such as `latency:` and `traffic:`, "
            f"not {_kind(raw)}; see `deploy-advisor schema`"
        )
    raw = dict(raw)
    try:
        spec = Spec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(_describe(exc, origin, flag_paths)) from None
    except (RecursionError, OverflowError, MemoryError):
        raise SpecError(f"{origin} cannot be read as a spec; simplify it") from None
    spec._source = copy.deepcopy(raw)
    spec._origin = origin
    _check_contradictions(spec, origin, flag_paths)
    return spec


def json_schema() -> dict[str, Any]:
    """The JSON Schema of deploy-advisor.yaml (draft 2020-12) that `schema` prints."""
    document = Spec.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "deploy-advisor.yaml",
        **{k: v for k, v in document.items() if k != "title"},
    }


def load_spec(path: Path | str) -> Spec:
    """Read and validate a deploy-advisor.yaml."""
    from deploy_advisor.advisor.yamlfile import parse_yaml, read_text_file

    name = str(path)
    text = read_text_file(
        Path(path),
        "spec file",
        SpecError,
        not_found_hint=" or run `deploy-advisor init` to write one",
    )
    data = parse_yaml(text, name, SpecError)
    return spec_from_mapping(data, origin=name)


def merge_overrides(spec: Spec, overrides: Mapping[str, Any], *, from_flags: bool = True) -> Spec:
    """A new spec: `spec`'s own mapping with `overrides` (dotted path -> value) written in.

    A key present in `overrides` is set, even to None (for `p95_ms`, None = nobody waits).
    Errors name the flag (from `FLAGS`) for an overridden path (the field for answers to
    `init`'s questions, `from_flags=False`), else the file's field.
    """
    data = spec.source
    for path, value in overrides.items():
        parts = path.split(".")
        node = data
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[parts[-1]] = value
    flag_paths = frozenset(overrides) if from_flags else frozenset()
    return spec_from_mapping(data, origin=spec.origin, flag_paths=flag_paths)


# --- contradictions ------------------------------------------------------------------------


def _check_contradictions(spec: Spec, origin: str, flag_paths: frozenset[str]) -> None:
    def name(path: str) -> str:
        return FLAGS[path] if path in flag_paths else path

    if spec.connectivity == "offline" and spec.availability > OFFLINE_MAX_AVAILABILITY:
        raise SpecError(
            f"{_where(origin, flag_paths, ('connectivity', 'availability'))}contradictory inputs: "
            f"{name('connectivity')} offline with {name('availability')} {_num(spec.availability)} "
            f"(a web SLA an offline deployment cannot give); set availability to "
            f"{_num(OFFLINE_MAX_AVAILABILITY)} or lower, or connectivity to intermittent or always"
        )
    traffic = spec.traffic
    if traffic.requests_per_day > 0 and traffic.peak_rps < traffic.average_rps - 1e-9:
        raise SpecError(
            f"{_where(origin, flag_paths, ('traffic.peak_rps', 'traffic.requests_per_day'))}"
            f"contradictory inputs: {name('traffic.peak_rps')} {_num(traffic.peak_rps)} is below "
            f"the average {traffic.average_rps:.1f} req/s implied by "
            f"{name('traffic.requests_per_day')} {_num(traffic.requests_per_day)}; raise peak_rps "
            "or lower requests_per_day"
        )


def _where(origin: str, flag_paths: frozenset[str], paths: tuple[str, ...]) -> str:
    if all(p in flag_paths for p in paths) or origin == "defaults":
        return ""
    return f"{origin}: "


# --- error messages ------------------------------------------------------------------------

_SECTIONS: dict[str, type[BaseModel]] = {
    "": Spec,
    "model": ModelSpec,
    "latency": LatencySpec,
    "traffic": TrafficSpec,
    "privacy": PrivacySpec,
    "budget": BudgetSpec,
    "team": TeamSpec,
    "edge": EdgeSpec,
    "cloud": CloudSpec,
}


def _describe(exc: ValidationError, origin: str, flag_paths: frozenset[str]) -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    more = len(errors) - 1
    loc = tuple(str(p) for p in first["loc"])
    path = ".".join(loc)
    kind = first["type"]
    value = first.get("input")
    from_flag = path in flag_paths
    label = FLAGS[path] if from_flag else path
    prefix = "" if from_flag or origin == "defaults" else f"{origin}: "
    shown = value if from_flag and isinstance(value, str) and _is_number(value) else _show(value)
    ctx = first.get("ctx") or {}
    hint = _HINTS.get(path)
    example = f", e.g. {hint}" if hint and not from_flag else ""

    if kind == "extra_forbidden":
        section = ".".join(loc[:-1])
        model = _SECTIONS.get(section, Spec)
        allowed = list(model.model_fields)
        close = difflib.get_close_matches(loc[-1], allowed, n=1, cutoff=0.6)
        guess = f"did you mean {close[0]!r}? " if close else ""
        where = f" in {section}" if section else ""
        message = f"unknown key {loc[-1]!r}{where}; {guess}allowed keys: {', '.join(allowed)}"
    elif kind == "literal_error":
        choices = ctx.get("expected", "").replace("'", "")
        message = f"{label} is {shown}, which is not one of {choices}; pick one of those"
    elif kind in ("greater_than_equal",) and _is_number(value) and float(value) < 0:
        message = f"{label} is {shown}, which is negative; use 0 or more{example}"
    elif kind in ("greater_than", "greater_than_equal"):
        bound = ctx.get("gt", ctx.get("ge"))
        word = "above" if kind == "greater_than" else "at least"
        message = f"{label} is {shown}; it must be {word} {_num(bound)}{example}"
    elif kind in ("less_than", "less_than_equal"):
        bound = ctx.get("lt", ctx.get("le"))
        word = "below" if kind == "less_than" else "at most"
        message = f"{label} is {shown}; it must be {word} {_num(bound)}{example}"
    elif kind in ("finite_number",):
        message = f"{label} is {shown}, which is not a finite number; write a number{example}"
    elif kind.startswith(("float_", "int_")) or kind in ("decimal_parsing",):
        whole = " whole" if kind.startswith("int_") else ""
        message = f"{label} is {shown}, which is not a{whole} number; write a number{example}"
    elif kind.startswith("bool_"):
        message = f"{label} is {shown}, which is not true or false{example}"
    elif kind.startswith("string_"):
        message = f"{label} is {shown}, which is not text; quote it{example}"
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        message = f"{label} is {shown}, but it must be a mapping{example}"
    elif kind == "invalid_key":
        message = f"key {shown} is not a name; keys are words such as latency or traffic"
    else:  # pragma: no cover - a pydantic error type not listed above
        message = f"{label} is {shown}: {first['msg']}{example}"
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return prefix + message
