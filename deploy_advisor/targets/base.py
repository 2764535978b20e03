"""The interface every deployment target implements, and the data a target renders from."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from deploy_advisor.lockfile import DEFAULT_BASE_IMAGE

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from deploy_advisor.advisor.bom import BillOfMaterials
    from deploy_advisor.advisor.catalog import PricePlan
    from deploy_advisor.emulate.launched import Launched
    from deploy_advisor.targets.writer import FileAction

__all__ = [
    "EdgeOptions", "Finding", "ModelFacts", "PlanSize", "RenderContext", "Requirement",
    "ScaffoldRequest", "ScaffoldResult", "Target",
]  # fmt: skip

Mode = Literal["realtime", "batch"]
Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class ModelFacts:
    """What the scaffold needs to know about the model: shape, size, load cost, sklearn version."""

    file_name: str
    format: str
    n_features: int
    sha256: str
    size_bytes: int
    load_seconds: float
    rss_mb: float
    predict_ms: float
    trained_sklearn_version: str | None = None
    payloads_json: str = "[]\n"
    pins: tuple[Requirement, ...] = ()
    """The framework and modules the model file references beyond scikit-learn (pinning.py)."""
    code_dir: str | None = None
    """Where the user's code the model imports sits in the scaffold (`code`), if given."""
    input_kind: str | None = None
    """What a deep model takes: ``"text"``, ``"image"`` or ``"tensor"``; None for tables."""

    @property
    def file(self) -> str:
        """Path of the model inside a scaffold, as the lock file records it."""
        return f"model/{self.file_name}"

    @property
    def needs_openmp(self) -> bool:
        """The framework loads libgomp.so.1 (OpenMP), which slim base images lack."""
        return any(r.name == "lightgbm" for r in self.pins)


#: Heroku publishes no vCPU count: a dyno is sized as one vCPU for worker counts.
_DEFAULT_VCPU = 1.0


@dataclass(frozen=True)
class PlanSize:
    """The compute a plan gives one instance: the numbers requests, limits and dynos come from."""

    name: str | None
    vcpu: float
    memory_mb: int
    provider: str = ""
    gpu: str | None = None
    """The plan's GPU as the catalog names it (`1x RTX 4000 Ada`), None without one."""

    @classmethod
    def of(cls, plan: PricePlan) -> PlanSize:
        """The size of a catalog plan with compute of its own (not a fee or a control plane)."""
        from deploy_advisor.errors import CatalogError

        if not plan.memory_mb:
            raise CatalogError(
                f"plan {plan.name!r} has no compute of its own (a control plane or load "
                "balancer); pass --plan with an instance, node or dyno plan"
            )
        vcpu = float(plan.vcpu) if plan.vcpu else _DEFAULT_VCPU
        return cls(plan.name, vcpu, int(plan.memory_mb), str(plan.provider), plan.gpu)


