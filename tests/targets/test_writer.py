"""The scaffold writer: actions against disk and lock, conflicts, --force, --dry-run, traversal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy_advisor.errors import InputError
from deploy_advisor.targets.writer import (
    LOCK_NAME,
    GeneratedFile,
    apply_actions,
    plan_actions,
    safe_relative,
    sha256,
)
from tests.targets.conftest import run_cli


def _lock(out: Path, files: dict[str, GeneratedFile]) -> None:
    digests = {p: sha256(f.content) for p, f in files.items()}
    (out / LOCK_NAME).write_text(json.dumps({"version": 1, "files": digests}))


def test_actions_cover_create_identical_overwrite_and_conflict(tmp_path: Path) -> None:
    first = {n: GeneratedFile(f"{n} v1\n".encode()) for n in ("a", "b", "c", "d")}
    apply_actions(plan_actions(first, out_dir=tmp_path), out_dir=tmp_path)
    _lock(tmp_path, first)
    (tmp_path / "c").write_text("edited by the user\n")
    second = {**first, "b": GeneratedFile(b"b v2\n"), "c": GeneratedFile(b"c v2\n")}
    second["e"] = GeneratedFile(b"new\n")
    actions = {a.path: a.action for a in plan_actions(second, out_dir=tmp_path)}
    assert actions == {
        "a": "identical", "b": "overwrite", "c": "conflict", "d": "identical", "e": "create",
    }  # fmt: skip
    with pytest.raises(InputError, match=r"^c changed since scaffold wrote it; pass --force"):
        apply_actions(plan_actions(second, out_dir=tmp_path), out_dir=tmp_path)
    assert (tmp_path / "c").read_text() == "edited by the user\n"
    assert not (tmp_path / "e").exists(), "a conflict must stop every write"
    apply_actions(plan_actions(second, out_dir=tmp_path, force=True), out_dir=tmp_path)
    assert (tmp_path / "c").read_text() == "c v2\n"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["a", "b", "c", "d", "e", LOCK_NAME])


def test_a_foreign_file_in_the_way_is_a_conflict(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM mine\n")
    actions = plan_actions({"Dockerfile": GeneratedFile(b"FROM ours\n")}, out_dir=tmp_path)
    assert [a.action for a in actions] == ["conflict"]


@pytest.mark.parametrize("bad", ["../evil", "/etc/passwd", "a/../../b", "", "./x/."])
def test_paths_outside_the_output_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InputError, match="inside the output directory"):
        safe_relative(bad)
    with pytest.raises(InputError):
        plan_actions({bad: GeneratedFile(b"x")}, out_dir=tmp_path)


def test_a_symlink_cannot_lead_writes_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "k8s").symlink_to(outside)
    with pytest.raises(InputError, match="resolves outside"):
        plan_actions({"k8s/x.yaml": GeneratedFile(b"x")}, out_dir=out)


def test_writes_are_atomic_and_keep_the_executable_bit(tmp_path: Path) -> None:
    files = {"deploy/deploy.sh": GeneratedFile(b"#!/bin/sh\n", executable=True)}
    apply_actions(plan_actions(files, out_dir=tmp_path), out_dir=tmp_path)
    script = tmp_path / "deploy" / "deploy.sh"
    assert script.stat().st_mode & 0o777 == 0o755
    assert [p.name for p in script.parent.iterdir()] == ["deploy.sh"], "no temp file left behind"


def test_cli_dry_run_then_write_then_rerun_is_identical(
    tmp_path: Path, example_model: Path
) -> None:
    out = tmp_path / "out"
    args = ["scaffold", "--model", str(example_model), "--target", "heroku", "-o", str(out)]
    dry = run_cli(*args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert not out.exists(), "--dry-run must write nothing"
    assert "create     Procfile" in dry.stdout
    assert run_cli(*args).returncode == 0
    again = run_cli(*args, "--dry-run")
    lines = [ln.split()[0] for ln in again.stdout.splitlines() if ln.strip()]
    assert lines and set(lines) == {"identical"}, again.stdout


def test_cli_refuses_to_overwrite_an_edited_file(tmp_path: Path, example_model: Path) -> None:
    out = tmp_path / "out"
    args = ["scaffold", "--model", str(example_model), "--target", "vps", "-o", str(out)]
    assert run_cli(*args).returncode == 0
    site = out / "deploy" / "nginx" / "model.conf"
    site.write_text(site.read_text() + "# tuned by hand\n")
    dry = run_cli(*args, "--dry-run")
    assert "conflict   deploy/nginx/model.conf" in dry.stdout
    refused = run_cli(*args)
    assert refused.returncode == 2
    assert "deploy/nginx/model.conf changed since scaffold wrote it; pass --force" in refused.stderr
    assert site.read_text().endswith("# tuned by hand\n")
    assert run_cli(*args, "--force").returncode == 0
    assert not site.read_text().endswith("# tuned by hand\n")


def test_cli_rejects_unknown_target_and_plan(tmp_path: Path, example_model: Path) -> None:
    base = ["scaffold", "--model", str(example_model), "-o", str(tmp_path / "o")]
    bad_target = run_cli(*base, "--target", "lambda")
    assert bad_target.returncode == 2
    assert bad_target.stderr.startswith("Error: unknown target 'lambda'; pass --target with one of")
    bad_plan = run_cli(*base, "--target", "docker", "--plan", "nope-1gb")
    assert bad_plan.returncode == 2
    assert bad_plan.stderr.startswith("Error: unknown plan 'nope-1gb'; pass --plan with one of")
