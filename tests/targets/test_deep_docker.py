"""docker: a torch.export model's scaffold builds offline from the wheelhouse with the CPU torch
wheel (no CUDA libraries), runs, and answers as the program does here."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch

from deploy_advisor.targets.scaffold import scaffold
from tests.targets.serving import served_image, wait_for


@pytest.mark.docker
@pytest.mark.slow
def test_torch_image_builds_with_the_cpu_wheel_and_predicts(
    tmp_path: Path, docker_client: object
) -> None:
    import docker

    client: docker.DockerClient = docker_client  # type: ignore[assignment]
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).eval()
    batch = torch.export.Dim("batch", min=1, max=256)
    program = tmp_path / "net.pt2"
    torch.export.save(
        torch.export.export(net, (torch.randn(2, 4),), dynamic_shapes=({0: batch},)), program
    )
    out = tmp_path / "out"
    scaffold(model=program, target="docker", out_dir=out, wheelhouse=True)
    wheels = [w.name for w in (out / "wheels").glob("*.whl")]
    assert any(w.startswith("torch-") and "+cpu" in w for w in wheels), wheels
    assert not any(w.startswith("nvidia") for w in wheels), wheels
    with served_image(client, out, "wave2-dl17-deep") as (container, base_url):
        wait_for(f"{base_url}/readyz", timeout=120)
        body = json.loads((out / "samples" / "first.json").read_text())
        answer = httpx.post(f"{base_url}/predict", json=body, timeout=30.0)
        assert answer.status_code == 200, answer.text
        with torch.no_grad():
            want = net(torch.tensor(body["instances"], dtype=torch.float32)).numpy()
        np.testing.assert_allclose(np.array(answer.json()["predictions"]), want, atol=1e-5)
        cuda = container.exec_run(
            ["python", "-c", "import torch; print(torch.version.cuda)"]
        ).output.decode()
        assert cuda.strip().splitlines()[-1] == "None"
