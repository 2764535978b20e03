"""Issue 14 section 1: `scaffold --spec` renders exactly the advisor's bill of materials, and
`validate` checks the files against it (a hand edit that breaks an item fails)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy_advisor.advisor.inputs import build_spec
from deploy_advisor.advisor.recommend import recommend
from deploy_advisor.lockfile import LOCK_NAME
from deploy_advisor.targets.bom_values import BALANCER_RANGES, on_calendar
from deploy_advisor.targets.choice import choose, write_choice
from deploy_advisor.targets.validate import validate_dir
from tests.targets.conftest import run_cli

HIGH = {"requests_per_day": 5_000_000, "peak_rps": 300}
FRAUD = {
    "latency": {"p95_ms": 50}, "traffic": HIGH, "privacy": {"pii": True},
    "availability": 99.95, "budget": {"monthly_usd": 2000}, "team": {"ops_skill": "expert"},
}  # fmt: skip
OVER_BUDGET = {
    "budget": {"monthly_usd": 10}, "team": {"ops_skill": "expert"},
    "traffic": {"requests_per_day": 3_000_000, "peak_rps": 100}, "availability": 99.9,
    "latency": {"p95_ms": 100},
}  # fmt: skip


def batch(freshness: str, rows: int = 1_000_000, **more: Any) -> dict[str, Any]:
    return {
        "latency": {"p95_ms": None, "freshness": freshness},
        "traffic": {"pattern": "scheduled", "batch_rows": rows}, **more,
    }  # fmt: skip


def web(per_day: int, peak: float, p95: float = 300, **more: Any) -> dict[str, Any]:
    return {
        "traffic": {"requests_per_day": per_day, "peak_rps": peak},
        "latency": {"p95_ms": p95}, **more,
    }  # fmt: skip


GPU = {"model": {"gpu": True, "size_mb": 2000}}
SCENARIOS = [
    pytest.param(web(2_000_000, 250), "heroku", None, id="heroku-3-dynos"),
    pytest.param(web(20_000, 2), "heroku", None, id="heroku-1-dyno"),
    pytest.param(batch("daily"), "heroku", "batch", id="heroku-nightly-scheduler"),
    pytest.param(batch("hours"), "heroku", "batch", id="heroku-hourly-scheduler"),
    pytest.param(FRAUD, "kubernetes", None, id="kubernetes-n-plus-1-balancer"),
    pytest.param(web(100_000, 5), "kubernetes", None, id="kubernetes-small"),
    pytest.param(web(3_000_000, 150, availability=99.9), "kubernetes", None, id="kubernetes-ha"),
    pytest.param(batch("daily"), "kubernetes", "batch", id="kubernetes-nightly-cronjob"),
    pytest.param(batch("weekly"), "kubernetes", "batch", id="kubernetes-weekly-cronjob"),
    pytest.param(web(100_000, 4, **GPU), "kubernetes", None, id="kubernetes-gpu"),
    pytest.param(batch("daily", **GPU), "kubernetes", "batch", id="kubernetes-gpu-batch"),
    pytest.param(web(3_000_000, 250, 100, availability=99.9), "vps", None, id="vps-nodebalancer"),
    pytest.param(web(50_000, 7), "vps", None, id="vps-one-instance"),
    pytest.param(batch("daily"), "vps", "batch", id="vps-nightly-timer"),
    pytest.param(batch("minutes"), "vps", "batch", id="vps-every-15-minutes"),
    pytest.param(FRAUD, None, None, id="fraud-row-advisors-pick"),
    pytest.param(FRAUD, "vps", None, id="fraud-row-on-vps"),
    pytest.param(OVER_BUDGET, None, None, id="over-budget-row-advisors-pick"),
    pytest.param(OVER_BUDGET, "vps", None, id="over-budget-row-on-vps"),
    pytest.param(batch("daily"), None, None, id="nightly-advisors-pick"),
]


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _gpu_limits(doc: Any) -> list[Any]:
    """Every container's nvidia.com/gpu limit in a pod template, wherever it is nested."""
    found: list[Any] = []
    if isinstance(doc, dict):
        if "containers" in doc:
            found += [c["resources"]["limits"].get("nvidia.com/gpu") for c in doc["containers"]]
        for value in doc.values():
            found += _gpu_limits(value)
    return found


def _nginx(out: Path) -> str:
    (site,) = sorted((out / "deploy" / "nginx").glob("*.conf"))
    return site.read_text()


def _directive(text: str, name: str) -> str | None:
    match = re.search(rf"^\s*{name}\s+([^;]+);", text, re.MULTILINE)
    return match.group(1).strip() if match else None


def _timer(out: Path) -> Path:
    (timer,) = sorted((out / "deploy" / "systemd").glob("*.timer"))
    return timer


