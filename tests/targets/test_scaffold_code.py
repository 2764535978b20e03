"""scaffold --code: the user's module the model imports is copied, on the import path, served."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import httpx
import numpy as np

from deploy_advisor.targets.code import code_on_path
from deploy_advisor.targets.scaffold import scaffold
from tests.targets.conftest import free_port, run_cli
from tests.targets.serving import running, wait_for
from tests.targets.test_pinning import train_with_own_module, write_own_module


def test_without_code_the_error_names_the_module_and_the_flag(tmp_path: Path) -> None:
    write_own_module(tmp_path)
    model = train_with_own_module(tmp_path)
    done = run_cli(
        "scaffold", "--model", str(model), "--target", "docker", "-o", str(tmp_path / "o")
    )
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "'churn_features'" in errors[0] and "--code" in errors[0]
    assert not (tmp_path / "o").exists()


def test_every_target_puts_the_code_on_the_import_path(tmp_path: Path) -> None:
    module = write_own_module(tmp_path)
    model = train_with_own_module(tmp_path)
    docker = tmp_path / "docker"
    scaffold(model=model, target="docker", out_dir=docker, code=module)
    assert (docker / "code" / "churn_features.py").read_bytes() == module.read_bytes()
    dockerfile = (docker / "Dockerfile").read_text()
    assert "COPY code/ ./code/\nENV PYTHONPATH=/app/code\n" in dockerfile
    lock = json.loads((docker / "deploy-advisor.lock.json").read_text())
    assert lock["code"] == {"dir": "code", "on_import_path": True}
    assert "code/churn_features.py" in lock["files"]
    kube = tmp_path / "kube"
    scaffold(model=model, target="kubernetes", out_dir=kube, code=module)
    assert "  PYTHONPATH: /app/code\n" in (kube / "k8s" / "configmap.yaml").read_text()
    vps = tmp_path / "vps"
    scaffold(model=model, target="vps", out_dir=vps, code=module)
    unit = (vps / "deploy" / "systemd" / "model.service").read_text()
    assert "Environment=PYTHONPATH=/opt/model/current/code\n" in unit


def test_a_package_directory_is_copied_whole_and_served_by_the_procfile(tmp_path: Path) -> None:
    package = tmp_path / "src" / "churnlib"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    write_own_module(package)
    model = train_with_own_module(tmp_path / "src", module="churnlib.churn_features")
    out = tmp_path / "heroku"
    scaffold(model=model, target="heroku", out_dir=out, code=package)
    assert (out / "code" / "churnlib" / "churn_features.py").is_file()
    assert (out / "code" / "churnlib" / "__init__.py").is_file()
    honcho = str(Path(sys.executable).parent / "honcho")
    port = free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PORT", None)
    command = [honcho, "-f", str(out / "Procfile"), "-d", str(out), "start", "-p", str(port), "web"]
    rows = np.random.default_rng(1).normal(size=(5, 3))
    with running(command, log=tmp_path / "honcho.log", cwd=out, env=env) as proc:
        wait_for(f"http://127.0.0.1:{port}/readyz", proc=proc, timeout=90)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/predict", json={"instances": rows.tolist()}, timeout=10
        )
    assert answer.status_code == 200, answer.text
    import joblib

    with code_on_path(package):
        expected = joblib.load(model).predict_proba(rows)
    assert np.allclose(np.asarray(answer.json()["predictions"]), expected, atol=1e-6)
