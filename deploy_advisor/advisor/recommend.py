"""The recommendation: hard constraints, then weighted factors, then the plan and its cost.

`recommend(spec, catalog=..., weights=...)` ranks the modes (realtime, batch, edge), picks the
best eligible one, ranks the targets (heroku, vps, docker, kubernetes, sagemaker, cloud-run,
azure-ml, edge) within it, chooses the cheapest plan that fits for each target, lists the risks
from the catalog, and finds the smallest single change to the inputs that would flip the choice.
"""

from __future__ import annotations

from deploy_advisor.advisor.catalog import Catalog, load_catalog
from deploy_advisor.advisor.decision import ModeResult, Options, Recommendation, TargetResult
from deploy_advisor.advisor.ranking import decide
from deploy_advisor.advisor.regions import check_region
from deploy_advisor.advisor.spec import Spec
from deploy_advisor.advisor.weights import Weights, load_weights
from deploy_advisor.advisor.whatif import what_would_change
from deploy_advisor.errors import SpecError

__all__ = ["ModeResult", "Options", "Recommendation", "TargetResult", "decide", "recommend"]


def recommend(
    spec: Spec,
    *,
    catalog: Catalog | None = None,
    weights: Weights | None = None,
    capacity_rps: float | None = None,
    rps_per_vcpu: float | None = None,
    what_if: bool = True,
) -> Recommendation:
    """Rank modes and targets for `spec`; raises SpecError when nothing can serve it."""
    catalog = catalog if catalog is not None else load_catalog()
    weights = weights if weights is not None else load_weights()
    for name, value in (("capacity_rps", capacity_rps), ("rps_per_vcpu", rps_per_vcpu)):
        if value is not None and not value > 0:
            raise SpecError(f"{name} is {value!r}; it must be a number above 0")
    check_region(spec.privacy.region, catalog)
    options = Options(capacity_rps=capacity_rps, rps_per_vcpu=rps_per_vcpu)
    rec = decide(spec, catalog, weights, options)
    if what_if:
        rec.what_if = what_would_change(spec, rec, catalog, weights, options)
    return rec
