"""Batch: every scheduled run scores new input into its own output, and an interrupted one resumes.

The VPS unit's command and the CronJob's environment are run here with the scaffold's own copy of
the scorer, the VM's and the pod's paths mapped onto temporary directories. The VPS user and
directories are made by the real systemd-sysusers and systemd-tmpfiles in a temporary root.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.conftest import require
from tests.targets.scripts import fake_date, readme_block

BATCH_TARGETS = ("docker", "kubernetes", "vps", "heroku")
PLANS = {"kubernetes": "lke-linode-2gb"}


def _csv(path: Path, n: int, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = np.random.default_rng(seed).normal(10, 3, (n, 30))
    text = ",".join(f"f{i}" for i in range(30)) + "\n"
    path.write_text(text + "".join(",".join(f"{v:.4f}" for v in r) + "\n" for r in rows))
    return path


def _summary(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _interrupt(output: Path) -> None:
    """What a kill during the last chunk leaves: every chunk but the last one done."""
    last = sorted((output / "_chunks").glob("[0-9]*.json"))[-1]
    (output / json.loads(last.read_text())["part"]).unlink()
    last.unlink()


def _systemd_exec(unit: str) -> list[str]:
    """ExecStart as systemd runs it: `$$` is a literal `$` and `%%` a literal `%`."""
    line = re.search(r"^ExecStart=(.*)$", unit, flags=re.MULTILINE)
    assert line is not None
    return [word.replace("$$", "$").replace("%%", "%") for word in shlex.split(line.group(1))]


def test_vps_timer_runs_score_each_day_into_its_own_directory_and_resume(
    scaffolded: Callable[..., Path], tmp_path: Path
) -> None:
    out = scaffolded("vps", mode="batch")
    unit_path = out / "deploy" / "systemd" / "model-score.service"
    verify = subprocess.run(
        [require("systemd-analyze"), "verify", "--man=no", str(unit_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr
    unit = unit_path.read_text()
    env = dict(re.findall(r"^Environment=(\w+)=(.*)$", unit, flags=re.MULTILINE))
    data = tmp_path / "var-lib-model"

    def on_this_machine(text: str) -> str:
        text = text.replace("/opt/model/current/venv/bin/python", sys.executable)
        return text.replace("/opt/model/current", str(out)).replace("/var/lib/model", str(data))

    command = [on_this_machine(word) for word in _systemd_exec(unit)]
    assert command[:2] == ["/bin/sh", "-c"]
    fake_date(tmp_path / "bin")
    base_env = {k: on_this_machine(v) for k, v in env.items()}
    base_env |= {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "CHUNK_ROWS": "100"}

    def run(day: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, cwd=out, env={**base_env, "FAKE_DATE": day}, capture_output=True,
            text=True, timeout=300, check=False,
        )  # fmt: skip

    _csv(data / "input" / "scores.csv", 250, seed=1)
    assert _summary(run("2030-01-01"))["rows_scored"] == 250
    _csv(data / "input" / "scores.csv", 300, seed=2)  # the next day's file
    assert _summary(run("2030-01-02"))["rows_scored"] == 300
    _interrupt(data / "output" / "2030-01-02")
    resumed = _summary(run("2030-01-02"))
    assert (resumed["rows_scored"], resumed["rows_scored_this_run"]) == (300, 100)
    assert resumed["chunks_skipped"] == 2
    assert sorted(p.name for p in (data / "output").iterdir()) == ["2030-01-01", "2030-01-02"]


def test_kubernetes_each_job_writes_its_own_output_and_its_retries_resume(
    scaffolded: Callable[..., Path], tmp_path: Path
) -> None:
    out = scaffolded("kubernetes", mode="batch", plan="lke-linode-2gb")
    cron = yaml.safe_load((out / "k8s" / "cronjob.yaml").read_text())
    once = yaml.safe_load((out / "k8s" / "job.yaml").read_text())
    assert "name" not in once["metadata"], "each create must make a new Job"
    assert once["metadata"]["generateName"] == "model-score-once-"
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod == once["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env_list = container["env"]
    names = [e["name"] for e in env_list]
    job_name = env_list[names.index("JOB_NAME")]
    assert job_name["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['job-name']"
    assert names.index("JOB_NAME") < names.index("SCORE_OUTPUT"), "$(JOB_NAME) must come first"
    data = tmp_path / "pvc"

    def pod_run(job: str) -> subprocess.CompletedProcess[str]:
        """The container as the kubelet starts it for a pod of Job `job` (labels job-name=job)."""
        env = {"JOB_NAME": job, "MODEL_PATH": "model/model.joblib"}
        for item in env_list:
            if "value" in item:
                value = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], item["value"])
                env[item["name"]] = value.replace("/data", str(data))
        env["CHUNK_ROWS"] = "100"  # several chunks, so a retry has some to skip
        return subprocess.run(
            [sys.executable, *container["args"][1:]], cwd=out,
            env={**env, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=300,
            check=False,
        )  # fmt: skip

    _csv(data / "input" / "a.csv", 250, seed=3)
    assert _summary(pod_run("model-score-29000000"))["rows_scored"] == 250
    _csv(data / "input" / "a.csv", 220, seed=4)
    assert _summary(pod_run("model-score-29001440"))["rows_scored"] == 220
    _interrupt(data / "output" / "model-score-29001440")
    retry = _summary(pod_run("model-score-29001440"))  # the Job's next pod: same name
    assert (retry["rows_scored"], retry["rows_scored_this_run"]) == (220, 20)


def test_vps_setup_makes_the_user_and_directories_the_unit_needs(
    scaffolded: Callable[..., Path], tmp_path: Path
) -> None:
    out = scaffolded("vps", mode="batch")
    root = tmp_path / "vm"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc" / "group").write_text("root:x:0:\n")
    deploy = readme_block(out, "Deploy")
    for kind, tool, args in (
        ("sysusers.d", "systemd-sysusers", []), ("tmpfiles.d", "systemd-tmpfiles", ["--create"])
    ):  # fmt: skip
        # The README's two steps: copy the file into /etc/<kind>/, then apply it by name.
        assert f"sudo cp deploy/{kind}/model.conf /etc/{kind}/" in deploy
        assert f"sudo {tool} {' '.join([*args, 'model.conf']).strip()}" in deploy
        (root / "etc" / kind).mkdir()
        shutil.copy(out / "deploy" / kind / "model.conf", root / "etc" / kind)
        done = subprocess.run(
            [require(tool), f"--root={root}", *args, "model.conf"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    passwd = (root / "etc" / "passwd").read_text().splitlines()
    users = {line.split(":")[0]: line.split(":") for line in passwd}
    unit = (out / "deploy" / "systemd" / "model-score.service").read_text()
    user = re.search(r"^User=(.*)$", unit, flags=re.MULTILINE).group(1)  # type: ignore[union-attr]
    assert user in users and users[user][6] == "/usr/sbin/nologin"
    uid = int(users[user][2])
    for key in ("ReadWritePaths", "Environment=SCORE_INPUT", "Environment=SCORE_OUTPUT"):
        path = re.search(rf"^{key}=(.*)$", unit, flags=re.MULTILINE).group(1)  # type: ignore[union-attr]
        folder = root / path.lstrip("/")
        assert folder.is_dir(), f"{key}={path} is missing after setup"
        assert folder.stat().st_uid == uid


@pytest.mark.parametrize("target", BATCH_TARGETS)
def test_batch_readme_title_and_files_are_the_ones_written(
    target: str, scaffolded: Callable[..., Path]
) -> None:
    out = scaffolded(target, mode="batch", **({"plan": PLANS[target]} if target in PLANS else {}))
    readme = (out / "README.md").read_text()
    title = readme.splitlines()[0]

    assert not (out / "locustfile.py").exists() and not (out / "samples").exists()
    assert "locustfile" not in readme and "samples/" not in readme
    lock = json.loads((out / "deploy-advisor.lock.json").read_text())
    assert not [p for p in lock["files"] if p.startswith("samples/") or p == "locustfile.py"]
    for word in ("nginx", "cloud-init", "Procfile"):
        assert word not in title, f"{title!r} names {word}, which this scaffold does not write"
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    for listed in re.findall(r"^\| `([^`]+)` \|", readme, flags=re.MULTILINE):
        pattern = listed.replace("*", "[^/]*") + (".*" if listed.endswith("/") else "")
        assert any(re.fullmatch(pattern, p) for p in written), f"README lists {listed}"
    if target == "vps":
        assert title == "# model: batch scoring on a VPS (systemd timer)"
        assert {"deploy/sysusers.d/model.conf", "deploy/tmpfiles.d/model.conf"} <= written
