"""What `scaffold` writes: the target, mode and plan from the flags and the advisor's spec."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from deploy_advisor.errors import InputError
from deploy_advisor.lockfile import DEFAULT_BASE_IMAGE
from deploy_advisor.targets.plans import resolve_plan
from deploy_advisor.targets.registry import get_target, target_names, targets_with
from deploy_advisor.targets.weights import WEIGHTS

if TYPE_CHECKING:
    from deploy_advisor.advisor.bom import BillOfMaterials
    from deploy_advisor.advisor.costs import PlanCost
    from deploy_advisor.advisor.recommend import Recommendation
    from deploy_advisor.targets.scaffold import ScaffoldResult

__all__ = [
    "DEFAULT_BASE_IMAGE", "ScaffoldChoice", "ScaffoldFlags", "choose", "write_choice",
]  # fmt: skip

SERVER_MODES = ("realtime", "batch")


@dataclass(frozen=True)
class ScaffoldFlags:
    """The flags of `scaffold` that only some targets or modes use; None or False: not given."""

    plan: str | None = None
    host_name: str | None = None
    base_image: str | None = None
    wheelhouse: bool = False
    max_size_mb: float | None = None
    accept_drift: bool = False
    quantize: bool = False
    code: Path | None = None
    """The user's module or package the model imports (`--code`), copied into the scaffold."""
    gpu: bool = False
    """`--gpu`: a CUDA image and GPU limits, on a catalog plan with a GPU."""
    weights: str | None = None
    """`--weights image|volume`; None: the earlier scaffold's choice, else image."""


@dataclass(frozen=True)
class ScaffoldChoice:
    """The target, mode (realtime, batch or edge) and plan to scaffold, and why, for the user."""

    target: str
    mode: str
    plan: str | None
    notes: list[str] = field(default_factory=list)
    bom: BillOfMaterials | None = None
    """The advisor's bill of materials for the target and plan, when they come from --spec."""


def choose(
    *,
    target: str | None,
    mode: str | None,
    spec: Path | None,
    flags: ScaffoldFlags | None = None,
    model: Path | None = None,
) -> ScaffoldChoice:
    """Follow --target, --mode and --plan where given, else the advisor's pick for the spec.

    The spec is always read (a bad one is an error even with --target): with the target fixed
    it still sets the mode and the plan. Flags that the chosen target or mode would ignore
    are errors that name the fix."""
    flags = flags or ScaffoldFlags()
    if mode is not None and mode not in SERVER_MODES:
        raise InputError(f"--mode {mode!r} is unknown; use realtime or batch")
    if flags.weights is not None and flags.weights not in WEIGHTS:
        raise InputError(f"--weights {flags.weights!r} is unknown; use image or volume")
    advice = _advice(spec, model) if spec is not None else None
    if target is not None:
        target, named = get_target(target).name, f"--target {target}"
    elif advice is not None:
        target, named = (
            _advised_target(advice, spec),
            f"{advice.target} (the advisor's pick for {spec})",
        )
    else:
        raise InputError(
            "no --target given; pass --target docker|kubernetes|heroku|vps|edge or --spec"
        )
    if flags.gpu:
        _check_gpu_flags(target, named, mode)
    if flags.weights == "volume":
        _check_volume(target, named, mode)
    if "edge" in get_target(target).modes:
        _check_edge_flags(named, mode, flags)
        picked = "" if named.startswith("--") else f" (the advisor's pick for {spec})"
        return ScaffoldChoice("edge", "edge", None, [f"edge bundle{picked}"])
    _check_server_flags(target, named, flags)
    chosen_mode, why_mode = _mode(target, mode, advice, spec)
    if chosen_mode not in get_target(target).modes:
        raise InputError(
            f"--mode batch does not apply to {named}: batch jobs are written for "
            + ", ".join(targets_with("batch"))
            + "; drop --mode, or pass one of them with --target"
        )
    if flags.host_name is not None and (
        chosen_mode == "batch" or not get_target(target).names_host
    ):
        where = "a batch job" if chosen_mode == "batch" else named
        raise InputError(
            f"--host does not apply to {where}: only a kubernetes Ingress or a vps nginx site "
            "has a public host name; drop --host"
        )
    plan, why_plan, priced = _plan(target, chosen_mode, flags, advice, spec)
    if flags.gpu:
        from deploy_advisor.targets.gpu import gpu_plan

        if plan is None:
            plan = gpu_plan(get_target(target), None).name
            why_plan = f"(the cheapest {target} plan with a GPU; --plan picks another)"
        gpu_plan(get_target(target), plan)  # a plan without a GPU fails here, not later
    elif plan is not None:
        resolve_plan(get_target(target), plan)  # an unknown or foreign plan fails here, not later
    advised = not named.startswith("--")
    if advice is not None and advised and (plan, chosen_mode) == (advice.plan, advice.mode):
        note = f"advisor's pick for {spec}: {chosen_mode} on {target}, plan {plan}"
    else:
        picked = f" (the advisor's pick for {spec})" if advised else ""
        note = f"{target}{picked} in {chosen_mode} mode {why_mode}"
        note += f"; plan {plan} {why_plan}" if plan else ""
    bom = None
    if advice is not None and priced is not None:
        from deploy_advisor.advisor.bom import bill_of_materials

        region = advice.spec.privacy.region
        bom = bill_of_materials(priced, advice.spec, target, region=region)
    return ScaffoldChoice(target, chosen_mode, plan, [note], bom)