def check_items(out: Path, bom: dict[str, Any], target: str, mode: str) -> None:
    """The files hold exactly the bill of materials' items, read the way each tool reads them."""
    readme = (out / "README.md").read_text()
    assert f"plan {bom['plan']} ({bom['provider']}) x {bom['instances']}," in readme
    if target == "heroku" and mode == "realtime":
        formation = json.loads((out / "app.json").read_text())["formation"]
        assert formation["web"]["quantity"] == bom["instances"]
        assert f"heroku ps:scale web={bom['instances']}\n" in readme
    elif target == "heroku":
        assert f"# Schedule: {bom['schedule']} (cron, UTC" in (out / "scheduler.txt").read_text()
    elif target == "kubernetes" and mode == "realtime":
        hpa = _yaml(out / "k8s" / "hpa.yaml")["spec"]
        assert hpa["minReplicas"] == bom["min_instances"]
        assert hpa["maxReplicas"] == (bom["max_instances"] or bom["instances"])
        service = _yaml(out / "k8s" / "service.yaml")["spec"]
        assert service["type"] == ("LoadBalancer" if bom["load_balancer_priced"] else "ClusterIP")
        assert "metrics-server" in readme
        wanted_gpu = 1 if bom["gpu"] else None
        assert _gpu_limits(_yaml(out / "k8s" / "deployment.yaml")) == [wanted_gpu]
    elif target == "kubernetes":
        cron = _yaml(out / "k8s" / "cronjob.yaml")
        assert cron["spec"]["schedule"] == bom["schedule"]
        assert _gpu_limits(cron) == [1 if bom["gpu"] else None]
    elif target == "vps" and mode == "realtime":
        site = _nginx(out)
        rate = math.ceil(bom["peak_rps"])
        assert re.search(rf"rate={rate}r/s;", site)
        assert f"burst={rate * 2} " in site
        if bom["load_balancer"]:
            assert _directive(site, "set_real_ip_from") == BALANCER_RANGES[bom["load_balancer"]]
            assert _directive(site, "real_ip_header") == "X-Forwarded-For"
            assert f"create {bom['instances']} VMs" in readme
        else:
            assert _directive(site, "set_real_ip_from") is None
    elif target == "vps":
        calendar = re.search(r"^OnCalendar=(.*)$", _timer(out).read_text(), re.MULTILINE)
        assert calendar is not None and calendar.group(1) == on_calendar(bom["schedule"])


def break_one_item(out: Path, bom: dict[str, Any], target: str, mode: str) -> str:
    """Hand-edit one item of the bill of materials out of the files; the file edited."""
    if target == "heroku" and mode == "realtime":
        app = json.loads((out / "app.json").read_text())
        app["formation"]["web"]["quantity"] = bom["instances"] + 1
        (out / "app.json").write_text(json.dumps(app, indent=2))
        return "app.json"
    if target == "heroku":
        path = out / "scheduler.txt"
        path.write_text(re.sub(r"# Schedule: .*\n", "", path.read_text()))
        return "scheduler.txt"
    if target == "kubernetes" and mode == "realtime":
        path = out / "k8s" / "hpa.yaml"
        path.write_text(re.sub(r"maxReplicas: \d+", "maxReplicas: 17", path.read_text()))
        return "k8s/hpa.yaml"
    if target == "kubernetes":
        path = out / "k8s" / "cronjob.yaml"
        path.write_text(re.sub(r'schedule: ".*"', 'schedule: "30 4 * * *"', path.read_text()))
        return "k8s/cronjob.yaml"
    if target == "vps" and mode == "realtime":
        (site,) = sorted((out / "deploy" / "nginx").glob("*.conf"))
        site.write_text(re.sub(r"rate=\d+r/s", "rate=20000r/s", site.read_text()))
        return f"deploy/nginx/{site.name}"
    if target == "vps":
        timer = _timer(out)
        timer.write_text(re.sub("OnCalendar=.*", "OnCalendar=*-*-* 05:00:00", timer.read_text()))
        return f"deploy/systemd/{timer.name}"
    readme = out / "README.md"
    readme.write_text(readme.read_text().replace(f"x {bom['instances']},", "x 99,"))
    return "README.md"


@pytest.mark.parametrize(("spec_data", "target", "mode"), SCENARIOS)
def test_scaffold_from_a_spec_renders_the_bill_of_materials(
    tmp_path: Path, example_model: Path, with_checkov: str,
    spec_data: dict[str, Any], target: str | None, mode: str | None,
) -> None:  # fmt: skip
    spec = tmp_path / "deploy-advisor.yaml"
    spec.write_text(yaml.safe_dump(spec_data))
    choice = choose(target=target, mode=mode, spec=spec, model=example_model)
    assert choice.bom is not None
    out = tmp_path / "out"
    write_choice(choice, model=example_model, out_dir=out)
    lock = json.loads((out / LOCK_NAME).read_text())
    bom = lock["bom"]
    assert bom == choice.bom.to_json()
    assert (bom["target"], bom["mode"], bom["plan"]) == (lock["target"], lock["mode"], lock["plan"])
    if target is None:  # the advisor's own pick: the very bill of materials `recommend` prints
        advice = recommend(build_spec(spec, {"model.path": str(example_model)}), what_if=False)
        assert advice.bom is not None and bom == advice.bom.to_json()
    check_items(out, bom, lock["target"], lock["mode"])

    report = validate_dir(directory=out)
    assert report.ok, [f.line() for f in report.errors]
    assert "bom" in [check.name for check in report.checks]

    edited = break_one_item(out, bom, lock["target"], lock["mode"])
    broken = validate_dir(directory=out)
    assert not broken.ok
    assert [f.file for f in broken.errors if f.check == "bom"] == [edited]


