"""`deploy-advisor validate` on real scaffolds: clean output passes, broken files fail."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from deploy_advisor.targets.systemd import check_systemd_units, check_unit_keys
from tests.conftest import require
from tests.targets.conftest import edited_copy, run_cli

TARGETS = ["docker", "kubernetes", "heroku", "vps"]


@pytest.mark.nginx
@pytest.mark.parametrize("target", TARGETS)
def test_every_scaffold_validates_with_zero_failed_checks(
    target: str, scaffolded: Callable[..., Path], with_checkov: str
) -> None:
    require("nginx")
    require("hadolint")
    out = scaffolded(target, host_name="api.example.com")
    done = run_cli("validate", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in done.stdout.split()
    assert "not run" not in done.stdout, "every checker must really run"
    if target in {"docker", "kubernetes"}:
        assert "skipped: The base image comes from the BASE_IMAGE build argument" in done.stdout


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(src, dst)
    return dst


def test_invalid_kubernetes_field_and_failed_checkov_check_are_errors(
    scaffolded: Callable[..., Path], tmp_path: Path, with_checkov: str
) -> None:
    edits = {
        "readOnlyRootFilesystem: true": "readOnlyRootFilesystem: false",
        "revisionHistoryLimit: 5": "revisionHistoryLimit: five",
    }
    out = edited_copy(scaffolded("kubernetes"), tmp_path, "k8s/deployment.yaml", edits)
    done = run_cli("validate", str(out))
    assert done.returncode == 1
    assert "kubernetes-schema  k8s/deployment.yaml: spec.revisionHistoryLimit:" in done.stdout
    assert "checkov CKV_K8S_22" in done.stdout
    assert (
        "info    lock               k8s/deployment.yaml: edited since scaffold wrote it"
        in done.stdout
    )
    assert done.stderr.startswith("Error: ")


@pytest.mark.nginx
def test_broken_nginx_site_fails_nginx_t(
    scaffolded: Callable[..., Path], tmp_path: Path, with_checkov: str
) -> None:
    require("nginx")
    out = edited_copy(
        scaffolded("vps"),
        tmp_path,
        "deploy/nginx/model.conf",
        {"proxy_read_timeout": "proxy_read_timout"},
    )
    done = run_cli("validate", str(out))
    assert done.returncode == 1
    assert (
        'error   nginx -t           deploy/nginx/model.conf: unknown directive "proxy_read_timout"'
        " at line 36\n"
    ) in done.stdout


def test_heroku_shapes_are_checked(scaffolded: Callable[..., Path], tmp_path: Path) -> None:
    out = _copy(scaffolded("heroku"), tmp_path)
    (out / "Procfile").write_text("web: gunicorn app:app --bind 127.0.0.1:8000\n")
    app_json = json.loads((out / "app.json").read_text())
    app_json["formation"]["web"]["size"] = "huge-9x"
    (out / "app.json").write_text(json.dumps(app_json))
    done = run_cli("validate", str(out))
    assert done.returncode == 1
    assert "procfile           Procfile: the web process must bind 0.0.0.0:$PORT" in done.stdout
    assert "formation.web.size 'huge-9x' is not a dyno type" in done.stdout


def test_dockerfile_lint_reports_hadolint_findings(
    scaffolded: Callable[..., Path], tmp_path: Path, with_checkov: str
) -> None:
    require("hadolint")
    out = edited_copy(scaffolded("docker"), tmp_path, "Dockerfile", {"WORKDIR /app": "RUN cd /app"})
    done = run_cli("validate", str(out))
    assert "hadolint DL3003" in done.stdout


def test_validate_rejects_a_missing_directory(tmp_path: Path) -> None:
    done = run_cli("validate", str(tmp_path / "nope"))
    assert done.returncode == 2
    assert done.stderr.startswith("Error: ") and "is not a directory" in done.stderr


def test_a_folder_that_is_not_a_scaffold_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "model.joblib").write_bytes(b"not really a model")
    (tmp_path / "notes.md").write_text("# models\n")
    done = run_cli("validate", str(tmp_path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"Error: '{tmp_path}' is not a scaffold: it has no deploy-advisor.lock.json and no target "
        "files (Dockerfile, k8s/, Procfile, deploy/, edge_runtime/); pass a directory written by "
        "`deploy-advisor scaffold`\n"
    )


def test_a_misspelt_systemd_key_fails(scaffolded: Callable[..., Path], tmp_path: Path) -> None:
    require("systemd-analyze")
    out = edited_copy(
        scaffolded("vps"), tmp_path, "deploy/systemd/model.service", {"ExecStart=": "ExecStrat="}
    )
    unit = out / "deploy" / "systemd" / "model.service"
    done = run_cli("validate", str(out))
    assert done.returncode == 1
    line = next(ln for ln in unit.read_text().splitlines() if ln.startswith("ExecStrat="))
    number = unit.read_text().splitlines().index(line) + 1
    assert (
        f"error   systemd            deploy/systemd/model.service: line {number}: Unknown key "
        "'ExecStrat' in section [Service]\n"
    ) in done.stdout


@pytest.mark.parametrize("mode", ["realtime", "batch"])
def test_generated_systemd_units_pass_both_checks(
    mode: str, scaffolded: Callable[..., Path]
) -> None:
    require("systemd-analyze")
    out = scaffolded("vps", mode=mode)
    units = sorted((out / "deploy" / "systemd").iterdir())
    assert units
    assert check_systemd_units(out, units) == []
    for unit in units:
        assert check_unit_keys(unit, unit.name) == [], unit.name


def test_key_check_without_systemd_analyze_catches_typos(tmp_path: Path) -> None:
    unit = tmp_path / "app.service"
    unit.write_text(
        "[Unit]\nDescription=x\n\n[Service]\nExecStrat=/bin/true\nRestart=always\n"
        "[Instal]\nWantedBy=multi-user.target\n"
    )
    assert [f.message for f in check_unit_keys(unit, "app.service")] == [
        "line 5: unknown key 'ExecStrat' in [Service]",
        "line 7: unknown section [Instal]",
        "the service has no ExecStart=",
    ]


def test_a_timer_must_start_a_unit_of_the_scaffold(
    scaffolded: Callable[..., Path], tmp_path: Path
) -> None:
    out = edited_copy(
        scaffolded("vps", mode="batch"),
        tmp_path,
        "deploy/systemd/model-score.timer",
        {"Unit=model-score.service": "Unit=modl.service"},
    )
    units = sorted((out / "deploy" / "systemd").iterdir())
    assert [f.line() for f in check_systemd_units(out, units)] == [
        "error   systemd            deploy/systemd/model-score.timer: starts modl.service, which "
        "is not in deploy/systemd/"
    ]