@dataclass(frozen=True)
class Requirement:
    """One pinned line of requirements.txt, with why it is pinned."""

    name: str
    version: str
    reason: str = ""

    def line(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class RenderContext:
    """Everything a target's templates may use; `mode` is "realtime" now, "batch" for batch jobs."""

    mode: Mode
    app_name: str
    model: ModelFacts
    plan: PlanSize
    requirements: tuple[Requirement, ...]
    python_version: str = "3.11"
    base_image: str = DEFAULT_BASE_IMAGE
    wheelhouse: bool = False
    host_name: str | None = None
    app_port: int = 8000
    listen_port: int = 80
    workers: int = 2
    drain_timeout_s: int = 20
    extra: dict[str, str] = field(default_factory=dict)
    bom: BillOfMaterials | None = None
    """The advisor's bill of materials (`scaffold --spec`): None renders the defaults."""
    gpu: str | None = None
    """The plan's GPU when scaffolded with --gpu (a CUDA image, GPU limits); None: CPU."""
    weights: str = "image"
    """`--weights`: "image" copies the model into the image, "volume" mounts it read-only."""


@dataclass(frozen=True)
class Finding:
    """One result of a check: which file, which check, how bad, and what to do."""

    severity: Severity
    check: str
    message: str
    file: str = ""

    def line(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"{self.severity:<7} {self.check:<18} {where}{self.message}"


@dataclass(frozen=True)
class EdgeOptions:
    """The edge-only flags of `scaffold`."""

    max_size_mb: float | None = None
    accept_drift: bool = False
    quantize: bool = False


@dataclass(frozen=True)
class ScaffoldRequest:
    """What `scaffold` was asked for: the model, where to write, and the flags that shape it."""

    model: Path
    out_dir: Path
    plan: str | None = None
    mode: str = "realtime"
    base_image: str = DEFAULT_BASE_IMAGE
    wheelhouse: bool = False
    host_name: str | None = None
    force: bool = False
    dry_run: bool = False
    strict: bool = False
    app_port: int = 8000
    listen_port: int = 80
    edge: EdgeOptions = field(default_factory=EdgeOptions)
    code: Path | None = None
    """The user's module or package the model imports (`--code`): copied to code/ and put on
    the server's import path."""
    bom: BillOfMaterials | None = None
    """The advisor's bill of materials for this target and plan (`scaffold --spec`)."""
    gpu: bool = False
    """`--gpu`: a CUDA image and GPU limits, sized for a catalog plan with a GPU."""
    weights: str | None = None
    """`--weights image|volume`; None: the earlier scaffold's choice, else image."""


@dataclass(frozen=True)
class ScaffoldResult:
    """What scaffolding did (or would do, with dry_run): one action per file, and the warnings."""

    target: str
    out_dir: Path
    actions: list[FileAction]
    findings: list[Finding]
    dry_run: bool


class Target(ABC):
    """A place a model can be deployed: writes its scaffold, checks one, launches it locally.

    Its traits are class attributes, read by `scaffold`, `loadtest` and `report` alike."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    default_plan: ClassVar[str | None] = None
    serves_with_gunicorn: ClassVar[bool] = False
    #: The scaffold modes it writes ("realtime" is a server, "batch" a scoring job).
    modes: ClassVar[tuple[str, ...]] = ("realtime",)
    #: Its scaffold has a Dockerfile: --base-image and --wheelhouse apply.
    builds_image: ClassVar[bool] = False
    #: Its realtime scaffold names a public host (an Ingress, an nginx server_name): --host applies.
    names_host: ClassVar[bool] = False
    #: Launched locally as a container sized from any catalog plan, not only its own plans.
    emulates_any_plan: ClassVar[bool] = False
    #: `launch` runs a scaffold locally for a load test.
    launches_locally: ClassVar[bool] = False
    #: What one instance is called in a report (a dyno, a pod); None: the target's name.
    instance_noun: ClassVar[str | None] = None
    #: Its plans are cluster nodes: a run measures every replica together and is priced per
    #: node, plus the cluster's control plane.
    runs_on_nodes: ClassVar[bool] = False
    #: Its scaffold can target a GPU (`scaffold --gpu`); else `no_gpu` says why not.
    takes_gpu: ClassVar[bool] = False
    no_gpu: ClassVar[str] = "its scaffold is written for CPU plans only"
    #: Its server can read the model from a mounted volume (`scaffold --weights volume`).
    takes_weights_volume: ClassVar[bool] = False

    @abstractmethod
    def scaffold(self, request: ScaffoldRequest) -> ScaffoldResult:
        """Write (or with dry_run, only plan) this target's scaffold of the model."""

    def validate(self, directory: Path) -> list[Finding]:
        """Checks of this target's files in a written scaffold."""
        return []

    def launch(
        self, directory: Path, *, plan: str | None, base_image: str | None = None,
        log: Path | None = None,
    ) -> AbstractContextManager[Launched]:  # fmt: skip
        """Run a written scaffold locally in this target's shape for a load test."""
        from deploy_advisor.errors import LaunchError

        raise LaunchError(f"target {self.name!r} cannot be launched locally; use --target local")

    def deployment(self, directory: Path) -> dict[str, object] | None:
        """What `report` needs to price a run of this scaffold beyond its plan (None: nothing)."""
        return None
