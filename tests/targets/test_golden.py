"""Every template, rendered from fixed facts, byte-for-byte against tests/golden/<target>/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy_advisor.targets import get_target
from deploy_advisor.targets.base import ModelFacts, PlanSize, RenderContext, Requirement
from deploy_advisor.targets.scaffold import render_text_files

GOLDEN = Path(__file__).resolve().parents[1] / "golden"

FACTS = ModelFacts(
    file_name="model.joblib",
    format="joblib",
    n_features=3,
    sha256="0123456789abcdef" * 4,
    size_bytes=2_000_000,
    load_seconds=4.2,
    rss_mb=120.0,
    predict_ms=3.5,
    trained_sklearn_version="1.9.1",
    payloads_json=json.dumps([{"instances": [[0.1, 0.2, 0.3]]}]) + "\n",
)
REQUIREMENTS = (
    Requirement("numpy", "2.4.6"),
    Requirement("scikit-learn", "1.9.1", "the version the model was trained with"),
    Requirement("joblib", "1.6.0"),
    Requirement("orjson", "3.13.0"),
    Requirement("uvicorn", "0.54.0"),
    Requirement("gunicorn", "27.0.1"),
)
SMALL = PlanSize("linode-2gb", 1.0, 2048, "linode")
LARGE = PlanSize("linode-4gb", 2.0, 4096, "linode")
CASES: dict[str, dict[str, object]] = {
    "docker": {"plan": SMALL},
    "docker-wheelhouse": {"plan": LARGE, "wheelhouse": True},
    "docker-volume": {"plan": SMALL, "weights": "volume"},
    "kubernetes": {"plan": LARGE, "host_name": "api.example.com"},
    "kubernetes-volume": {"plan": LARGE, "weights": "volume"},
    "heroku": {"plan": PlanSize("heroku-standard-2x", 1.0, 1024, "heroku")},
    "vps": {"plan": SMALL, "host_name": "api.example.com"},
    "sagemaker": {"plan": PlanSize("sagemaker-ml-m5-large", 2.0, 8192, "aws-sagemaker")},
    "sagemaker-serverless": {
        "plan": PlanSize("sagemaker-serverless-2048mb", 1.0, 2048, "aws-sagemaker-serverless")
    },
    "cloud-run": {"plan": PlanSize("cloud-run-1vcpu-2gib", 1.0, 2048, "gcp-cloud-run")},
    "azure-ml": {"plan": PlanSize("azureml-standard-ds3-v2", 4.0, 14336, "azure-ml")},
    "sagemaker-batch": {
        "plan": PlanSize("sagemaker-ml-m5-large", 2.0, 8192, "aws-sagemaker"),
        "mode": "batch",
    },
    "azure-ml-batch": {
        "plan": PlanSize("azureml-standard-ds3-v2", 4.0, 14336, "azure-ml"),
        "mode": "batch",
    },
    "cloud-run-batch": {
        "plan": PlanSize("cloud-run-1vcpu-2gib", 1.0, 2048, "gcp-cloud-run"),
        "mode": "batch",
    },
}
#: Targets whose name has a dash; other cases are TARGET or TARGET-VARIANT.
DASHED = ("cloud-run", "azure-ml")


def _context(**options: object) -> RenderContext:
    options.setdefault("mode", "realtime")
    return RenderContext(
        app_name="churn", model=FACTS, requirements=REQUIREMENTS, workers=2,
        **options,  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_templates_match_golden_files(case: str, request: pytest.FixtureRequest) -> None:
    dashed = [name for name in DASHED if case.startswith(name)]
    target = get_target(dashed[0] if dashed else case.split("-")[0])
    rendered = render_text_files(target, _context(**CASES[case]))
    folder = GOLDEN / case
    if request.config.getoption("--update-golden"):
        for rel, text in rendered.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text)
    on_disk = {
        p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*") if p.is_file()
    }
    assert sorted(on_disk) == sorted(rendered), "run pytest tests/targets --update-golden"
    for rel, text in rendered.items():
        assert text == on_disk[rel], f"{case}/{rel} differs; refresh with --update-golden"
