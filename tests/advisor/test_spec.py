"""The requirements spec: defaults, derived defaults, overrides and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy_advisor.advisor.spec import Spec, load_spec, merge_overrides, spec_from_mapping
from deploy_advisor.errors import SpecError

from .conftest import EXAMPLE


def test_every_field_has_a_default() -> None:
    spec = spec_from_mapping({})
    assert spec.model_dump() == {
        "name": "model",
        "model": {"path": None, "size_mb": 50.0, "gpu": False},
        "latency": {"p95_ms": 500.0, "freshness": "realtime"},
        "traffic": {
            "requests_per_day": 10000,
            "peak_rps": 1.0,
            "pattern": "steady",
            "batch_rows": 0,
            "payload_kb": 2.0,
        },
        "privacy": {"pii": False, "on_device_only": False, "region": None},
        "edge": {"devices": None},
        "connectivity": "always",
        "budget": {"monthly_usd": 100.0},
        "team": {"ops_skill": "intermediate"},
        "cloud": {"provider": "any"},
        "availability": 99.5,
    }


def test_example_file_loads() -> None:
    spec = load_spec(EXAMPLE)
    assert spec.name == "churn-model"
    assert spec.latency.p95_ms == 200
    assert spec.traffic.peak_rps == 20
    assert spec.availability == 99.9


@pytest.mark.parametrize(
    ("freshness", "p95"),
    [("realtime", 500.0), ("minutes", None), ("hours", None), ("daily", None), ("weekly", None)],
)
def test_absent_p95_follows_freshness(freshness: str, p95: float | None) -> None:
    assert spec_from_mapping({"latency": {"freshness": freshness}}).latency.p95_ms == p95


def test_explicit_null_p95_means_nobody_waits() -> None:
    spec = spec_from_mapping({"latency": {"p95_ms": None}})
    assert spec.latency.p95_ms is None
    assert spec.latency.freshness == "realtime"


def test_peak_defaults_to_three_times_the_average() -> None:
    spec = spec_from_mapping({"traffic": {"requests_per_day": 8_640_000}})
    assert spec.traffic.peak_rps == 300.0
    assert spec_from_mapping({"traffic": {"requests_per_day": 0}}).traffic.peak_rps == 0


def test_flags_override_the_file_and_derived_defaults_follow() -> None:
    spec = spec_from_mapping({"latency": {"freshness": "realtime"}, "budget": {"monthly_usd": 5}})
    changed = merge_overrides(spec, {"latency.freshness": "daily", "budget.monthly_usd": "300"})
    assert changed.latency.p95_ms is None  # derived again: nobody waits
    assert changed.budget.monthly_usd == 300
    kept = merge_overrides(
        spec_from_mapping({"latency": {"p95_ms": 80}}), {"latency.freshness": "daily"}
    )
    assert kept.latency.p95_ms == 80  # written by the user: kept


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"latncy": {}},
            "spec.yaml: unknown key 'latncy'; did you mean 'latency'? allowed keys: name, model, "
            "latency, traffic, privacy, connectivity, edge, budget, team, cloud, availability",
        ),
        (
            {"traffic": {"peak": 3}},
            "spec.yaml: unknown key 'peak' in traffic; did you mean 'peak_rps'? allowed keys: "
            "requests_per_day, peak_rps, "
            "pattern, batch_rows, payload_kb",
        ),
        (
            {"model": {"size_mb": "big"}},
            "spec.yaml: model.size_mb is 'big', which is not a number; write a number, "
            "e.g. size_mb: 40",
        ),
        (
            {"model": {"gpu": "maybe"}},
            "spec.yaml: model.gpu is 'maybe', which is not true or false, e.g. gpu: false",
        ),
        (
            {"traffic": {"peak_rps": -5}},
            "spec.yaml: traffic.peak_rps is -5, which is negative; use 0 or more, "
            "e.g. peak_rps: 20",
        ),
        (
            {"budget": {"monthly_usd": -1}},
            "spec.yaml: budget.monthly_usd is -1, which is negative; use 0 or more, "
            "e.g. monthly_usd: 100",
        ),
        (
            {"team": {"ops_skill": "guru"}},
            "spec.yaml: team.ops_skill is 'guru', which is not one of beginner, intermediate or "
            "expert; pick one of those",
        ),
        (
            {"model": [1, 2]},
            "spec.yaml: model is a list, but it must be a mapping, "
            "e.g. model: {path: model.joblib, size_mb: 40, gpu: false}",
        ),
        (
            {"availability": 100},
            "spec.yaml: availability is 100; it must be below 100, e.g. availability: 99.9",
        ),
        (
            {"traffic": {"requests_per_day": 2_000_000, "peak_rps": 1}},
            "spec.yaml: contradictory inputs: traffic.peak_rps 1 is below the average 23.1 req/s "
            "implied by traffic.requests_per_day 2000000; raise peak_rps or lower requests_per_day",
        ),
    ],
)
def test_errors_are_one_line_naming_value_and_fix(data: dict[str, object], message: str) -> None:
    with pytest.raises(SpecError) as info:
        spec_from_mapping(data, origin="spec.yaml")
    assert str(info.value) == message
    assert "\n" not in str(info.value)


def test_a_flag_error_names_the_flag() -> None:
    with pytest.raises(SpecError) as info:
        merge_overrides(spec_from_mapping({}), {"traffic.peak_rps": "lots"})
    assert str(info.value) == "--peak-rps is 'lots', which is not a number; write a number"


def test_booleans_are_not_numbers() -> None:
    with pytest.raises(SpecError, match="model.size_mb is True, which is not a number"):
        spec_from_mapping({"model": {"size_mb": True}})


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("latency:\n  p95_ms: 200\n freshness: daily\n")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(info.value).startswith(f"{path} is not valid YAML at line 3, column 2: ")
    assert str(info.value).endswith("; check the indentation and quoting there")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(tmp_path / "nope.yaml")
    assert str(info.value) == (
        f"spec file '{tmp_path / 'nope.yaml'}' not found; check the path or run "
        "`deploy-advisor init` to write one"
    )


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(SpecError, match="must be a mapping of keys such as `latency:`"):
        load_spec(path)


def test_empty_file_is_all_defaults(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("# nothing yet\n")
    assert load_spec(path).model_dump() == spec_from_mapping({}).model_dump()


def test_json_schema_documents_every_field_and_forbids_extras() -> None:
    schema = Spec.model_json_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {
        "name",
        "model",
        "latency",
        "traffic",
        "privacy",
        "connectivity",
        "budget",
        "team",
        "availability",
        "edge",
        "cloud",
    }
    cloud = schema["$defs"]["CloudSpec"]["properties"]["provider"]
    assert cloud["enum"] == ["any", "aws", "gcp", "azure", "none"]
    assert "Default: any." in cloud["description"]
    edge = schema["$defs"]["EdgeSpec"]["properties"]["devices"]
    assert "own = the users' own phones" in edge["description"]
    latency = schema["$defs"]["LatencySpec"]["properties"]
    assert "Default: 500 when freshness is realtime, else null." in latency["p95_ms"]["description"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("traffic: {peak_rps: 200}\nbudget: {monthly_usd: 5}\ntraffic: {pattern: bursty}\n",
         "key 'traffic' is given twice (lines 1 and 3); keep one of them"),
        ("traffic: {peak_rps: 2, peak_rps: 3}\n",
         "key 'peak_rps' is given twice (both on line 1); keep one of them"),
    ],
)  # fmt: skip
def test_a_key_given_twice_is_an_error_not_a_silent_override(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(info.value) == f"{path}: {message}"


def test_exponent_numbers_are_numbers_in_files_and_flags(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        "traffic: {requests_per_day: 2e6, batch_rows: 1e5}\nbudget: {monthly_usd: 5e-1}\n"
    )
    spec = load_spec(path)
    assert (spec.traffic.requests_per_day, spec.traffic.batch_rows) == (2_000_000, 100_000)
    assert spec.budget.monthly_usd == 0.5
    assert merge_overrides(spec, {"traffic.batch_rows": "3e6"}).traffic.batch_rows == 3_000_000
    with pytest.raises(SpecError, match=r"--batch-rows is 2\.5, which is not a whole number"):
        merge_overrides(spec, {"traffic.batch_rows": "2.5"})


def test_json_schema_bounds_are_json_schema_keywords() -> None:
    from jsonschema import Draft202012Validator

    schema = Spec.model_json_schema()
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    for bad in (
        {"latency": {"p95_ms": -5}},
        {"latency": {"p95_ms": 1e12}},
        {"budget": {"monthly_usd": -1}},
        {"availability": 100},
        {"traffic": {"batch_rows": 1.5}},
    ):
        assert not validator.is_valid(bad), bad
        with pytest.raises(SpecError):
            spec_from_mapping(bad)
    assert validator.is_valid({"latency": {"p95_ms": 200}, "availability": 99.9})


def test_yaml_merge_keys_still_merge() -> None:
    from deploy_advisor.advisor.yamlfile import parse_yaml

    text = "a: &base {x: 1, y: 2}\nc: {<<: *base, y: 3}\n"
    assert parse_yaml(text, "t.yaml", SpecError) == {"a": {"x": 1, "y": 2}, "c": {"x": 1, "y": 3}}
