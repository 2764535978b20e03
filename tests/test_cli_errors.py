"""Bad input on the real command line: one `Error:` line naming the value, exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy_advisor.intake.example import make_example_model
from deploy_advisor.intake.payloads import MAX_PAYLOADS
from tests.targets.conftest import run_cli


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_example_model(tmp_path_factory.mktemp("model")).joblib_path


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("mine\n")
    return path


def refused(*args: str) -> str:
    """The one error line of a command that must exit 2 without a traceback."""
    done = run_cli(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, done.stderr
    return errors[0]


def test_scaffold_out_under_a_file(model: Path, a_file: Path) -> None:
    line = refused("scaffold", "--model", str(model), "--target", "docker", "-o", f"{a_file}/d")
    assert line == f"Error: -o {a_file}/d is under {a_file}, which is a file; pass a directory path"
    assert a_file.read_text() == "mine\n"


def test_scaffold_out_is_a_file(model: Path, a_file: Path) -> None:
    line = refused("scaffold", "--model", str(model), "--target", "docker", "-o", str(a_file))
    assert line == f"Error: -o {a_file} is a file, not a directory; pass a directory path"


def test_scaffold_out_where_nothing_can_be_written(model: Path) -> None:
    line = refused("scaffold", "--model", str(model), "--target", "docker", "-o", "/proc/da-out")
    assert line.startswith("Error: cannot write -o /proc/da-out")
    assert line.endswith("pass a directory you can write to")


def test_example_model_out_under_a_file_refused_before_training(a_file: Path) -> None:
    done = run_cli("example-model", "-o", f"{a_file}/m")
    assert done.returncode == 2
    assert "Training" not in done.stderr
    assert (
        done.stderr.strip()
        == f"Error: -o {a_file}/m is under {a_file}, which is a file; pass a directory path"
    )


@pytest.mark.parametrize("count", [MAX_PAYLOADS + 1, 100_000_000])
def test_inspect_count_too_large(model: Path, count: int) -> None:
    line = refused("inspect", str(model), "--count", str(count))
    assert line == (
        f"Error: --count {count:,} is too large; ask for at most {MAX_PAYLOADS:,} payloads "
        "(a load test cycles through them)"
    )


@pytest.mark.parametrize("count", ["0", "-3"])
def test_inspect_count_too_small(model: Path, count: str) -> None:
    line = refused("inspect", str(model), "--count", count)
    assert line == f"Error: --count {count} is too small; ask for at least 1 payload"


def test_inspect_count_at_the_maximum_works(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    done = run_cli("inspect", str(model), "--count", str(MAX_PAYLOADS), "--payloads", str(out))
    assert done.returncode == 0, done.stderr
    assert f"Wrote {MAX_PAYLOADS} sample bodies" in done.stderr


def test_inspect_payloads_under_a_file(model: Path, a_file: Path) -> None:
    line = refused("inspect", str(model), "--payloads", f"{a_file}/p.json")
    assert line == f"Error: --payloads {a_file} is a file, not a directory; pass a directory path"


def test_inspect_negative_seed(model: Path) -> None:
    assert "--seed" in refused("inspect", str(model), "--seed", "-1")


@pytest.mark.parametrize("name", ["model.xyz", "notes.json", "model"])
def test_serve_unknown_format_refused_before_starting(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text('{"not": "a model"}\n')
    done = run_cli("serve", str(path), "--port", "1")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "serving" not in done.stderr, "no server may start"
    suffix = path.suffix or "(no suffix)"
    assert done.stderr.strip().startswith(
        f"Error: {name}: unknown model format {suffix}; use one of"
    )


def test_quickstart_out_under_a_file(a_file: Path) -> None:
    line = refused("quickstart", "-o", f"{a_file}/q")
    assert line == f"Error: -o {a_file}/q is under {a_file}, which is a file; pass a directory path"


def test_init_out_where_nothing_can_be_created() -> None:
    line = refused("init", "--no-input", "-o", "/proc/da-spec.yaml")
    assert line == (
        "Error: cannot write in '/proc': files cannot be created there; pick a directory you "
        "can write to"
    )


def test_init_out_under_a_file(a_file: Path) -> None:
    line = refused("init", "--no-input", "-o", f"{a_file}/spec.yaml")
    assert str(a_file) in line and "pick a directory you can write to" in line
    assert a_file.read_text() == "mine\n"


def test_inspect_sample_of_an_unknown_kind_is_refused_before_loading(
    model: Path, a_file: Path
) -> None:
    line = refused("inspect", str(model), "--sample", str(a_file))
    assert line == f"Error: --sample {a_file}: use a .csv or .parquet file of training rows"
