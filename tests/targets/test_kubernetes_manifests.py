"""kubernetes: the HPA owns the replica count; the Ingress is nginx, TLS, serving routes only."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import yaml

from deploy_advisor.emulate.kubernetes_manifest import read_deployment
from deploy_advisor.targets.tools import check_kubernetes
from tests.conftest import require
from tests.targets.scripts import readme_block

HOST = "api.example.com"


def _objects(k8s_dir: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    return {
        doc["kind"]: doc
        for path in sorted(k8s_dir.glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    }


def test_apply_leaves_the_scale_to_the_hpa_and_the_emulation_runs_its_minimum(
    scaffolded: Callable[..., Path],
) -> None:
    out = scaffolded("kubernetes", plan="lke-linode-2gb", host_name=HOST)
    # What `kubectl apply -k` sends: built by the real kustomize in kubectl, offline.
    built = subprocess.run(
        [require("kubectl"), "kustomize", str(out / "k8s")],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    objects = {doc["kind"]: doc for doc in yaml.safe_load_all(built) if doc}

    assert "replicas" not in objects["Deployment"]["spec"]
    hpa = objects["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == objects["Deployment"]["metadata"]["name"]
    assert hpa["minReplicas"] == 2
    assert read_deployment(out).replicas == 2, "the emulation starts the HPA's minimum"
    assert [f.line() for f in check_kubernetes(out / "k8s")] == []


def test_ingress_is_nginx_with_tls_and_routes_only_the_serving_paths(
    scaffolded: Callable[..., Path],
) -> None:
    out = scaffolded("kubernetes", plan="lke-linode-2gb", host_name=HOST)
    ingress = _objects(out / "k8s")["Ingress"]["spec"]

    assert ingress["ingressClassName"] == "nginx"
    assert ingress["tls"] == [{"hosts": [HOST], "secretName": "model-tls"}]
    assert [rule["host"] for rule in ingress["rules"]] == [HOST]
    paths = {(p["path"], p["pathType"]) for p in ingress["rules"][0]["http"]["paths"]}
    assert ("/predict", "Exact") in paths and ("/v2", "Prefix") in paths
    for internal in ("/metrics", "/noop", "/docs", "/openapi.json"):
        routed = [
            path for path, kind in paths
            if path == internal or (kind == "Prefix" and internal.startswith(f"{path}/"))
        ]  # fmt: skip
        assert not routed and ("/", "Prefix") not in paths, f"{internal} is routed from outside"
    assert "create secret tls model-tls" in readme_block(out, "TLS")


def test_no_ingress_without_a_host(scaffolded: Callable[..., Path]) -> None:
    out = scaffolded("kubernetes", plan="lke-linode-2gb")

    assert "Ingress" not in _objects(out / "k8s")
    assert "## TLS" not in (out / "README.md").read_text()
