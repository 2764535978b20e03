"""The checks `validate` ran: which check, with which tool, on which files, and its result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from deploy_advisor.targets.base import Finding

__all__ = ["CheckRun", "CheckRuns"]

Result = Literal["passed", "warnings", "failed", "not run"]


@dataclass(frozen=True)
class CheckRun:
    """One check over some files; its result sums up the findings it made."""

    name: str
    tool: str
    files: list[str]
    result: Result
    findings: int

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name, "tool": self.tool, "files": self.files, "result": self.result,
            "findings": self.findings,
        }  # fmt: skip


def _result(findings: list[Finding]) -> Result:
    if any(f.severity == "error" for f in findings):
        return "failed"
    if any(f.message.startswith("not run") for f in findings):
        return "not run"
    if any(f.severity == "warning" for f in findings):
        return "warnings"
    return "passed"


@dataclass
class CheckRuns:
    """The log of checks, in the order they ran."""

    runs: list[CheckRun] = field(default_factory=list)

    def add(self, name: str, tool: str, files: list[str], found: list[Finding]) -> list[Finding]:
        """Record one check and hand its findings back."""
        self.runs.append(CheckRun(name, tool, list(files), _result(found), len(found)))
        return found
