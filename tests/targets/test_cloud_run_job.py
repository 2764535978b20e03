"""cloud-run --mode batch: a Cloud Run job that validates, and whose image scores as it runs."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import BASE_IMAGE
from tests.targets.conftest import run_cli
from tests.targets.serving import built_image


def test_job_validates_and_a_broken_job_is_caught(
    scaffolded: Callable[..., Path],
    tmp_path: Path,
    cloud_validators: None,  # noqa: F811
) -> None:
    out = scaffolded("cloud-run", mode="batch")
    done = run_cli("validate", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in done.stdout.split() and "not run" not in done.stdout
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    job = broken / "cloud-run" / "job.yaml"
    text = job.read_text().replace("maxRetries: 3", "maxRetries: 3\n          restartPolicy: Never")
    job.write_text(text.replace("memory: 2Gi", "memory: 12Gi"))
    done = run_cli("validate", str(broken))
    assert done.returncode == 1
    assert "'restartPolicy' was unexpected" in done.stdout
    job.write_text(job.read_text().replace("          restartPolicy: Never\n", ""))
    done = run_cli("validate", str(broken))
    assert done.returncode == 1 and "memory 12Gi needs more than 1 CPU" in done.stdout


@pytest.mark.docker
@pytest.mark.slow
def test_job_image_scores_into_one_directory_per_execution(
    scaffolded: Callable[..., Path], docker_client: object, tmp_path: Path
) -> None:
    """The job's own command and environment, with the bucket replaced by a local directory."""
    import docker

    client: docker.DockerClient = docker_client  # type: ignore[assignment]
    out = scaffolded("cloud-run", mode="batch", wheelhouse=True, base_image=BASE_IMAGE)
    container_spec = yaml.safe_load((out / "cloud-run" / "job.yaml").read_text())["spec"][
        "template"
    ]["spec"]["template"]["spec"]["containers"][0]
    n_features = json.loads((out / "deploy-advisor.lock.json").read_text())["model"]["n_features"]
    data = tmp_path / "data"
    (data / "input").mkdir(parents=True)
    (data / "output").mkdir()
    data.chmod(0o777)
    (data / "output").chmod(0o777)
    with (data / "input" / "rows.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"f{i}" for i in range(n_features)])
        for row in range(25):
            writer.writerow([(row * 7 + i) % 11 / 10 for i in range(n_features)])
    env = {e["name"]: e["value"] for e in container_spec["env"]}
    env["CLOUD_RUN_EXECUTION"] = "score-abc12"
    with built_image(client, out, "wave2-cloud16-job") as tag:
        logs = client.containers.run(
            tag, entrypoint=container_spec["command"], command=container_spec["args"],
            environment=env, volumes={str(data): {"bind": "/data", "mode": "rw"}},
            network_mode="none", remove=True, stderr=True,
        )  # fmt: skip
        result = data / "output" / "score-abc12"
        summary = json.loads((result / "_summary.json").read_text())
        assert summary["rows_scored"] == 25, logs
        assert sorted(p.name for p in result.glob("part-*.csv")) == ["part-00000.csv"]
