"""`validate --json` on real scaffolds: one document with the findings and the checks that ran."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.conftest import require
from tests.targets.conftest import run_cli


def _checks(document: dict[str, object]) -> dict[str, dict[str, object]]:
    checks = document["checks"]
    assert isinstance(checks, list)
    return {check["name"]: check for check in checks}


def test_docker_scaffold_lists_every_check_with_tool_files_and_result(
    scaffolded: Callable[..., Path], with_checkov: str
) -> None:
    require("hadolint")
    out = scaffolded("docker")
    done = run_cli("validate", str(out), "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["ok"] is True and document["errors"] == 0
    assert document["directory"] == str(out)
    assert all(f["severity"] != "error" for f in document["findings"])
    checks = _checks(document)
    assert {"lock", "hadolint", "compose", "checkov"} <= set(checks)
    assert checks["hadolint"] == {
        "name": "hadolint", "tool": "hadolint", "files": ["Dockerfile"], "result": "passed",
        "findings": checks["hadolint"]["findings"],
    }  # fmt: skip
    assert checks["checkov"]["tool"] == "checkov"
    assert "Dockerfile" in checks["checkov"]["files"]
    assert checks["compose"]["files"] == ["compose.yaml"]
    assert {c["result"] for c in checks.values()} <= {"passed", "warnings"}


def test_kubernetes_manifests_are_the_files_of_the_schema_check(
    scaffolded: Callable[..., Path], with_checkov: str
) -> None:
    require("hadolint")
    out = scaffolded("kubernetes", host_name="api.example.com")
    document = json.loads(run_cli("validate", str(out), "--json").stdout)
    schema = _checks(document)["kubernetes-schema"]
    assert schema["tool"] == "kubernetes-validate"
    expected = sorted(f"k8s/{p.name}" for p in (out / "k8s").glob("*.yaml"))
    assert schema["files"] == expected and schema["result"] == "passed"


def test_a_broken_file_fails_its_check_and_exits_1(
    scaffolded: Callable[..., Path], tmp_path: Path, with_checkov: str
) -> None:
    require("hadolint")
    out = tmp_path / "copy"
    shutil.copytree(scaffolded("docker"), out)
    (out / "compose.yaml").write_text("services:\n  model:\n    image: x\n")
    done = run_cli("validate", str(out), "--json")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["ok"] is False and document["errors"] >= 1
    compose = _checks(document)["compose"]
    assert compose["result"] == "failed" and compose["findings"] >= 1
    assert any(
        f["check"] == "compose" and f["file"] == "compose.yaml" for f in document["findings"]
    )
