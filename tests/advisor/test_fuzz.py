"""Fuzzing: the spec loader and the `recommend` flags raise only our own errors."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from deploy_advisor.advisor.catalog import load_catalog
from deploy_advisor.advisor.initspec import spec_to_yaml
from deploy_advisor.advisor.recommend import recommend
from deploy_advisor.advisor.spec import load_spec, spec_from_mapping
from deploy_advisor.advisor.weights import load_weights
from deploy_advisor.cli import app
from deploy_advisor.errors import DeployAdvisorError

CATALOG = load_catalog()
WEIGHTS = load_weights()
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

KEYS = {
    "": ["name", "model", "latency", "traffic", "privacy", "connectivity", "budget", "team",
         "availability", "edge", "extra"],
    "model": ["path", "size_mb", "gpu", "sizemb"],
    "latency": ["p95_ms", "freshness", "p95"],
    "traffic": ["requests_per_day", "peak_rps", "pattern", "batch_rows", "rps"],
    "privacy": ["pii", "on_device_only", "region"],
    "budget": ["monthly_usd"],
    "team": ["ops_skill"],
    "edge": ["devices"],
}  # fmt: skip
WORDS = [
    "realtime", "minutes", "hours", "daily", "weekly", "steady", "bursty", "scheduled",
    "always", "intermittent", "offline", "beginner", "intermediate", "expert", "eu", "",
    "own", "board", "eu-west-1", "Mars",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS),
    st.text(max_size=12),
)


def values(section: str) -> st.SearchStrategy[Any]:
    if section == "" or section in KEYS:
        return st.one_of(scalars, st.lists(scalars, max_size=3))
    return scalars


@st.composite
def spec_documents(draw: st.DrawFn) -> Any:
    """Mostly well-shaped specs with bad values, sometimes any YAML-ish structure."""
    if draw(st.integers(0, 9)) == 0:
        return draw(
            st.recursive(
                scalars,
                lambda c: st.lists(c) | st.dictionaries(st.text(max_size=5), c),
                max_leaves=8,
            )
        )
    doc: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(KEYS[""]), unique=True, max_size=6)):
        if key in KEYS and draw(st.booleans()):
            sub = {}
            for leaf in draw(st.lists(st.sampled_from(KEYS[key]), unique=True, max_size=4)):
                sub[leaf] = draw(scalars)
            doc[key] = sub
        else:
            doc[key] = draw(values(key))
    return doc


def check(doc: Any) -> None:
    try:
        spec = spec_from_mapping(doc, origin="fuzz.yaml")
        recommend(spec, catalog=CATALOG, weights=WEIGHTS)
    except DeployAdvisorError as exc:
        assert "\n" not in str(exc)
        assert str(exc)


@FUZZ
@given(spec_documents())
def test_spec_mappings_raise_only_our_errors(doc: Any) -> None:
    check(doc)


@FUZZ
@given(
    st.one_of(
        st.text(max_size=200),
        st.text(alphabet=string.printable, max_size=200),
        spec_documents().map(lambda d: yaml.safe_dump(d)),
    )
)
def test_spec_files_raise_only_our_errors(tmp_path_factory: Any, text: str) -> None:
    path: Path = tmp_path_factory.mktemp("fuzz") / "spec.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        spec = load_spec(path)
        recommend(spec, catalog=CATALOG, weights=WEIGHTS)
    except DeployAdvisorError as exc:
        assert "\n" not in str(exc)


FLAGS = ["--p95-ms", "--freshness", "--requests-per-day", "--peak-rps", "--pattern",
         "--batch-rows", "--region", "--connectivity", "--budget", "--ops-skill",
         "--availability", "--model-size-mb", "--model", "--rps-per-vcpu",
         "--edge-devices"]  # fmt: skip
SWITCHES = ["--pii", "--no-pii", "--on-device-only", "--no-on-device-only", "--gpu", "--no-gpu"]
flag_values = st.one_of(
    st.sampled_from(WORDS + ["none", "0", "-1", "1e9", "nan", "inf", "99.99", "200", "5"]),
    st.integers(-(10**12), 10**12).map(str),
    st.floats().map(repr),
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
        max_size=10,
    ),
)


@FUZZ
@given(
    st.dictionaries(st.sampled_from(FLAGS), flag_values, max_size=6),
    st.lists(st.sampled_from(SWITCHES), max_size=3),
)
def test_recommend_flags_raise_only_our_errors(flags: dict[str, str], switches: list[str]) -> None:
    args = ["recommend", "--json", *switches] + [f"{k}={v}" for k, v in flags.items()]
    result = CliRunner().invoke(app, args)
    if isinstance(result.exception, DeployAdvisorError):
        assert "\n" not in str(result.exception)
    else:  # no click usage error, no crash: a clean run
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.exit_code == 0, result.output


@FUZZ
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs", "Cc"]),
        min_size=1,
        max_size=30,
    ),
    st.text(alphabet=string.printable, max_size=30),
)
def test_init_writes_any_name_and_region_so_they_read_back(name: str, region: str) -> None:
    spec = spec_from_mapping({"name": name, "privacy": {"region": region or None}})
    again = spec_from_mapping(yaml.load(spec_to_yaml(spec), Loader=yaml.SafeLoader))
    assert (again.name, again.privacy.region) == (name, region or None)
