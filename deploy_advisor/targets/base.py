"""The interface every deployment target implements, and the data a target renders from."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from deploy_advisor.emulate.launched import Launched

__all__ = ["Finding", "ModelFacts", "PlanSize", "RenderContext", "Requirement", "Target"]

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

    @property
    def file(self) -> str:
        """Path of the model inside a scaffold, as the lock file records it."""
        return f"model/{self.file_name}"


@dataclass(frozen=True)
class PlanSize:
    """The compute a plan gives one instance: the numbers requests, limits and dynos come from."""

    name: str | None
    vcpu: float
    memory_mb: int
    provider: str = ""


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
    base_image: str = "python:3.11-slim"
    wheelhouse: bool = False
    host_name: str | None = None
    app_port: int = 8000
    listen_port: int = 80
    workers: int = 2
    drain_timeout_s: int = 20
    extra: dict[str, str] = field(default_factory=dict)


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


class Target(ABC):
    """A place a model can be deployed: renders its files, checks a scaffold, preflights limits."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    default_plan: ClassVar[str | None] = None
    serves_with_gunicorn: ClassVar[bool] = False

    @abstractmethod
    def render(self, ctx: RenderContext) -> dict[str, str]:
        """Target-specific files as {relative path: text}; shared files are added by the writer."""

    def describe_files(self) -> list[tuple[str, str]]:
        """(path, what it is) for the README's file table."""
        return []

    def readme_commands(self, ctx: RenderContext) -> dict[str, str]:
        """Shell commands for the README: build, run, deploy, rollback (each a code block body)."""
        return {}

    def preflight(self, ctx: RenderContext) -> list[Finding]:
        """Platform limits the model might break, checked before any file is written."""
        return []

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
