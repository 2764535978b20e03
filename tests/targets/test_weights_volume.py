"""Issue 17 section 3: `scaffold --weights volume` keeps the model out of the image and mounts it
read-only (compose: ./model, kubernetes: a PersistentVolumeClaim); the lock keeps the choice,
`validate` checks the files against it, and targets that cannot mount a volume refuse it."""

from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy_advisor.lockfile import LOCK_NAME
from deploy_advisor.targets import get_target
from deploy_advisor.targets.scaffold import scaffold
from deploy_advisor.targets.validate import validate_dir
from deploy_advisor.targets.weights import claim_size_gi
from tests.conftest import BASE_IMAGE, require
from tests.targets.conftest import run_cli
from tests.targets.serving import assert_predicts, wait_for


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _weights_errors(out: Path) -> list[tuple[str, str]]:
    return [(f.check, f.file) for f in validate_dir(directory=out).errors]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def test_docker_volume_scaffold_mounts_the_model_and_validates(
    example_model: Path, tmp_path: Path, with_checkov: str
) -> None:
    out = tmp_path / "d"
    scaffold(model=example_model, target="docker", out_dir=out, weights="volume")
    dockerfile = (out / "Dockerfile").read_text()
    assert "COPY model/" not in dockerfile and "MODEL_PATH=/app/model/" in dockerfile
    assert "model/" in (out / ".dockerignore").read_text().splitlines()
    service = _yaml(out / "compose.yaml")["services"]["model"]
    assert service["volumes"] == ["./model:/app/model:ro"]
    assert (out / "model" / example_model.name).is_file()  # the bind mount's source
    assert json.loads((out / LOCK_NAME).read_text())["weights"] == "volume"
    assert "## Load the weights" in (out / "README.md").read_text()

    report = validate_dir(directory=out)
    assert report.ok, [f.line() for f in report.errors]
    assert {"hadolint", "checkov", "compose", "weights"} <= {c.name for c in report.checks}

    # A re-scaffold without --weights keeps the volume: nothing changes.
    again = scaffold(model=example_model, target="docker", out_dir=out)
    assert {a.action for a in again.actions} == {"identical"}

    _edit(out / "Dockerfile", "# No model in the image", "COPY model/ ./model/\n#")
    _edit(out / "compose.yaml", "./model:/app/model:ro", "./model:/app/model")
    assert _weights_errors(out) == [("weights", "Dockerfile"), ("weights", "compose.yaml")]


