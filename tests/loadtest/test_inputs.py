"""Every loadtest, bench and quickstart input is checked before any load starts or file is written:
one `Error:` line naming the flag and the fix, exit 2, and nothing left behind."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.loadtest.conftest import run_cli

FIX = 'pass --payloads with a JSON list of request bodies, e.g. [{"instances": [[0.1, 0.2]]}]'
TARGETS = "local, docker, heroku, kubernetes, vps, sagemaker, cloud-run, azure-ml"


def _refused(done: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a command that must have stopped with exit 2 and no output."""
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    return line


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{not json", "is not valid JSON (Expecting property name enclosed in double quotes at "
                      "line 1 column 2)"),
        ("[]", "holds an empty list"),
        ("[1, 2]", ": body 1 is a number, not a JSON object"),
        ('{"instances": [[1]]}', "holds an object, not a list"),
    ],
)  # fmt: skip
def test_unusable_payloads_are_refused_before_any_load(tmp_path: Path, text: str, why: str) -> None:
    (tmp_path / "p.json").write_text(text)
    done = run_cli(
        "loadtest", "--url", "http://127.0.0.1:9", "--payloads", "p.json", "--duration", "2s",
        "--out", "run", cwd=tmp_path,
    )  # fmt: skip
    sep = "" if why.startswith(":") else " "
    assert _refused(done) == f"Error: --payloads p.json{sep}{why}; {FIX}"
    assert not (tmp_path / "run").exists()


def test_unusable_scaffold_payloads_name_the_file(
    scaffold_dir: Path,
    tmp_path: Path,
) -> None:
    (scaffold_dir / "samples" / "payloads.json").write_text("[]")
    done = run_cli("bench", str(scaffold_dir), "--out", "runs", cwd=tmp_path)
    assert _refused(done) == (
        f"Error: {scaffold_dir.resolve()}/samples/payloads.json holds an empty list; it must hold "
        'a JSON list of request bodies, e.g. [{"instances": [[0.1, 0.2]]}]; re-run scaffold'
    )
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (["--rate", "nan"], "--rate nan must be a positive, finite number of requests per second, "
                            "e.g. --rate 50"),
        (["--rate", "inf"], "--rate inf must be a positive, finite number of requests per second, "
                            "e.g. --rate 50"),
        (["--users", "0"], "--users 0 is out of range; use 1 to 2000"),
        (["--rate", "10", "--users", "0"], "--users 0 is out of range; use 1 to 2000"),
        (["--users", "-3"], "--users -3 is out of range; use 1 to 2000"),
        (["--duration", "500ms"], "--duration 0.5s is out of range; use 1s to 3600s"),
        (["--duration", "0s"], "--duration 0s is out of range; use 1s to 3600s"),
        (["--duration", "nan"], "--duration 'nan' is not a duration; use e.g. 30s, 2m or 500ms"),
        (["--ramp", "inf"], "--ramp 'inf' is not a duration; use e.g. 30s, 2m or 500ms"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["loadtest", "bench"])