def write_choice(
    choice: ScaffoldChoice, *, model: Path, out_dir: Path, flags: ScaffoldFlags | None = None,
    force: bool = False, dry_run: bool = False, strict: bool = False,
) -> ScaffoldResult:  # fmt: skip
    """Write (or with dry_run, only plan) the scaffold that `choose` picked, with its flags."""
    from deploy_advisor.targets.edge import EdgeOptions
    from deploy_advisor.targets.scaffold import scaffold

    flags = flags or ScaffoldFlags()
    edge = EdgeOptions(
        max_size_mb=flags.max_size_mb, accept_drift=flags.accept_drift, quantize=flags.quantize
    )
    return scaffold(
        model=model, target=choice.target, out_dir=out_dir, plan=choice.plan,
        base_image=flags.base_image or DEFAULT_BASE_IMAGE, wheelhouse=flags.wheelhouse,
        host_name=flags.host_name, force=force, dry_run=dry_run, strict=strict,
        mode="realtime" if choice.mode == "edge" else choice.mode, edge=edge, code=flags.code,
        bom=choice.bom, gpu=flags.gpu, weights=flags.weights,
    )  # fmt: skip


def _advice(spec: Path, model: Path | None) -> Recommendation:
    """The advisor's answer for the spec, sized for the model being scaffolded (as `recommend
    --model` would size it when the spec gives no size)."""
    from deploy_advisor.advisor.inputs import build_spec
    from deploy_advisor.advisor.recommend import recommend

    overrides = {"model.path": str(model)} if model is not None else {}
    return recommend(build_spec(spec, overrides), what_if=False)


def _advised_target(advice: Recommendation, spec: Path | None) -> str:
    if advice.target not in target_names():
        raise InputError(
            f"the advisor recommends {advice.target!r} for {spec}, which scaffold cannot write; "
            f"pass --target with one of: {', '.join(target_names())}"
        )
    return advice.target


def _given(*pairs: tuple[str, object]) -> list[str]:
    """The flags that were given, with their value where it says more (`--mode batch`)."""
    return [
        f"{name} {value}" if name == "--mode" else name
        for name, value in pairs
        if value is not None and value is not False
    ]


def _refuse(given: list[str], named: str, why: str, fix: str) -> InputError:
    verb = "does" if len(given) == 1 else "do"
    drop = ", ".join(g.split()[0] for g in given)
    return InputError(
        f"{', '.join(given)} {verb} not apply to {named}: {why}; drop {drop}, or {fix}"
    )


def _check_edge_flags(named: str, mode: str | None, flags: ScaffoldFlags) -> None:
    """An edge bundle has no mode, plan, host, base image or wheelhouse: refuse those flags."""
    given = _given(
        ("--mode", mode), ("--plan", flags.plan), ("--host", flags.host_name),
        ("--base-image", flags.base_image), ("--wheelhouse", flags.wheelhouse),
    )  # fmt: skip
    if given:
        raise _refuse(
            given, named, "an edge bundle runs the model on the device",
            "pass --target docker|kubernetes|heroku|vps",
        )  # fmt: skip


def _check_gpu_flags(target: str, named: str, mode: str | None) -> None:
    """--gpu only for a target whose scaffold can ask for a GPU, and for a server."""
    takers = [n for n in target_names() if get_target(n).takes_gpu]
    if not get_target(target).takes_gpu:
        fix = f"pass --target {' or '.join(takers)}"
        raise _refuse(["--gpu"], named, get_target(target).no_gpu, fix)
    if mode == "batch":
        raise _refuse(
            ["--gpu"], f"--mode batch on {named}", "--gpu writes a GPU server, not a batch job",
            "drop --mode batch",
        )  # fmt: skip


def _check_volume(target: str, named: str, mode: str | None) -> None:
    """--weights volume only for a server whose platform mounts a volume at the model path."""
    takers = [n for n in target_names() if get_target(n).takes_weights_volume]
    fix = f"pass --target {' or '.join(takers)}"
    if not get_target(target).takes_weights_volume:
        raise _refuse(["--weights volume"], named, "it cannot mount the model from a volume", fix)
    if mode == "batch":
        raise _refuse(
            ["--weights volume"], f"--mode batch on {named}",
            "a batch job's image carries its model", "drop --mode batch",
        )  # fmt: skip


