"""The edge bundle's tarball beside `-o`: planned, listed and protected like the bundle's files."""

from __future__ import annotations

import json
from pathlib import Path

from deploy_advisor.targets.writer import LOCK_NAME, sha256
from tests.targets.conftest import run_cli


def test_a_tarball_scaffold_did_not_write_is_a_conflict(
    tmp_path: Path, example_model: Path
) -> None:
    out, tarball = tmp_path / "edge", tmp_path / "edge.tar.gz"
    tarball.write_text("the user's own archive\n")
    args = ["scaffold", "--model", str(example_model), "--target", "edge", "-o", str(out)]

    dry = run_cli(*args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"conflict   {tarball}  (exists and was not written by scaffold)\n" in dry.stdout

    refused = run_cli(*args)
    assert refused.returncode == 2
    assert refused.stderr.endswith(
        f"Error: {tarball} exists and was not written by scaffold; pass --force to overwrite it\n"
    )
    assert tarball.read_text() == "the user's own archive\n"
    assert not out.exists(), "a conflict stops every write"

    forced = run_cli(*args, "--force")
    assert forced.returncode == 0, forced.stderr
    lock = json.loads((out / LOCK_NAME).read_text())
    assert lock["tarball"] == {"file": "edge.tar.gz", "sha256": sha256(tarball.read_bytes())}

    again = run_cli(*args, "--dry-run")  # now scaffold's own: replaced without --force
    assert f"overwrite  {tarball}\n" in again.stdout or f"identical  {tarball}\n" in again.stdout
    assert "conflict" not in again.stdout


def test_dry_run_lists_the_tarball_and_writes_nothing(tmp_path: Path, example_model: Path) -> None:
    out = tmp_path / "edge"
    dry = run_cli(
        "scaffold", "--model", str(example_model), "--target", "edge", "-o", str(out), "--dry-run"
    )
    assert dry.returncode == 0, dry.stderr
    assert f"create     {tmp_path / 'edge.tar.gz'}\n" in dry.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_the_same_files_give_the_same_tarball_bytes(tmp_path: Path) -> None:
    from deploy_advisor.edge.bundle import write_tarball

    files = {"model.onnx": b"\x08\x07model", "edge_runtime/__init__.py": b"", "README.md": b"hi\n"}
    first, second = tmp_path / "a" / "edge.tar.gz", tmp_path / "b" / "edge.tar.gz"
    write_tarball(files=files, name="edge", tarball=first)
    write_tarball(files=files, name="edge", tarball=second)
    assert first.read_bytes() == second.read_bytes()
    assert sorted(p.name for p in first.parent.iterdir()) == ["edge.tar.gz"]  # no temp file left