def test_load_flags_are_one_line_errors_in_both_commands(
    scaffold_dir: Path,
    tmp_path: Path,
    command: str,
    flags: list[str],
    line: str,
) -> None:
    done = run_cli(command, str(scaffold_dir), *flags, "--out", "out", cwd=tmp_path)
    assert _refused(done) == f"Error: {line}"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["bench", "--targets", "local,foo"], f"--targets 'foo' is not a target; use one of: "
                                              f"{TARGETS}"),
        (["bench", "--targets", ""], f"--targets is empty; name one or more of: {TARGETS}"),
        (["bench", "--targets", "local,edge"], "--targets edge: that target cannot be launched "
         f"for a load test; use one of: {TARGETS}; measure an edge bundle with `bench-edge`"),
        (["bench", "--targets", "local", "--plans", "docker=linode-2gb"], "--plans names docker, "
         "not in --targets local; add the target or drop the plan"),
        (["bench", "--targets", "local,docker", "--plans", "docker=linode-2g"], "--plans "
         "docker=linode-2g: no plan named 'linode-2g' in the price catalog; did you mean "
         "linode-2gb, linode-32gb, linode-8gb? (`deploy-advisor catalog` lists them)"),
        (["bench", "--targets", "local,vps", "--plans", "vps=heroku-standard-1x"], "--plans "
         "vps=heroku-standard-1x: plan 'heroku-standard-1x' is a heroku plan, not one for vps; "
         "`deploy-advisor catalog` lists the vps plans"),
        (["loadtest", "--target", "vps", "--plan", "heroku-standard-1x"], "--plan "
         "heroku-standard-1x: plan 'heroku-standard-1x' is a heroku plan, not one for vps; "
         "`deploy-advisor catalog` lists the vps plans"),
        (["loadtest", "--target", "foo"], f"--target 'foo' is not a target; use one of: {TARGETS}"),
        (["loadtest", "--find-capacity", "--rate", "5"], "--find-capacity needs --slo and a start "
                                                         "--rate"),
        (["loadtest", "--cold-starts", "-1"], "--cold-starts -1 is out of range; use 0 to 20"),
        (["loadtest", "--cold-starts", "21"], "--cold-starts 21 is out of range; use 0 to 20"),
    ],
)  # fmt: skip
def test_targets_and_plans_are_checked_before_the_first_run(
    scaffold_dir: Path,
    tmp_path: Path,
    args: list[str],
    line: str,
) -> None:
    command, *flags = args
    done = run_cli(
        command, str(scaffold_dir), *flags, "--duration", "2s", "--out", "out", cwd=tmp_path
    )
    assert _refused(done) == f"Error: {line}"
    assert "Starting" not in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (["--targets", "local,foo"], f"--targets 'foo' is not a target; use one of: {TARGETS}"),
        (["--targets", ""], f"--targets is empty; name one or more of: {TARGETS}"),
        (["--duration", "0s"], "--duration 0s is out of range; use 1s to 3600s"),
    ],
)
def test_quickstart_checks_its_flags_before_it_recommends(
    tmp_path: Path, flags: list[str], line: str
) -> None:
    done = run_cli("quickstart", "-o", "qs", *flags, cwd=tmp_path)
    assert _refused(done) == f"Error: {line}"
    assert not (tmp_path / "qs").exists()


def test_out_that_is_a_file_is_a_one_line_error(tmp_path: Path, payloads: Path) -> None:
    (tmp_path / "taken").write_text("mine")
    done = run_cli(
        "loadtest", "--url", "http://127.0.0.1:9", "--payloads", str(payloads), "--out", "taken",
        cwd=tmp_path,
    )  # fmt: skip
    assert _refused(done) == "Error: --out taken is a file; pass --out with a directory path"
    assert (tmp_path / "taken").read_text() == "mine"


def test_a_directory_of_other_files_is_not_written_without_force(
    tmp_path: Path, payloads: Path
) -> None:
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "locust.log").write_text("my own notes")
    done = run_cli(
        "loadtest", "--url", "http://127.0.0.1:9", "--payloads", str(payloads), "--out", "notes",
        cwd=tmp_path,
    )  # fmt: skip
    assert _refused(done) == (
        "Error: notes is not empty and holds no earlier run; pass --force to write into it or "
        "choose another --out"
    )
    assert [p.name for p in mine.iterdir()] == ["locust.log"]
    assert (mine / "locust.log").read_text() == "my own notes"


def test_an_earlier_run_is_kept_without_force(tmp_path: Path, payloads: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "result.json").write_text(json.dumps({"version": 1}))
    done = run_cli(
        "loadtest", "--url", "http://127.0.0.1:9", "--payloads", str(payloads), "--out", "run",
        cwd=tmp_path,
    )  # fmt: skip
    assert _refused(done) == "Error: run already holds a result; pass --force or another --out"


def test_cold_starts_need_a_server_launched_here(tmp_path: Path) -> None:
    done = run_cli(
        "loadtest", "--url", "http://127.0.0.1:9", "--cold-starts", "2", "--duration", "2s",
        "--out", "run", cwd=tmp_path,
    )  # fmt: skip
    assert _refused(done) == "Error: --cold-starts needs a scaffold DIR launched here, not --url"
    assert not (tmp_path / "run").exists()
