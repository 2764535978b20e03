"""`scaffold` follows the spec's mode and plan, always reads --spec, and refuses unused flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy_advisor.advisor.catalog import load_catalog
from deploy_advisor.advisor.recommend import recommend
from deploy_advisor.advisor.spec import load_spec
from deploy_advisor.targets.writer import LOCK_NAME
from tests.targets.conftest import run_cli

# Nobody waits online; a million rows once a day: the advisor says batch.
NIGHTLY = (
    "latency: {p95_ms: null, freshness: daily}\n"
    "traffic: {pattern: scheduled, batch_rows: 1000000}\n"
)


@pytest.fixture
def nightly(tmp_path: Path) -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(NIGHTLY)
    return spec


def _flat(text: str) -> str:
    """Progress lines with the terminal's wrapping undone."""
    return " ".join(text.split())


def _lock(out: Path) -> dict[str, object]:
    return json.loads((out / LOCK_NAME).read_text())  # type: ignore[no-any-return]


def test_without_target_the_advisors_mode_is_scaffolded(
    tmp_path: Path, example_model: Path, nightly: Path
) -> None:
    advice = recommend(load_spec(nightly), what_if=False)
    assert advice.mode == "batch"
    out = tmp_path / "x"
    done = run_cli(
        "scaffold", "--model", str(example_model), "--spec", str(nightly), "-o", str(out)
    )
    assert done.returncode == 0, done.stderr
    lock = _lock(out)
    assert (lock["target"], lock["mode"], lock["plan"]) == (advice.target, "batch", advice.plan)
    assert f"advisor's pick for {nightly}: batch on {advice.target}, plan {advice.plan} " in _flat(
        done.stderr
    )
    assert f"✓ {advice.target} scaffold (batch) in {out}" in _flat(done.stderr)
    assert "model_server.score" in (out / "README.md").read_text()


def test_mode_flag_overrides_the_advisor_and_says_so(
    tmp_path: Path, example_model: Path, nightly: Path
) -> None:
    out = tmp_path / "x"
    args = ["scaffold", "--model", str(example_model), "--spec", str(nightly), "-o", str(out)]
    done = run_cli(*args, "--target", "docker", "--mode", "realtime")
    assert done.returncode == 0, done.stderr
    lock = _lock(out)
    assert lock["mode"] == "realtime"
    plan = load_catalog().plan(str(lock["plan"]))
    assert plan in load_catalog().plans_for("docker")
    assert (
        f"docker in realtime mode (from --mode; the advisor's is batch for {nightly}); "
        f"plan {plan.name} (the cheapest docker plan for {nightly}) "
    ) in _flat(done.stderr)


def test_spec_is_read_even_with_a_target(tmp_path: Path, example_model: Path) -> None:
    out = tmp_path / "x"
    base = ["scaffold", "--model", str(example_model), "--target", "docker", "-o", str(out)]
    missing = run_cli(*base, "--spec", str(tmp_path / "nospec.yaml"))
    assert missing.returncode == 2
    assert missing.stderr.startswith(f"Error: spec file '{tmp_path / 'nospec.yaml'}' not found")
    assert not out.exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("latency: {p95: 10}\n")
    assert run_cli(*base, "--spec", str(bad)).returncode == 2


def test_a_fixed_target_takes_the_specs_mode_and_plan(
    tmp_path: Path, example_model: Path, nightly: Path
) -> None:
    advice = recommend(load_spec(nightly), what_if=False)
    vps = next(t for t in advice.targets if t.name == "vps")
    assert vps.cost is not None
    out = tmp_path / "x"
    args = ["scaffold", "--model", str(example_model), "--spec", str(nightly), "-o", str(out)]
    done = run_cli(*args, "--target", "vps")
    assert done.returncode == 0, done.stderr
    assert (_lock(out)["mode"], _lock(out)["plan"]) == ("batch", vps.cost.plan.name)
    assert (out / "deploy" / "systemd" / "model-score.timer").is_file()
    assert (
        f"vps in batch mode (the advisor's for {nightly}); plan {vps.cost.plan.name} "
        f"(the cheapest vps plan for {nightly}) "
    ) in _flat(done.stderr)


