"""Scaffolds of deep-learning models: CPU-only torch pins, the wheelhouse's CPU wheel, and
Heroku's preflight on a torch model (the slug limit, with numbers) and its container path
(heroku.yml, the Dockerfile, the README's commands)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import torch
import yaml

from deploy_advisor.targets.scaffold import scaffold
from deploy_advisor.targets.validate import validate_dir
from deploy_advisor.targets.wheelhouse import _cpu_torch
from tests.targets.conftest import run_cli


def test_docker_scaffold_pins_cpu_torch_without_an_index_option(
    program: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    scaffold(model=program, target="docker", out_dir=out)
    requirements = (out / "requirements.txt").read_text()
    pins = [line.split("  #")[0] for line in requirements.splitlines() if "==" in line]
    assert f"torch=={torch.__version__.split('+')[0]}" in pins
    assert "scikit-learn" not in requirements and "--extra-index-url" not in requirements
    assert "https://download.pytorch.org/whl/cpu" in requirements  # says how to get the CPU wheel
    dockerfile = (out / "Dockerfile").read_text()  # a build from an index gets torch==X+cpu
    assert "pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu" in (
        dockerfile
    )
    first = (out / "samples" / "first.json").read_text()
    assert '"instances"' in first
    assert (out / "model" / "net.pt2").is_file()


def test_wheelhouse_takes_this_machines_cpu_wheel() -> None:
    assert torch.version.cuda is None, "make venv installs the CPU build of torch"
    wanted, options = _cpu_torch("numpy==2.0\ntorch==2.13.0  # cpu\n")
    if options[0] == "--extra-index-url":
        assert options[1] == "https://download.pytorch.org/whl/cpu"
    else:
        assert f"torch=={torch.__version__} " in wanted and torch.__version__.endswith("+cpu")
        assert all(o.startswith("--find-links=") for o in options)
        assert any(
            Path(o.split("=", 1)[1]).glob(f"torch-{torch.__version__}-*.whl") for o in options
        )
    assert _cpu_torch("numpy==2.0\n") == ("numpy==2.0\n", [])


def test_heroku_takes_the_container_path_for_torch_and_says_why(
    program: Path, tmp_path: Path, with_checkov: str
) -> None:
    out = tmp_path / "h"
    done = run_cli("scaffold", "--model", str(program), "-o", str(out), "--target", "heroku",
                   "--strict")  # fmt: skip
    assert done.returncode == 0, done.stderr  # the slug limit no longer applies: not refused
    said = " ".join(done.stderr.split())
    slug = re.search(r"a slug would be about (\d+) MB \(torch (\d+) MB, model 0 MB, Python 60 MB\)",
                     said)  # fmt: skip
    assert slug is not None, said
    assert int(slug.group(1)) > 500 and int(slug.group(2)) > 400
    assert (
        "over Heroku's 500 MB limit: a torch-export model will not fit; this scaffold takes "
        "Heroku's container path, which has no slug limit" in said
    )

    heroku_yml = yaml.safe_load((out / "heroku.yml").read_text())
    assert heroku_yml["build"] == {"docker": {"web": "Dockerfile"}}
    procfile = (out / "Procfile").read_text()
    assert heroku_yml["run"]["web"] == procfile.removeprefix("web: ").strip()
    assert "--bind 0.0.0.0:$PORT " in heroku_yml["run"]["web"]
    app = json.loads((out / "app.json").read_text())
    assert app["stack"] == "container" and "buildpacks" not in app
    assert not (out / ".python-version").exists()
    dockerfile = (out / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=python:3.11-slim\n" in dockerfile
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in dockerfile
    readme = (out / "README.md").read_text()
    for command in (
        "heroku stack:set container\n",
        "git push heroku HEAD:main\n",
        "heroku container:push web && heroku container:release web\n",
    ):
        assert command in readme
    report = validate_dir(directory=out)
    assert report.ok, [f.line() for f in report.errors]
    assert {"procfile", "app.json", "hadolint", "checkov"} <= {c.name for c in report.checks}


def test_transformers_directory_scaffold_serves_from_its_own_runtime(tmp_path: Path) -> None:
    import sys

    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    from tests.runtime.conftest import start_server

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(
        ["good film", "bad film", "a fine day"],
        trainers.WordLevelTrainer(special_tokens=["[PAD]", "[UNK]"]),
    )
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", model_max_length=16
    )
    cfg = transformers.DistilBertConfig(
        vocab_size=len(fast), dim=16, n_layers=1, n_heads=2, hidden_dim=32,
        max_position_embeddings=16, id2label={0: "bad", 1: "good"},
        label2id={"bad": 0, "good": 1},
    )  # fmt: skip
    torch.manual_seed(0)
    model = transformers.DistilBertForSequenceClassification(cfg).eval()
    model.save_pretrained(tmp_path / "sentiment")
    fast.save_pretrained(tmp_path / "sentiment")
    out = tmp_path / "out"
    scaffold(model=tmp_path / "sentiment", target="docker", out_dir=out)
    assert (out / "model" / "sentiment" / "model.safetensors").is_file()
    assert (out / "model" / "sentiment" / "tokenizer.json").is_file()
    requirements = (out / "requirements.txt").read_text()
    assert "transformers==" in requirements and "torch==" in requirements
    with torch.no_grad():
        want = model(**fast(["good film"], return_tensors="pt")).logits.softmax(-1)[0].numpy()
    argv = [sys.executable, "-m", "model_server", "serve", "--model", str(out), "--port", "0"]
    env = {**os.environ, "PYTHONPATH": str(out)}
    with start_server(tmp_path, argv, env) as srv, srv.client() as c:
        r = c.post("/predict", json={"instances": ["good film"]})
    assert r.status_code == 200, r.text
    assert r.json()["classes"] == ["bad", "good"]
    assert abs(r.json()["predictions"][0]["scores"][1] - float(want[1])) < 1e-5