def test_image_scaffold_is_unchanged_and_records_no_weights(
    example_model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "d"
    scaffold(model=example_model, target="docker", out_dir=out)
    assert "COPY model/ ./model/" in (out / "Dockerfile").read_text()
    assert "weights" not in json.loads((out / LOCK_NAME).read_text())
    assert "volumes" not in _yaml(out / "compose.yaml")["services"]["model"]


def test_kubernetes_volume_scaffold_mounts_a_claim_and_validates(
    example_model: Path, tmp_path: Path, with_checkov: str
) -> None:
    out = tmp_path / "k"
    scaffold(model=example_model, target="kubernetes", out_dir=out, weights="volume")
    pod = _yaml(out / "k8s" / "deployment.yaml")["spec"]["template"]["spec"]
    mounts = pod["containers"][0]["volumeMounts"]
    assert {"name": "model", "mountPath": "/app/model", "readOnly": True} in mounts
    volume = next(v for v in pod["volumes"] if v["name"] == "model")
    assert volume["persistentVolumeClaim"] == {"claimName": "model-model", "readOnly": True}
    assert pod["containers"][0]["startupProbe"]["failureThreshold"] >= 5
    claim = _yaml(out / "k8s" / "pvc.yaml")
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert "storageClassName" not in claim["spec"]
    resources = _yaml(out / "k8s" / "kustomization.yaml")["resources"]
    assert "pvc.yaml" in resources and "load-weights.yaml" not in resources
    readme = (out / "README.md").read_text()
    assert "kubectl -n model cp model/. model-load-weights:/app/model/" in readme

    report = validate_dir(directory=out)
    assert report.ok, [f.line() for f in report.errors]
    assert {"kubernetes-schema", "checkov", "weights"} <= {c.name for c in report.checks}

    mount = "mountPath: /app/model\n              readOnly: "
    _edit(out / "k8s" / "deployment.yaml", f"{mount}true", f"{mount}false")
    _edit(out / "k8s" / "kustomization.yaml", "  - pvc.yaml\n", "")
    assert ("weights", "k8s/deployment.yaml") in _weights_errors(out)
    assert ("weights", "k8s/kustomization.yaml") in _weights_errors(out)


@pytest.mark.parametrize(("size_bytes", "gi"), [(1, 1), (2**29, 1), (2**29 + 1, 2), (3 * 2**30, 6)])
def test_the_claim_holds_the_model_twice_over(size_bytes: int, gi: int) -> None:
    assert claim_size_gi(size_bytes) == gi


@pytest.mark.parametrize("target", ["heroku", "vps", "sagemaker", "edge"])
def test_targets_without_a_volume_refuse_it(
    example_model: Path, tmp_path: Path, target: str
) -> None:
    done = run_cli(
        "scaffold", "--model", str(example_model), "-o", str(tmp_path / "o"), "--target", target,
        "--weights", "volume",
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"Error: --weights volume does not apply to --target {target}: it cannot mount the "
        "model from a volume; drop --weights, or pass --target docker or kubernetes\n"
    )
    assert not (tmp_path / "o").exists()


def test_an_unknown_weights_value_is_refused(example_model: Path, tmp_path: Path) -> None:
    done = run_cli(
        "scaffold", "--model", str(example_model), "-o", str(tmp_path / "o"), "--target", "docker",
        "--weights", "disk",
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (
        2, "Error: --weights 'disk' is unknown; use image or volume\n"
    )  # fmt: skip


@pytest.mark.docker
@pytest.mark.slow
def test_volume_image_predicts_with_the_model_bind_mounted_read_only(
    example_model: Path, tmp_path: Path, docker_client: object
) -> None:
    import docker

    client: docker.DockerClient = docker_client  # type: ignore[assignment]
    out = tmp_path / "d"
    scaffold(
        model=example_model, target="docker", out_dir=out, weights="volume", wheelhouse=True,
        base_image=BASE_IMAGE,
    )  # fmt: skip
    tag = f"da-weights-test:{uuid.uuid4().hex[:8]}"
    container = None
    try:
        client.images.build(path=str(out), tag=tag, rm=True, forcerm=True, network_mode="none")
        listing = client.containers.run(tag, ["ls", "-A", "/app"], remove=True).decode()
        assert "model" not in listing.split(), listing  # the image has no model
        container = client.containers.run(
            tag, detach=True, name=f"da-weights-{uuid.uuid4().hex[:8]}", read_only=True,
            tmpfs={"/tmp": ""}, ports={"8000/tcp": ("127.0.0.1", None)},
            volumes={str(out / "model"): {"bind": "/app/model", "mode": "ro"}},
        )  # fmt: skip
        container.reload()
        base_url = f"http://127.0.0.1:{container.ports['8000/tcp'][0]['HostPort']}"
        wait_for(f"{base_url}/readyz", timeout=90)
        assert_predicts(base_url, out)
    finally:
        if container is not None:
            container.remove(force=True)
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(tag, force=True)


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("target", ["docker", "kubernetes"])
def test_loadtest_launcher_binds_the_model_of_a_volume_scaffold(
    example_model: Path, tmp_path: Path, docker_client: object, target: str
) -> None:
    require("nginx")
    out = tmp_path / target
    scaffold(
        model=example_model, target=target, out_dir=out, weights="volume", wheelhouse=True,
        base_image=BASE_IMAGE,
    )  # fmt: skip
    with get_target(target).launch(out, plan=None, base_image=BASE_IMAGE) as launched:
        assert launched.start_to_ready_s is not None
        assert_predicts(launched.base_url, out)
