"""Deployment targets: one class per place a model can run, kept in a plain registry."""

from __future__ import annotations

from deploy_advisor.targets.base import Target
from deploy_advisor.targets.registry import (
    get_target,
    register,
    target_class,
    target_names,
    targets_with,
)

__all__ = ["Target", "get_target", "register", "target_class", "target_names", "targets_with"]
