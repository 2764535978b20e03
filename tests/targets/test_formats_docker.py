"""Every tabular format through a real image: built offline from the wheelhouse on the local base
image, run, and answering what the framework itself predicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy_advisor.targets.scaffold import scaffold
from tests.conftest import BASE_IMAGE
from tests.targets.formats import IMAGE_FORMATS, assert_serves, make_case
from tests.targets.serving import served_image, wait_for


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("name", IMAGE_FORMATS)
def test_image_of_each_format_builds_offline_and_predicts_like_the_framework(
    name: str, tmp_path: Path, docker_client: object
) -> None:
    import docker

    client: docker.DockerClient = docker_client  # type: ignore[assignment]
    case = make_case(name, tmp_path / "model")
    out = tmp_path / "scaffold"
    scaffold(model=case.model, target="docker", out_dir=out, wheelhouse=True, base_image=BASE_IMAGE)
    requirements = (out / "requirements.txt").read_text()
    framework = {
        "xgboost": "xgboost-cpu==", "lightgbm": "lightgbm==", "churn": "pandas==",
        "catboost": "catboost==", "skops": "skops==",
    }  # fmt: skip
    assert framework[name.split("-")[0]] in requirements, requirements
    with served_image(client, out, "da-formats") as (container, base_url):
        try:
            wait_for(f"{base_url}/readyz", timeout=120)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{container.logs().decode()[-2000:]}") from None
        assert_serves(base_url, case)
