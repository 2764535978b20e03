"""docker: the README's compose steps run as written on the real engine (Compose v1 stands in
for `docker compose`), with the image built offline on the local base image beforehand.

Realtime: Deploy and Roll back switch the running container between image tags through .env (the
registry push and pull are left out: there is no registry here). Batch: Run, as a user who is
not root, scores each day's input into its own output directory and resumes a rerun.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from deploy_advisor.targets.scaffold import scaffold
from tests.conftest import BASE_IMAGE, require
from tests.targets.conftest import free_port
from tests.targets.scripts import NAME_PREFIX, fake_date, fake_tool, readme_block

USER = 4242  # a user who is neither root nor the image's uid 10001


def _docker_bin(bin_dir: Path) -> None:
    """`docker compose ...` runs Compose v1 (no plugin installed here); the rest is docker."""
    compose, docker = require("docker-compose"), require("docker")
    fake_tool(
        bin_dir, "docker",
        f'if [[ "${{1:-}}" == compose ]]; then shift; exec {compose} "$@"; fi\nexec {docker} "$@"',
    )  # fmt: skip


def _default_image(out: Path, service: str) -> str:
    image = yaml.safe_load((out / "compose.yaml").read_text())["services"][service]["image"]
    assert image.startswith("${IMAGE:-") and image.endswith("}"), image
    return str(image[len("${IMAGE:-") : -1])


def _build(client: object, out: Path, tag: str) -> None:
    client.images.build(  # type: ignore[attr-defined]
        path=str(out), tag=tag, buildargs={"BASE_IMAGE": BASE_IMAGE}, rm=True, forcerm=True,
        network_mode="none",
    )  # fmt: skip


@contextlib.contextmanager
def _cleanup(client: object, project: str, out: Path, env: dict[str, str]) -> Iterator[list[str]]:
    """Yields a list to put image tags in; removes them and the compose project at the end."""
    import docker

    tags: list[str] = []
    try:
        yield tags
    finally:
        subprocess.run(
            [require("docker-compose"), "down", "--remove-orphans"], cwd=out,
            env={**env, "COMPOSE_PROJECT_NAME": project}, capture_output=True, check=False,
        )  # fmt: skip
        for tag in tags:
            with contextlib.suppress(docker.errors.ImageNotFound):
                client.images.remove(tag, force=True)  # type: ignore[attr-defined]


def _bash(script: str, *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
        text=True, timeout=300, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.docker
@pytest.mark.slow
def test_deploy_runs_the_pushed_tag_and_roll_back_returns_to_the_previous(
    example_model: Path, tmp_path: Path, docker_client: object
) -> None:
    app = f"{NAME_PREFIX}-serve"
    shutil.copy(example_model, tmp_path / f"{app}.joblib")
    out = tmp_path / "deploy"
    scaffold(
        model=tmp_path / f"{app}.joblib", target="docker", out_dir=out, wheelhouse=True,
        app_port=free_port(),
    )  # fmt: skip
    image = _default_image(out, "model")
    registry = f"{NAME_PREFIX}-registry"
    project = f"{NAME_PREFIX}-compose-{uuid.uuid4().hex[:8]}"
    _docker_bin(tmp_path / "bin")
    env = {
        **os.environ, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "COMPOSE_PROJECT_NAME": project,
    }  # fmt: skip
    tag, newer = image.split(":")[1], "0123456789ab"

    def steps(section: str, *, tag_now: str = tag) -> str:
        lines = readme_block(out, section).replace("REGISTRY", registry).replace(tag, tag_now)
        # No registry here: the image is local already, so there is nothing to push or pull.
        lines = lines.replace("docker compose pull && ", "")
        return "\n".join(x for x in lines.splitlines() if not x.startswith("docker push"))

    def running() -> str:
        ids = _bash("docker compose ps -q model", cwd=out, env=env).stdout.split()
        assert len(ids) == 1, ids
        return str(docker_client.containers.get(ids[0]).attrs["Config"]["Image"])  # type: ignore[attr-defined]

    with _cleanup(docker_client, project, out, env) as tags:
        tags += [image, f"{registry}/{image}", f"{app}:{newer}", f"{registry}/{app}:{newer}"]
        _build(docker_client, out, image)
        docker_client.images.get(image).tag(app, newer)  # type: ignore[attr-defined]

        first = _bash(steps("Deploy"), cwd=out, env=env)
        assert first.returncode == 0, first.stderr
        assert running() == f"{registry}/{image}"
        second = _bash(steps("Deploy", tag_now=newer), cwd=out, env=env)
        assert second.returncode == 0, second.stderr
        assert running() == f"{registry}/{app}:{newer}"

        back = _bash(steps("Roll back"), cwd=out, env=env)
        assert back.returncode == 0, back.stderr
        assert running() == f"{registry}/{image}"
        assert (out / ".env").read_text() == f"IMAGE={registry}/{image}\n"


def _rows(path: Path, n: int, seed: int) -> None:
    rows = np.random.default_rng(seed).normal(10, 3, (n, 30))
    lines = [",".join(f"f{i}" for i in range(30))]
    lines += [",".join(f"{v:.4f}" for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.docker
@pytest.mark.slow
def test_batch_run_as_written_by_a_user_scores_each_day_into_its_own_output(
    example_model: Path, docker_client: object
) -> None:
    docker_gid = Path("/var/run/docker.sock").stat().st_gid
    # Not under pytest's tmp_path: the user must be able to reach the directory.
    base = Path(tempfile.mkdtemp(prefix=f"{NAME_PREFIX}-batch-"))
    try:
        base.chmod(0o755)
        app = f"{NAME_PREFIX}-batch"
        shutil.copy(example_model, base / f"{app}.joblib")
        out = base / "job"
        scaffold(model=base / f"{app}.joblib", target="docker", out_dir=out, mode="batch",
                 wheelhouse=True)  # fmt: skip
        _docker_bin(base / "bin")
        fake_date(base / "bin")
        (base / "home").mkdir()
        project = f"{NAME_PREFIX}-compose-{uuid.uuid4().hex[:8]}"
        env = {
            "PATH": f"{base / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(base / "home"),
            "COMPOSE_PROJECT_NAME": project, "DOCKER_HOST": os.environ.get(
                "DOCKER_HOST", "unix:///var/run/docker.sock"),
        }  # fmt: skip
        run = readme_block(out, "Run").replace("YOUR_FILES.csv", str(base / "rows.csv"))
        as_user = [require("setpriv"), f"--reuid={USER}", f"--regid={USER}",
                   f"--groups={docker_gid}", "--"]  # fmt: skip

        def day(date: str, script: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*as_user, "bash", "-euo", "pipefail", "-c", script], cwd=out,
                env={**env, "FAKE_DATE": date}, capture_output=True, text=True, timeout=300,
                check=False, stdin=subprocess.DEVNULL,
            )  # fmt: skip

        with _cleanup(docker_client, project, out, env) as tags:
            image = _default_image(out, "score")
            tags.append(image)
            _build(docker_client, out, image)
            subprocess.run(["chown", "-R", f"{USER}:{USER}", str(base)], check=True)

            _rows(base / "rows.csv", 300, seed=1)
            first = day("2030-01-01", run)
            assert first.returncode == 0, first.stderr
            _rows(base / "rows.csv", 200, seed=2)  # the next day's input, same file name
            second = day("2030-01-02", run)
            assert second.returncode == 0, second.stderr
            # The same `docker compose run` line again resumes that day's run: nothing left to do.
            rerun = next(line for line in run.splitlines() if line.startswith("docker compose run"))
            again = day("2030-01-02", rerun)
            assert again.returncode == 0, again.stderr

            output = out / "data" / "output"
            runs = (first, second, again)
            summaries = [json.loads(p.stdout.strip().splitlines()[-1]) for p in runs]
            assert [s["rows_scored"] for s in summaries] == [300, 200, 200]
            assert summaries[2]["rows_scored_this_run"] == 0 and summaries[2]["chunks_skipped"] == 1
            assert sorted(p.name for p in output.iterdir()) == ["2030-01-01", "2030-01-02"]
            part = output / "2030-01-02" / "part-00000.csv"
            assert part.stat().st_uid == USER and part.read_text().count("\n") == 201
            # The README's step is what makes it work: the image's own user cannot write here.
            plain = day("2030-01-03", rerun.replace(' --user "$(id -u):$(id -g)"', ""))
            assert plain.returncode != 0
            assert "Error: cannot write /data/output/2030-01-03" in plain.stderr
    finally:
        shutil.rmtree(base, ignore_errors=True)
