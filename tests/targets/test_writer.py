"""The scaffold writer: actions against disk and lock, conflicts, --force, --dry-run, traversal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy_advisor.errors import InputError, ScaffoldConflict
from deploy_advisor.targets.writer import (
    CHANGED,
    LOCK_NAME,
    NOT_WRITTEN,
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


def test_a_file_where_a_folder_belongs_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "model").write_text("mine\n")
    with pytest.raises(InputError) as info:
        plan_actions({"model/model.onnx": GeneratedFile(b"x")}, out_dir=tmp_path)
    assert str(info.value) == (
        f"{str(tmp_path.resolve() / 'model')!r} is a file where the scaffold needs a directory "
        "for model/model.onnx; move it away"
    )
    assert (tmp_path / "model").read_text() == "mine\n"


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
    assert bad_plan.stderr.startswith("Error: no plan named 'nope-1gb' in the price catalog")
    wrong = run_cli(*base, "--target", "docker", "--plan", "heroku-basic")
    assert wrong.returncode == 2
    assert wrong.stderr == (
        "Error: plan 'heroku-basic' is a heroku plan, not one for docker; "
        "`deploy-advisor catalog` lists the docker plans\n"
    )


def test_without_target_the_spec_decides(tmp_path: Path, example_model: Path) -> None:
    spec = Path(__file__).resolve().parents[2] / "examples" / "deploy-advisor.yaml"
    out = tmp_path / "out"
    done = run_cli("scaffold", "--model", str(example_model), "--spec", str(spec), "-o", str(out))
    assert done.returncode == 0, done.stderr
    lock = json.loads((out / LOCK_NAME).read_text())
    assert "advisor's pick" in done.stderr and lock["target"] in done.stderr
    assert lock["plan"] is not None
    missing = run_cli("scaffold", "--model", str(example_model), "-o", str(out))
    assert missing.returncode == 2
    assert missing.stderr.startswith("Error: no --target given; pass --target")


def test_conflicts_say_whether_scaffold_wrote_the_file(tmp_path: Path) -> None:
    first = {"a": GeneratedFile(b"a v1\n")}
    apply_actions(plan_actions(first, out_dir=tmp_path), out_dir=tmp_path)
    _lock(tmp_path, first)
    (tmp_path / "a").write_text("edited by the user\n")
    (tmp_path / "b").write_text("the user's own\n")
    (tmp_path / "c").write_text("the user's own too\n")
    second = {n: GeneratedFile(f"{n} v2\n".encode()) for n in ("a", "b", "c")}
    actions = plan_actions(second, out_dir=tmp_path)
    assert [(a.path, a.action, a.reason) for a in actions] == [
        ("a", "conflict", CHANGED), ("b", "conflict", NOT_WRITTEN), ("c", "conflict", NOT_WRITTEN),
    ]  # fmt: skip
    with pytest.raises(ScaffoldConflict) as refused:
        apply_actions(actions, out_dir=tmp_path)
    assert str(refused.value) == (
        "a changed since scaffold wrote it; 2 files exist that scaffold did not write (b, c); "
        "pass --force to overwrite them"
    )
    only_b = plan_actions({"b": second["b"]}, out_dir=tmp_path)
    with pytest.raises(ScaffoldConflict) as refused:
        apply_actions(only_b, out_dir=tmp_path)
    assert str(refused.value) == (
        "b exists and was not written by scaffold; pass --force to overwrite it"
    )


def test_files_no_longer_generated_are_removed_and_the_users_are_kept(tmp_path: Path) -> None:
    first = {
        p: GeneratedFile(p.encode())
        for p in ("model/old.joblib", "model/old-extra.bin", "k8s/ingress.yaml", "README.md")
    }
    apply_actions(plan_actions(first, out_dir=tmp_path), out_dir=tmp_path)
    _lock(tmp_path, first)
    (tmp_path / "model" / "old-extra.bin").write_text("edited by the user\n")
    (tmp_path / "model" / "notes.txt").write_text("the user's own\n")
    second = {p: GeneratedFile(p.encode()) for p in ("model/new.joblib", "README.md")}
    actions = plan_actions(second, out_dir=tmp_path, owned_dirs=("model",))
    assert {a.path: a.action for a in actions} == {
        "README.md": "identical", "model/new.joblib": "create", "k8s/ingress.yaml": "remove",
        "model/old.joblib": "remove", "model/old-extra.bin": "keep", "model/notes.txt": "keep",
    }  # fmt: skip
    kept = {a.path: a.reason for a in actions if a.action == "keep"}
    assert kept["model/old-extra.bin"] == (
        "no longer part of the scaffold but changed since scaffold wrote it; delete it or pass "
        "--force"
    )
    assert kept["model/notes.txt"] == (
        "not written by scaffold, and everything in model/ is deployed; move it out of model/ "
        "unless it belongs there"
    )
    apply_actions(actions, out_dir=tmp_path)
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == [
        "new.joblib", "notes.txt", "old-extra.bin",
    ]  # fmt: skip
    assert not (tmp_path / "k8s").exists(), "a folder left empty goes too"
    forced = plan_actions(second, out_dir=tmp_path, force=True, owned_dirs=("model",))
    assert {a.path: a.action for a in forced if a.action in {"remove", "keep"}} == {
        "model/old-extra.bin": "remove", "model/notes.txt": "keep",
    }  # fmt: skip


def test_cli_names_a_file_scaffold_did_not_write(tmp_path: Path, example_model: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "Dockerfile").write_text("FROM mine\n")
    args = ["scaffold", "--model", str(example_model), "--target", "docker", "-o", str(out)]
    dry = run_cli(*args, "--dry-run")
    assert "conflict   Dockerfile  (exists and was not written by scaffold)\n" in dry.stdout
    refused = run_cli(*args)
    assert refused.returncode == 2
    assert refused.stderr.endswith(
        "Error: Dockerfile exists and was not written by scaffold; pass --force to overwrite it\n"
    )
    assert (out / "Dockerfile").read_text() == "FROM mine\n"


def test_cli_rescaffold_with_a_new_model_ships_only_that_model(
    tmp_path: Path, example_model: Path
) -> None:
    out = tmp_path / "out"
    base = ["scaffold", "--target", "docker", "-o", str(out)]
    assert run_cli(*base, "--model", str(example_model)).returncode == 0
    (out / "model" / "notes.txt").write_text("the user's own\n")
    newer = tmp_path / "churn.joblib"
    newer.write_bytes(example_model.read_bytes())
    dry = run_cli(*base, "--model", str(newer), "--dry-run")
    assert "remove     model/model.joblib\n" in dry.stdout
    assert "keep       model/notes.txt\n" in dry.stdout
    done = run_cli(*base, "--model", str(newer))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (out / "model").iterdir()) == ["churn.joblib", "notes.txt"]
    said = " ".join(done.stderr.split())
    assert "removed model/model.joblib (the previous scaffold's, not in this one)" in said
    assert "Warning: model/notes.txt: not written by scaffold, and everything in model/ is " in said
    lock = json.loads((out / LOCK_NAME).read_text())
    assert lock["model"]["file"] == "model/churn.joblib"
    assert "model/model.joblib" not in lock["files"]
    assert "MODEL_PATH=/app/model/churn.joblib" in (out / "Dockerfile").read_text()
