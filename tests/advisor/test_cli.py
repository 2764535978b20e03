"""The advisor commands through the real entry point: recommend, init, schema, catalog."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deploy_advisor.advisor.spec import load_spec
from deploy_advisor.cli import app

from .conftest import EXAMPLE, cli

CONTRACT_KEYS = {"mode", "target", "mode_scores", "targets", "explanation"}
TARGET_KEYS = {"name", "score", "eligible", "plan", "monthly_usd", "reasons"}
TARGETS = ("heroku", "vps", "docker", "kubernetes", "sagemaker", "cloud-run", "azure-ml", "edge")


def test_recommend_json_follows_the_contract() -> None:
    done = cli("recommend", str(EXAMPLE), "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    doc = json.loads(done.stdout)  # exactly one JSON object
    assert set(doc) >= CONTRACT_KEYS
    assert doc["mode"] in ("realtime", "batch", "edge")
    assert doc["target"] in TARGETS
    assert set(doc["mode_scores"]) == {"realtime", "batch", "edge"}
    assert all(isinstance(v, float) for v in doc["mode_scores"].values())
    assert [t["name"] for t in doc["targets"]][0] == doc["target"]
    assert {t["name"] for t in doc["targets"]} == set(TARGETS)
    for t in doc["targets"]:
        assert set(t) >= TARGET_KEYS
        assert isinstance(t["reasons"], list) and t["reasons"]
        if t["eligible"]:
            assert isinstance(t["plan"], str) and isinstance(t["monthly_usd"], float)
    assert isinstance(doc["explanation"], dict)
    assert doc["what_would_change"]["best"]["text"]


def test_recommend_prints_a_short_verdict_by_default() -> None:
    done = cli("recommend", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Recommendation: realtime on cloud-run, $0.00/month")
    assert "Why" in lines and "What would change this" in lines
    assert "Modes: each factor's contribution" not in done.stdout
    assert len(lines) <= 16


def test_recommend_details_shows_the_explanation() -> None:
    done = cli("recommend", str(EXAMPLE), "--details")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    lines = out.splitlines()
    assert lines[0].startswith("Recommendation: realtime on ")
    assert f"Spec: {EXAMPLE}" in lines
    assert "Modes: each factor's contribution (weight x score / total weight)" in out
    assert "Targets for realtime, ranked" in out
    flat = " ".join(out.split())  # rich wraps long cells
    assert "ineligible: the chosen mode is realtime: the model runs on a server" in flat
    assert "Why cloud-run: each factor's contribution" in out
    assert "Cost of cloud-run-1vcpu-2gib (gcp-cloud-run)" in lines
    assert "Risks" in lines and "Assumptions" in lines
    assert "run `deploy-advisor loadtest --find-capacity` to measure" in flat
    assert any(line.startswith("What would change this: ") for line in lines)


def test_issue_example_flags_without_a_spec_file(tmp_path: Path) -> None:
    done = cli(
        "recommend", "--p95-ms", "50", "--requests-per-day", "2000000", "--peak-rps", "300",
        "--ops-skill", "expert", "--budget", "3000", "--json", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["mode"] == "realtime"
    assert doc["spec"]["traffic"]["peak_rps"] == 300
    assert doc["spec"]["team"]["ops_skill"] == "expert"


def test_recommend_reads_the_spec_in_the_current_directory(tmp_path: Path) -> None:
    (tmp_path / "deploy-advisor.yaml").write_text("connectivity: offline\n")
    done = cli("recommend", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["mode"] == "edge"
    no_file = cli("recommend", cwd=tmp_path / "..")
    assert no_file.returncode == 0


def test_flags_override_the_file() -> None:
    done = cli(
        "recommend", str(EXAMPLE), "--connectivity", "offline", "--availability", "99", "--json"
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert (doc["mode"], doc["target"]) == ("edge", "edge")
    assert doc["spec"]["name"] == "churn-model"  # the rest still comes from the file


def test_p95_none_means_nobody_waits() -> None:
    done = cli("recommend", str(EXAMPLE), "--p95-ms", "none", "--freshness", "daily", "--json")
    doc = json.loads(done.stdout)
    assert doc["spec"]["latency"]["p95_ms"] is None
    assert doc["mode"] == "batch"


def test_model_flag_takes_the_file_size(tmp_path: Path) -> None:
    model = tmp_path / "model.joblib"
    model.write_bytes(b"\0" * 3_000_000)
    done = cli("recommend", "--model", str(model), "--json", cwd=tmp_path)
    assert json.loads(done.stdout)["spec"]["model"] == {
        "path": str(model),
        "size_mb": 3.0,
        "gpu": False,
    }


def test_the_spec_files_model_path_gives_the_size_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "big.joblib").write_bytes(b"\0" * 3_000_000)
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "spec.yaml").write_text("model: {path: ../models/big.joblib}\n")
    done = cli("recommend", "specs/spec.yaml", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["spec"]["model"]["size_mb"] == 3.0


@pytest.mark.parametrize(
    ("args", "files", "line"),
    [
        (["recommend", "spec.yaml"], {"spec.yaml": "latency: [\n"},
         "Error: spec.yaml is not valid YAML at line 2, column 1: did not find expected node "
         "content; check the indentation and quoting there"),
        (["recommend", "spec.yaml"], {"spec.yaml": "latncy: {p95_ms: 20}\n"},
         "Error: spec.yaml: unknown key 'latncy'; did you mean 'latency'? allowed keys: name, "
         "model, latency, traffic, privacy, connectivity, edge, budget, team, cloud, availability"),
        (["recommend", "spec.yaml"], {"spec.yaml": "traffic: {peak_rps: lots}\n"},
         "Error: spec.yaml: traffic.peak_rps is 'lots', which is not a number; write a number, "
         "e.g. peak_rps: 20"),
        (["recommend", "--peak-rps", "lots"], {},
         "Error: --peak-rps is 'lots', which is not a number; write a number"),
        (["recommend", "--budget", "-5"], {},
         "Error: --budget is -5, which is negative; use 0 or more"),
        (["recommend", "missing.yaml"], {},
         "Error: spec file 'missing.yaml' not found; check the path or run `deploy-advisor init` "
         "to write one"),
        (["recommend", "--connectivity", "offline", "--availability", "99.99"], {},
         "Error: contradictory inputs: --connectivity offline with --availability 99.99 (a web "
         "SLA an offline deployment cannot give); set availability to 99.9 or lower, or "
         "connectivity to intermittent or always"),
        (["recommend", "--cloud", "oracle"], {},
         "Error: --cloud is 'oracle', which is not one of any, aws, gcp, azure or none; "
         "pick one of those"),
        (["recommend", "spec.yaml"], {"spec.yaml": "cloud: {provider: ibm}\n"},
         "Error: spec.yaml: cloud.provider is 'ibm', which is not one of any, aws, gcp, azure or "
         "none; pick one of those"),
        (["recommend", "--ops-skill", "guru"], {},
         "Error: --ops-skill is 'guru', which is not one of beginner, intermediate or expert; "
         "pick one of those"),
        (["recommend", "--weights", "w.yaml"], {"w.yaml": "modes: {speed: 2}\n"},
         "Error: weights file 'w.yaml': unknown factor modes.speed; factors are "
         "latency_freshness, privacy, connectivity, cost, traffic, ops_skill, availability, model, "
         "cloud"),
        (["recommend", "--weights", "w.yaml"], {"w.yaml": "modes: {cost: 1.0e+308}\n"},
         "Error: weights file 'w.yaml': modes.cost is 1e+308; use 0 to 1000 (weights are "
         "relative)"),
        (["recommend", "--catalog", "nope.yaml"], {},
         "Error: catalog file 'nope.yaml' not found; check the path"),
        (["recommend", "spec.yaml"], {"spec.yaml": "budget: {monthly_usd: 9}\nbudget: {}\n"},
         "Error: spec.yaml: key 'budget' is given twice (lines 1 and 2); keep one of them"),
        (["init", "--no-input", "-o", "adir", "--force"], {"adir/keep": ""},
         "Error: 'adir' is a directory; pass a file name"),
        (["init", "--no-input", "-o", "nodir/spec.yaml"], {},
         "Error: directory 'nodir' does not exist; create it or pick another path"),
        (["recommend", "spec.yaml"], {"spec.yaml": "model: {path: gone.joblib}\n"},
         "Error: spec.yaml: model.path is 'gone.joblib', which is not a model file or MLflow "
         "model directory, and no model size is given; fix the path or give --model-size-mb"),
        (["recommend", "--model", "gone.joblib"], {},
         "Error: --model is 'gone.joblib', which is not a model file or MLflow model directory, "
         "and no model size is given; fix the path or give --model-size-mb"),
        (["recommend", "--rps-per-vcpu", "0"], {},
         "Error: --rps-per-vcpu is '0', which is not a number above 0.01 and at most 1,000,000; "
         "e.g. --rps-per-vcpu 150"),
    ],
)  # fmt: skip
def test_errors_are_one_line_with_exit_2(
    tmp_path: Path, args: list[str], files: dict[str, str], line: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == line + "\n"
    assert "Traceback" not in done.stderr


def test_schema_prints_the_json_schema() -> None:
    done = cli("schema")
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert schema["title"] == "deploy-advisor.yaml"
    assert schema["additionalProperties"] is False
    assert "latency" in schema["properties"]


def test_catalog_lists_plans() -> None:
    done = cli("catalog")
    assert done.returncode == 0, done.stderr
    assert "Price catalog: 69 plans, USD" in done.stdout
    row = next(line for line in done.stdout.splitlines() if " linode-2gb " in line)
    assert row.split() == [
        "linode-2gb", "vps+docker", "1", "2", "GB", "0.018", "12.00", "official-copy", "2025-08-19",
    ]  # fmt: skip
    as_json = json.loads(cli("catalog", "--target", "edge", "--json").stdout)
    assert {p["target"] for p in as_json["plans"]} == {"edge"}
    assert all(p["source"] and p["confidence"] for p in as_json["plans"])
    bad = cli("catalog", "--target", "mars")
    assert bad.returncode == 2
    assert bad.stderr.startswith("Error: --target is 'mars'; use one of heroku, vps")


# --- init ------------------------------------------------------------------------------------


def test_init_no_input_writes_defaults_plus_flags(tmp_path: Path) -> None:
    done = cli("init", "--no-input", "--ops-skill", "expert", "--p95-ms", "80", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    path = tmp_path / "deploy-advisor.yaml"
    spec = load_spec(path)
    assert spec.team.ops_skill == "expert"
    assert spec.latency.p95_ms == 80
    assert spec.budget.monthly_usd == 100
    text = path.read_text()
    assert text.splitlines()[2] == "name: model"
    assert "connectivity: always   # always|intermittent|offline" in text
    # The written file gives the same recommendation as the flags.
    again = cli("recommend", "--json", cwd=tmp_path)
    assert json.loads(again.stdout)["spec"] == spec.model_dump(mode="json")


def test_init_leaves_derived_fields_to_follow_later_flags(tmp_path: Path) -> None:
    assert cli("init", "--no-input", cwd=tmp_path).returncode == 0
    text = (tmp_path / "deploy-advisor.yaml").read_text()
    assert "# latency.p95_ms follows freshness (now 500 ms); set it to fix a budget" in text
    assert "traffic: {requests_per_day: 10000, pattern: steady, batch_rows: 0}" in text
    elsewhere = tmp_path / "no-spec"
    elsewhere.mkdir()
    for flags in (["--freshness", "daily"], ["--requests-per-day", "1000000"]):
        with_file = json.loads(cli("recommend", "--json", *flags, cwd=tmp_path).stdout)
        without = json.loads(cli("recommend", "--json", *flags, cwd=elsewhere).stdout)
        assert with_file["spec"] == without["spec"]
        assert (with_file["mode"], with_file["target"]) == (without["mode"], without["target"])
    assert cli("init", "--no-input", "--force", "--p95-ms", "80", cwd=tmp_path).returncode == 0
    assert (
        "latency: {p95_ms: 80, freshness: realtime}"
        in (tmp_path / "deploy-advisor.yaml").read_text()
    )


def test_init_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    path = tmp_path / "deploy-advisor.yaml"
    assert cli("init", "--no-input", cwd=tmp_path).returncode == 0
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600
    path.chmod(0o640)
    assert cli("init", "--no-input", "--force", cwd=tmp_path).returncode == 0
    assert path.stat().st_mode & 0o777 == 0o640


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    path = tmp_path / "deploy-advisor.yaml"
    path.write_text("name: mine\n")
    done = cli("init", "--no-input", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "Error: 'deploy-advisor.yaml' already exists; pass --force to overwrite it\n"
    )
    assert path.read_text() == "name: mine\n"
    forced = cli("init", "--no-input", "--force", "--budget", "7", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert load_spec(path).budget.monthly_usd == 7
    assert [p.name for p in tmp_path.iterdir()] == ["deploy-advisor.yaml"]  # no temp files left


def test_init_without_answers_on_stdin_says_how_to_script_it(tmp_path: Path) -> None:
    done = cli("init", cwd=tmp_path, stdin="")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "Error: no answers on standard input; run `deploy-advisor init --no-input` in scripts"
    )
    assert not (tmp_path / "deploy-advisor.yaml").exists()


def test_init_asks_the_questions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    answers = [
        "fraud",  # name
        "",  # model file
        "120",  # size
        "n",  # gpu
        "daily",  # freshness; daily: nobody waits, so no latency question
        "0",  # requests per day; none, so no peak question
        "scheduled",  # pattern
        "abc",  # batch rows: invalid, asked again
        "2000000",  # batch rows
        "y",  # pii
        "n",  # on device only
        "eu",  # region
        "always",  # connectivity
        "40",  # budget
        "beginner",  # ops skill
        "99",  # availability
        "azure",  # cloud
    ]
    result = CliRunner().invoke(app, ["init"], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    # an answer's error names the field asked about, not a flag nobody typed
    assert "traffic.batch_rows is 'abc', which is not a whole number" in result.output
    assert "--batch-rows" not in result.output
    spec = load_spec(tmp_path / "deploy-advisor.yaml")
    assert spec.name == "fraud"
    assert spec.model.size_mb == 120
    assert spec.latency.freshness == "daily"
    assert spec.latency.p95_ms is None
    assert spec.traffic.batch_rows == 2_000_000
    assert spec.traffic.pattern == "scheduled"
    assert (spec.privacy.pii, spec.privacy.region) == (True, "eu")
    assert spec.team.ops_skill == "beginner"
    assert spec.availability == 99
    assert spec.cloud.provider == "azure"


def test_init_takes_natural_answers_and_skips_what_they_make_irrelevant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.joblib").write_bytes(b"\0" * 3_000_000)
    answers = [
        "churn",  # name
        "missing.joblib",  # model file: not there, asked again
        "model.joblib",  # model file: its size answers the size question
        "no",  # gpu
        "Realtime",  # freshness
        "200ms",  # p95
        "50,000",  # requests per day
        "20",  # peak
        "Steady",  # pattern; realtime: no batch question
        "yes",  # pii
        "no",  # on device only
        "eu",  # region
        "always",  # connectivity; always: no edge-devices question
        "$50",  # budget
        "expert",  # ops skill
        "99.9%",  # availability
        "AWS",  # cloud
    ]
    result = CliRunner().invoke(app, ["init"], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "model file 'missing.joblib' is not there" in result.output
    assert "beginner = no servers" in result.output  # the ops-skill levels are explained
    assert "Rows per scheduled batch run" not in result.output
    assert "whose devices" not in result.output
    spec = load_spec(tmp_path / "deploy-advisor.yaml")
    assert (spec.latency.freshness, spec.latency.p95_ms) == ("realtime", 200)
    assert (spec.traffic.requests_per_day, spec.traffic.peak_rps) == (50_000, 20)
    assert (spec.budget.monthly_usd, spec.availability) == (50, 99.9)
    assert spec.model.size_mb == 3.0 and spec.privacy.pii is True
    assert spec.traffic.pattern == "steady"
    assert spec.cloud.provider == "aws"


def test_init_writes_the_model_path_relative_to_the_spec_and_leaves_its_size_to_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "specs").mkdir()
    done = cli("init", "--no-input", "-o", "specs/spec.yaml", "--model", "m.joblib", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "specs" / "spec.yaml").read_text()
    assert 'model: {path: "../m.joblib", gpu: false}' in text
    (tmp_path / "m.joblib").write_bytes(b"\0" * 2_000_000)  # saved after init
    spec = json.loads(cli("recommend", "specs/spec.yaml", "--json", cwd=tmp_path).stdout)["spec"]
    assert spec["model"]["size_mb"] == 2.0
