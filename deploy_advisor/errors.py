"""Every error deploy-advisor reports to a user, as one line with a documented exit code.

Exit codes (also in the README):

* 0 — success
* 1 — a check failed: `validate` found errors, a preflight refused with `--strict`
* 2 — bad input: a spec, flag, file or model the user gave cannot be used
* 3 — a service-level objective failed in a load test
* 4 — a component the command needs is missing or unreachable (Docker engine, nginx)
* 130 — interrupted with Ctrl-C
"""

from __future__ import annotations

__all__ = [
    "CatalogError",
    "CheckFailed",
    "DeployAdvisorError",
    "EnvironmentMissing",
    "InputError",
    "Interrupted",
    "LaunchError",
    "ModelError",
    "ScaffoldConflict",
    "SloBreached",
    "SpecError",
]


class DeployAdvisorError(Exception):
    """Base of every error that the CLI prints as `Error: …` without a traceback."""

    exit_code: int = 2


class InputError(DeployAdvisorError):
    """Something the user passed cannot be used; the message names the value and the fix."""


class SpecError(InputError):
    """The requirements spec (deploy-advisor.yaml or flags) is invalid or contradictory."""


class CatalogError(InputError):
    """A price catalog or weights file cannot be read."""


class ModelError(InputError):
    """A model file cannot be found, loaded or introspected."""


class ScaffoldConflict(InputError):
    """Writing a scaffold would overwrite a file the user changed; pass --force."""


class CheckFailed(DeployAdvisorError):
    """A validation or preflight check found errors."""

    exit_code = 1


class SloBreached(DeployAdvisorError):
    """A load test finished but at least one service-level objective failed."""

    exit_code = 3


class EnvironmentMissing(DeployAdvisorError):
    """A component the command needs (Docker engine, nginx, Chromium) is missing or unreachable."""

    exit_code = 4


class LaunchError(EnvironmentMissing):
    """A target could not be started locally, or did not become ready in time."""


class Interrupted(DeployAdvisorError):
    """The user stopped the command with Ctrl-C; what it had done so far was kept."""

    exit_code = 130
