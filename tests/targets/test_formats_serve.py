"""Every tabular format served in each target's shape (VPS, Heroku, the Kubernetes emulation), and
the Heroku slug estimate counting the framework the model needs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import joblib
import numpy as np
import pytest

from deploy_advisor.targets import get_target
from deploy_advisor.targets.heroku import _installed_mb, estimate_slug_mb
from deploy_advisor.targets.pinning import framework_pins, model_needs, size_standin
from deploy_advisor.targets.plans import resolve_plan
from deploy_advisor.targets.scaffold import build_context, scaffold
from tests.conftest import BASE_IMAGE, require
from tests.targets.formats import FORMATS, assert_serves, make_case
from tests.targets.test_golden import FACTS


@pytest.mark.nginx
@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("target", ["vps", "heroku"])
def test_vps_and_heroku_serve_each_format(target: str, name: str, tmp_path: Path) -> None:
    if target == "vps":
        require("nginx")
    case = make_case(name, tmp_path / "model")
    out = tmp_path / "scaffold"
    scaffold(model=case.model, target=target, out_dir=out)
    with get_target(target).launch(out, plan=None, log=tmp_path / "server.log") as launched:
        assert_serves(launched.base_url, case)


@pytest.mark.docker
@pytest.mark.nginx
@pytest.mark.slow
@pytest.mark.parametrize("name", ["xgboost-pickle", "churn-pipeline"])
def test_the_kubernetes_emulation_serves_a_framework_model(
    name: str, tmp_path: Path, docker_client: object
) -> None:
    require("nginx")
    case = make_case(name, tmp_path / "model")
    out = tmp_path / "scaffold"
    scaffold(model=case.model, target="kubernetes", out_dir=out, wheelhouse=True)
    launch = get_target("kubernetes").launch(
        out, plan=None, base_image=BASE_IMAGE, log=tmp_path / "server.log"
    )
    with launch as launched:
        assert_serves(launched.base_url, case)


def test_the_slug_estimate_counts_the_framework_the_model_needs(tmp_path: Path) -> None:
    import xgboost

    features = np.random.default_rng(0).normal(size=(50, 3))
    model = xgboost.XGBClassifier(n_estimators=2).fit(features, features[:, 0] > 0)
    joblib.dump(model, tmp_path / "model.joblib")
    pins = framework_pins(model_needs(tmp_path / "model.joblib"))
    heroku = get_target("heroku")
    plan = resolve_plan(heroku, None)
    plain = build_context(heroku, FACTS, app_name="m", plan=plan)
    with_xgboost = build_context(heroku, replace(FACTS, pins=pins), app_name="m", plan=plan)
    (pin,) = (r for r in pins if r.name.startswith("xgboost"))
    framework_mb = _installed_mb(size_standin(pin.name))
    assert framework_mb > 1
    grown = estimate_slug_mb(with_xgboost) - estimate_slug_mb(plain)
    assert grown == pytest.approx(framework_mb, abs=0.2)
