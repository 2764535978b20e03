from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from deploy_advisor.errors import InputError
from deploy_advisor.reports.runs import load_run, load_runs
from tests.reports.runbuilder import RunSpec, write_run


def test_loads_a_run_with_its_raw_latencies(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path, RunSpec("vps", "linode-2gb", rate=10, duration_s=5)))
    assert (run.target, run.plan, run.label) == ("vps", "linode-2gb", "vps/linode-2gb")
    assert run.requests == 50 and len(run.latencies_ms) == 50 and len(run.timeline) == 5
    assert run.slo_passed is True and run.error_pct == 0.0


def test_result_json_path_is_accepted_too(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, RunSpec("docker", None, rate=5, duration_s=2))
    assert load_run(run_dir / "result.json").target == "docker"


def test_missing_result_names_the_path_and_nested_runs(tmp_path: Path) -> None:
    write_run(tmp_path / "all", RunSpec("vps", "linode-2gb", rate=5, duration_s=2))
    with pytest.raises(InputError) as caught:
        load_run(tmp_path / "all")
    assert str(caught.value) == (
        f"{tmp_path / 'all' / 'result.json'} not found (its subdirectories vps-linode-2gb are "
        "runs); pass run directories written by loadtest"
    )


def test_corrupt_json_is_one_line_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "result.json").write_text("{not json")
    with pytest.raises(InputError, match=r"result\.json is not readable JSON") as caught:
        load_run(tmp_path)
    assert "\n" not in str(caught.value)


def test_unsupported_version_says_what_is_supported(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, RunSpec("vps", "linode-2gb", rate=5, duration_s=2))
    data = json.loads((run_dir / "result.json").read_text())
    (run_dir / "result.json").write_text(json.dumps({**data, "version": 2}))
    with pytest.raises(
        InputError, match="has result version 2; this deploy-advisor reads version 1"
    ):
        load_run(run_dir)


def test_missing_field_is_named(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, RunSpec("vps", "linode-2gb", rate=5, duration_s=2))
    data = json.loads((run_dir / "result.json").read_text())
    del data["latency_ms"]
    (run_dir / "result.json").write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"is invalid \(latency_ms: Field required\)"):
        load_run(run_dir)


def test_corrupt_latencies_file_is_named(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, RunSpec("vps", "linode-2gb", rate=5, duration_s=2))
    (run_dir / "latencies.csv.gz").write_bytes(gzip.compress(b"1.0\n2.0\n")[:12])
    with pytest.raises(InputError, match=r"latencies\.csv\.gz is corrupt"):
        load_run(run_dir)


def test_no_run_dirs_is_an_input_error() -> None:
    with pytest.raises(InputError, match="No run directories given"):
        load_runs([])


def test_start_to_ready_is_read_and_older_runs_have_none(tmp_path: Path) -> None:
    older = load_run(write_run(tmp_path, RunSpec("docker", None, rate=5, duration_s=2)))
    assert older.start_to_ready_s is None and older.startup_probe_s is None
    timed = RunSpec("heroku", None, rate=5, duration_s=2, start_to_ready_s=2.41)
    assert load_run(write_run(tmp_path, timed)).start_to_ready_s == 2.41


def test_startup_probe_allowance_from_the_benched_scaffold(tmp_path: Path) -> None:
    from deploy_advisor.intake.example import make_example_model
    from deploy_advisor.targets.scaffold import scaffold

    run_dir = write_run(tmp_path, RunSpec("kubernetes", "lke-linode-4gb", start_to_ready_s=9.5))
    model = make_example_model(tmp_path / "model").joblib_path
    scaffold(model=model, target="kubernetes", out_dir=run_dir / "scaffold", plan="lke-linode-4gb")
    probe = _startup_probe(run_dir / "scaffold" / "k8s" / "deployment.yaml")
    run = load_run(run_dir)
    # What the scaffold wrote: initialDelaySeconds (0 unless set) + failureThreshold × period.
    expected = (
        probe.get("initialDelaySeconds", 0) + probe["failureThreshold"] * probe["periodSeconds"]
    )
    assert run.startup_probe_s == expected and expected >= 10


def _startup_probe(path: Path) -> dict[str, int]:
    """The startupProbe of the Deployment's first container, as written."""
    import yaml

    (deployment,) = [
        d for d in yaml.safe_load_all(path.read_text()) if d and d["kind"] == "Deployment"
    ]
    probe: dict[str, int] = deployment["spec"]["template"]["spec"]["containers"][0]["startupProbe"]
    return probe