def _check_server_flags(target: str, named: str, flags: ScaffoldFlags) -> None:
    """Edge-only flags, and image flags for a target without a Dockerfile, are refused."""
    edge_only = _given(
        ("--max-size-mb", flags.max_size_mb), ("--accept-drift", flags.accept_drift),
        ("--quantize", flags.quantize),
    )  # fmt: skip
    if edge_only:
        what = "it is" if len(edge_only) == 1 else "they are"
        raise _refuse(edge_only, named, f"{what} for an edge bundle only", "pass --target edge")
    image = _given(("--base-image", flags.base_image), ("--wheelhouse", flags.wheelhouse))
    if image and not get_target(target).builds_image:
        raise _refuse(
            image, named, f"a {target} scaffold has no Dockerfile",
            "pass --target docker or kubernetes",
        )  # fmt: skip


def _mode(
    target: str, mode: str | None, advice: Recommendation | None, spec: Path | None
) -> tuple[str, str]:
    """The mode and, for the user, where it came from."""
    if mode is not None:
        if advice is not None and advice.mode != mode:
            return mode, f"(from --mode; the advisor's is {advice.mode} for {spec})"
        return mode, "(from --mode)"
    if advice is None:
        return "realtime", "(the default; --mode batch writes a scoring job)"
    if advice.mode in SERVER_MODES:
        return advice.mode, f"(the advisor's for {spec})"
    servers = [advice.modes[m] for m in SERVER_MODES if advice.modes[m].eligible]
    if not servers:
        raise InputError(
            f"{spec} rules out a server ({advice.modes['realtime'].ruled_out}), so the advisor "
            f"picks edge; pass --target edge, or --mode and --plan to scaffold {target} anyway"
        )
    best = max(servers, key=lambda m: m.score)
    return best.name, f"(the advisor picks edge for {spec}; {best.name} scores best on a server)"


def _plan(
    target: str, mode: str, flags: ScaffoldFlags, advice: Recommendation | None,
    spec: Path | None,
) -> tuple[str | None, str, PlanCost | None]:  # fmt: skip
    """The --plan, else the cheapest plan of `target` that fits the spec in `mode` (with --gpu,
    the cheapest with a GPU), else None; with the advisor's price of that plan when it comes
    from the spec."""
    if flags.plan is not None:
        return flags.plan, "(from --plan)", None
    if advice is None:
        return None, "", None
    if not advice.modes[mode].eligible:
        raise InputError(
            f"{spec} rules out {mode} mode ({advice.modes[mode].ruled_out}); pass --plan NAME "
            f"to scaffold {target} in {mode} mode anyway, or drop --spec"
        )
    if flags.gpu:
        fits, reason = _fits(target, mode, advice)
        fits = [c for c in fits if c.plan.gpu]
        reason = reason if fits else f"no {target} plan with a GPU fits ({reason})"
        if fits:
            why = f"(the cheapest {target} plan with a GPU for {spec})"
            return fits[0].plan.name, why, fits[0]
    elif advice.mode == mode:
        result = next(t for t in advice.targets if t.name == target)
        fits = [result.cost] if result.cost is not None else []
        reason = result.ruled_out or f"no {target} plan fits"
    else:
        fits, reason = _fits(target, mode, advice)
    if not fits:
        raise InputError(
            f"{spec} rules out every {target} plan for {mode} mode ({reason}); pass --plan NAME "
            f"to scaffold {target} anyway, or drop --target to take the advisor's pick"
        )
    return fits[0].plan.name, f"(the cheapest {target} plan for {spec})", fits[0]


def _fits(target: str, mode: str, advice: Recommendation) -> tuple[list[PlanCost], str]:
    """Plans of `target` that serve the spec in a mode the advisor did not pick, cheapest first."""
    from deploy_advisor.advisor.catalog import SERVING_KINDS, load_catalog
    from deploy_advisor.advisor.costs import Ineligible, plan_cost
    from deploy_advisor.advisor.regions import region_block

    catalog = load_catalog()
    fits: list[PlanCost] = []
    reasons: list[str] = []
    for candidate in catalog.plans_for(target):
        if candidate.kind not in SERVING_KINDS or candidate.kind == "device":
            continue
        block = region_block(candidate, catalog, advice.spec.privacy.region)
        if block is not None:
            reasons.append(block)
            continue
        options = advice.options
        cost = plan_cost(
            candidate, advice.spec, mode, catalog, capacity_rps=options.capacity_rps,
            rps_per_vcpu=options.rps_per_vcpu,
            batch_rows_per_vcpu_s=options.batch_rows_per_vcpu_s, target=target,
            weigh_cold_starts=True,
        )  # fmt: skip
        if isinstance(cost, Ineligible):
            reasons.append(cost.reason)
        else:
            fits.append(cost)
    needs_gpu = advice.spec.model.gpu
    fits.sort(
        key=lambda c: (
            bool(c.plan.gpu) and not needs_gpu,
            round(c.monthly_usd, 6),
            -(c.capacity_rps or 0),
            c.plan.name,
        )
    )
    return fits, reasons[0] if reasons else f"the catalog has no {target} plan"
