"""`scaffold --mode batch`: each target's way to run the scorer, checked and run for real."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deploy_advisor.targets.scaffold import scaffold
from deploy_advisor.targets.validate import validate_dir

from .conftest import feature_rows, write_csv

# Named plans: resolving the kubernetes default plan from the merged catalog fails (see report).
PLANS = {"docker": None, "kubernetes": "lke-linode-2gb", "vps": None, "heroku": None}


@pytest.mark.parametrize("target", ["docker", "kubernetes", "vps", "heroku"])
def test_batch_scaffold_validates(target: str, model_path: Path, tmp_path: Path) -> None:
    out = tmp_path / target

    result = scaffold(
        model=model_path, target=target, out_dir=out, mode="batch", plan=PLANS[target]
    )

    assert {a.action for a in result.actions} == {"create"}
    report = validate_dir(directory=out)
    assert report.errors == [], [f.line() for f in report.errors]
    assert "pyarrow==" in (out / "requirements.txt").read_text()
    readme = (out / "README.md").read_text()
    assert "python -m model_server.score" in readme and "/predict" not in readme


def test_docker_image_command_runs_the_scorer(model_path: Path, tmp_path: Path) -> None:
    scaffold(model=model_path, target="docker", out_dir=tmp_path, mode="batch")

    dockerfile = (tmp_path / "Dockerfile").read_text()
    assert 'CMD ["python", "-m", "model_server.score", "--no-progress"]' in dockerfile
    assert "SCORE_INPUT=/data/input" in dockerfile and "HEALTHCHECK" not in dockerfile
    service = yaml.safe_load((tmp_path / "compose.yaml").read_text())["services"]["score"]
    assert service["restart"] == "no"
    assert service["volumes"] == ["./data:/data"]


def test_kubernetes_cronjob_and_job_forbid_overlap_retry_and_limit(
    model_path: Path, tmp_path: Path
) -> None:
    scaffold(
        model=model_path, target="kubernetes", out_dir=tmp_path, mode="batch", plan="lke-linode-2gb"
    )

    cron = yaml.safe_load((tmp_path / "k8s" / "cronjob.yaml").read_text())
    job = yaml.safe_load((tmp_path / "k8s" / "job.yaml").read_text())
    assert cron["kind"] == "CronJob" and job["kind"] == "Job"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert cron["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 3
    assert job["spec"]["backoffLimit"] == 3 and job["spec"]["parallelism"] == 1
    for pod in (cron["spec"]["jobTemplate"]["spec"]["template"], job["spec"]["template"]):
        container = pod["spec"]["containers"][0]
        assert container["args"] == ["python", "-m", "model_server.score", "--no-progress"]
        assert set(container["resources"]["limits"]) == {"cpu", "memory"}
        assert pod["spec"]["restartPolicy"] == "Never"
    kustomization = yaml.safe_load((tmp_path / "k8s" / "kustomization.yaml").read_text())
    assert kustomization["resources"] == [
        "namespace.yaml",
        "pvc.yaml",
        "networkpolicy.yaml",
        "cronjob.yaml",
    ]


def test_vps_service_and_timer_and_heroku_scheduler(model_path: Path, tmp_path: Path) -> None:
    scaffold(model=model_path, target="vps", out_dir=tmp_path / "vps", mode="batch")
    scaffold(model=model_path, target="heroku", out_dir=tmp_path / "heroku", mode="batch")

    units = tmp_path / "vps" / "deploy" / "systemd"
    service = (units / "model-score.service").read_text()
    timer = (units / "model-score.timer").read_text()
    assert "Type=oneshot" in service and "-m model_server.score" in service
    assert "MemoryMax=" in service and "CPUQuota=" in service
    assert "OnCalendar=*-*-* 02:00:00" in timer and "Unit=model-score.service" in timer
    verify = subprocess.run(
        [_tool("systemd-analyze"), "verify", "--man=no", str(units / "model-score.timer")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Unknown key" not in verify.stderr and "Unknown section" not in verify.stderr
    scheduler = (tmp_path / "heroku" / "scheduler.txt").read_text()
    assert scheduler.splitlines()[1].startswith("python -m model_server.score")
    assert "ephemeral" in scheduler and "24 h" in scheduler


def test_the_scaffolds_copy_of_the_scorer_runs_on_its_own(model_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "scaffold"
    scaffold(model=model_path, target="docker", out_dir=out, mode="batch")
    write_csv(tmp_path / "in.csv", feature_rows(300))

    done = subprocess.run(
        [sys.executable, "-m", "model_server.score", "--input", str(tmp_path / "in.csv"),
         "--output", str(tmp_path / "out"), "--id-column", "id", "--no-progress"],
        cwd=out, env={"MODEL_PATH": "model/model.joblib", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "scored 300 rows, rejected 0" in done.stderr
    assert (tmp_path / "out" / "part-00000.csv").read_text().count("\n") == 301


def _tool(name: str) -> str:
    """A real tool the test needs; missing is a failure, never a skip."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; apt-get install systemd")
    return path