def test_the_issue_rows_are_sized_as_an_expert_expects(tmp_path: Path, example_model: Path) -> None:
    """Heroku 3 dynos, Kubernetes N+1 with the priced balancer, VPS behind a NodeBalancer."""
    cases = {
        "heroku": web(2_000_000, 250),
        "kubernetes": FRAUD,
        "vps": web(3_000_000, 250, 100, availability=99.9),
    }
    for target, data in cases.items():
        spec = tmp_path / f"{target}.yaml"
        spec.write_text(yaml.safe_dump(data))
        bom = choose(target=target, mode=None, spec=spec, model=example_model).bom
        assert bom is not None
        if target == "heroku":
            assert bom.instances == 3 and bom.plan == "heroku-standard-1x"
        elif target == "kubernetes":
            assert bom.headroom and bom.headroom.startswith("N+1")
            assert bom.load_balancer_priced and bom.min_instances == 2
        else:
            assert bom.instances > 1 and bom.load_balancer == "linode-nodebalancer"


def test_cli_validate_json_names_the_bom_check_and_the_mismatch(
    tmp_path: Path, example_model: Path
) -> None:
    spec = tmp_path / "deploy-advisor.yaml"
    spec.write_text(yaml.safe_dump(web(2_000_000, 250)))
    out = tmp_path / "out"
    made = run_cli("scaffold", "--model", str(example_model), "--target", "heroku",
                   "--spec", str(spec), "-o", str(out))  # fmt: skip
    assert made.returncode == 0, made.stderr
    app = json.loads((out / "app.json").read_text())
    assert app["formation"]["web"]["quantity"] == 3
    app["formation"]["web"]["quantity"] = 1
    (out / "app.json").write_text(json.dumps(app))
    checked = run_cli("validate", str(out), "--json")
    assert checked.returncode == 1
    report = json.loads(checked.stdout)
    assert report["checks"][-1]["name"] == "bom" and report["ok"] is False
    (error,) = [f for f in report["findings"] if f["severity"] == "error"]
    assert error["file"] == "app.json"
    assert "formation.web.quantity is 1 but the bill of materials says 3" in error["message"]


def test_without_a_spec_the_lock_has_no_bom_and_validate_runs_no_bom_check(
    scaffolded: Any,
) -> None:
    out = scaffolded("heroku")
    assert "bom" not in json.loads((out / LOCK_NAME).read_text())
    report = validate_dir(directory=out)
    assert "bom" not in [check.name for check in report.checks]
    assert json.loads((out / "app.json").read_text())["formation"]["web"]["quantity"] == 1


def test_cloud_run_keeps_the_min_instances_the_advisor_priced_warm(
    tmp_path: Path, example_model: Path, cloud_validators: None
) -> None:
    """Bursty traffic and a tight p95: cold starts would break it, so the advisor prices one
    min instance with CPU always allocated, and the service.yaml keeps exactly that."""
    spec = tmp_path / "deploy-advisor.yaml"
    bursty = {"requests_per_day": 300_000, "peak_rps": 80, "pattern": "bursty"}
    spec.write_text(yaml.safe_dump({"traffic": bursty, "latency": {"p95_ms": 150}}))
    choice = choose(target="cloud-run", mode=None, spec=spec, model=example_model)
    assert choice.bom is not None
    assert (choice.bom.min_instances, choice.bom.scale_to_zero) == (1, False)
    out = tmp_path / "out"
    write_choice(choice, model=example_model, out_dir=out)
    annotations = _yaml(out / "cloud-run" / "service.yaml")["spec"]["template"]["metadata"][
        "annotations"
    ]
    assert annotations["autoscaling.knative.dev/minScale"] == "1"
    assert annotations["run.googleapis.com/cpu-throttling"] == "false"
    report = validate_dir(directory=out)
    assert report.ok, [f.line() for f in report.errors]
    # The same traffic, steady: it scales to zero, CPU only while serving.
    spec.write_text(yaml.safe_dump({"traffic": {**bursty, "pattern": "steady"}}))
    steady = choose(target="cloud-run", mode=None, spec=spec, model=example_model)
    write_choice(steady, model=example_model, out_dir=tmp_path / "steady")
    annotations = _yaml(tmp_path / "steady" / "cloud-run" / "service.yaml")["spec"]["template"][
        "metadata"
    ]["annotations"]
    assert annotations["autoscaling.knative.dev/minScale"] == "0"
    assert annotations["run.googleapis.com/cpu-throttling"] == "true"