def test_without_spec_or_mode_realtime_is_the_default_and_said(
    tmp_path: Path, example_model: Path
) -> None:
    out = tmp_path / "x"
    done = run_cli(
        "scaffold", "--model", str(example_model), "--target", "docker", "-o", str(out), "--dry-run"
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(
        "docker in realtime mode (the default; --mode batch writes a scoring job)\n"
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--target", "edge", "--mode", "batch"],
            "--mode batch does not apply to --target edge: an edge bundle runs the model on the "
            "device; drop --mode, or pass --target docker|kubernetes|heroku|vps",
        ),
        (
            ["--target", "edge", "--plan", "linode-2gb", "--wheelhouse"],
            "--plan, --wheelhouse do not apply to --target edge: an edge bundle runs the model on "
            "the device; drop --plan, --wheelhouse, or pass --target docker|kubernetes|heroku|vps",
        ),
        (
            ["--target", "docker", "--quantize"],
            "--quantize does not apply to --target docker: it is for an edge bundle only; drop "
            "--quantize, or pass --target edge",
        ),
        (
            ["--target", "vps", "--max-size-mb", "5", "--accept-drift"],
            "--max-size-mb, --accept-drift do not apply to --target vps: they are for an edge "
            "bundle only; drop --max-size-mb, --accept-drift, or pass --target edge",
        ),
        (
            ["--target", "heroku", "--base-image", "python:3.12-slim"],
            "--base-image does not apply to --target heroku: a heroku scaffold has no "
            "Dockerfile; drop --base-image, or pass --target docker or kubernetes",
        ),
        (
            ["--target", "docker", "--host", "api.example.com"],
            "--host does not apply to --target docker: only a kubernetes Ingress or a vps nginx "
            "site has a public host name; drop --host",
        ),
        (
            ["--target", "kubernetes", "--mode", "batch", "--host", "api.example.com"],
            "--host does not apply to a batch job: only a kubernetes Ingress or a vps nginx site "
            "has a public host name; drop --host",
        ),
        (
            ["--target", "docker", "--mode", "stream"],
            "--mode 'stream' is unknown; use realtime or batch",
        ),
    ],
)
def test_flags_the_target_would_ignore_are_refused(
    tmp_path: Path, example_model: Path, flags: list[str], message: str
) -> None:
    out = tmp_path / "x"
    done = run_cli("scaffold", "--model", str(example_model), "-o", str(out), *flags)
    assert (done.returncode, done.stderr) == (2, f"Error: {message}\n")
    assert not out.exists()


def test_an_edge_only_flag_against_the_advisors_server_pick_is_refused(
    tmp_path: Path, example_model: Path, nightly: Path
) -> None:
    advice = recommend(load_spec(nightly), what_if=False)
    done = run_cli(
        "scaffold", "--model", str(example_model), "--spec", str(nightly), "-o",
        str(tmp_path / "x"), "--quantize",
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        f"Error: --quantize does not apply to {advice.target} (the advisor's pick for {nightly}): "
        "it is for an edge bundle only; drop --quantize, or pass --target edge\n"
    )


def test_the_plan_is_sized_for_the_model_being_scaffolded(tmp_path: Path) -> None:
    from deploy_advisor.advisor.inputs import build_spec
    from deploy_advisor.targets.choice import choose

    big = tmp_path / "big.joblib"
    with big.open("wb") as f:
        f.truncate(6 * 10**9)  # sparse: only its size matters to the advisor
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: big\n")  # no size: the model file gives it
    chosen = choose(target=None, mode=None, spec=spec, model=big)
    advised = recommend(build_spec(spec, {"model.path": str(big)}), what_if=False)
    assert chosen.plan == advised.plan
    assert load_catalog().plan(advised.plan).memory_mb >= 6000  # type: ignore[operator]
