"""`scaffold --mode batch` for text and image models: chunks of items, the text column passed
to the scorer by every target, and the scaffold's own scorer run with the rendered settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deploy_advisor.targets.scaffold import scaffold
from deploy_advisor.targets.validate import validate_dir
from tests.deep_models import HF, TEXTS, build_hf

PLANS = {"docker": None, "kubernetes": "lke-linode-2gb", "vps": None, "heroku": None}


@pytest.fixture(scope="module")
def hf(tmp_path_factory: pytest.TempPathFactory) -> HF:
    return build_hf(tmp_path_factory.mktemp("hf"))


def _settings(out: Path, target: str) -> dict[str, str]:
    """The scorer's environment as each target's job file sets it."""
    if target == "docker":
        compose = yaml.safe_load((out / "compose.yaml").read_text())
        env: dict[str, str] = compose["services"]["score"]["environment"]
        dockerfile = (out / "Dockerfile").read_text()
        for name, value in env.items():
            assert f"{name}={value}" in dockerfile
        return env
    if target == "kubernetes":
        cron = yaml.safe_load((out / "k8s" / "cronjob.yaml").read_text())
        pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        return {e["name"]: e["value"] for e in pod["containers"][0]["env"] if "value" in e}
    if target == "vps":
        [unit] = (out / "deploy" / "systemd").glob("*-score.service")
        lines = unit.read_text().splitlines()
        pairs = [line.removeprefix("Environment=") for line in lines if line.startswith("Env")]
        return dict(p.split("=", 1) for p in pairs if "=" in p)
    app = json.loads((out / "app.json").read_text())
    return {name: spec["value"] for name, spec in app["env"].items() if "value" in spec}


@pytest.mark.parametrize("target", ["docker", "kubernetes", "vps", "heroku"])
def test_text_model_jobs_pass_the_text_column(hf: HF, target: str, tmp_path: Path) -> None:
    out = tmp_path / target
    scaffold(model=hf.text, target=target, out_dir=out, mode="batch", plan=PLANS[target])

    settings = _settings(out, target)
    assert (settings["CHUNK_ROWS"], settings["TEXT_COLUMN"]) == ("1000", "text")
    report = validate_dir(directory=out)
    assert report.errors == [], [f.line() for f in report.errors]
    readme = (out / "README.md").read_text()
    assert "the `text` column\n(`TEXT_COLUMN`, `--text-column`) of CSV or Parquet files" in readme
    assert "in chunks of 1000, scored in batches padded to the" in readme


def test_image_model_job_has_no_text_column(hf: HF, tmp_path: Path) -> None:
    scaffold(model=hf.image, target="docker", out_dir=tmp_path, mode="batch")

    assert _settings(tmp_path, "docker") == {"CHUNK_ROWS": "1000"}
    readme = (tmp_path / "README.md").read_text()
    assert "images, a folder of image files (each one's id its relative path)" in readme


def test_scaffolded_scorer_reads_the_rendered_text_column(hf: HF, tmp_path: Path) -> None:
    out = tmp_path / "job"
    scaffold(model=hf.text, target="docker", out_dir=out, mode="batch")
    source = tmp_path / "in.csv"
    source.write_text("text\n" + "\n".join(TEXTS) + "\n", encoding="utf-8")

    env = {
        **os.environ,
        **_settings(out, "docker"),
        "PYTHONPATH": str(out),
        "MODEL_PATH": str(out / "model" / "text"),
        "SCORE_INPUT": str(source),
        "SCORE_OUTPUT": str(tmp_path / "scored"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "model_server.score", "--no-progress"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows_scored"] == len(TEXTS)
    header = (tmp_path / "scored" / "part-00000.csv").read_text().splitlines()[0]
    assert header == '"row","label","proba_neg","proba_neu","proba_pos"'
