"""Deployment targets: one class per place a model can run, kept in a plain registry."""

from __future__ import annotations

from deploy_advisor.errors import InputError
from deploy_advisor.targets.base import Target

__all__ = ["Target", "get_target", "register", "target_names"]

_REGISTRY: dict[str, type[Target]] = {}


def register(cls: type[Target]) -> type[Target]:
    """Add a target class under its `name`; a second class with the same name is refused."""
    if cls.name in _REGISTRY:
        raise ValueError(f"target {cls.name!r} is already registered by {_REGISTRY[cls.name]!r}")
    _REGISTRY[cls.name] = cls
    return cls


def target_names() -> list[str]:
    """Registered target names, in registration order."""
    _load_builtin()
    return list(_REGISTRY)


def get_target(name: str) -> Target:
    """A fresh instance of the target called `name`."""
    _load_builtin()
    try:
        return _REGISTRY[name]()
    except KeyError:
        known = ", ".join(_REGISTRY)
        raise InputError(f"unknown target {name!r}; pass --target with one of: {known}") from None


def _load_builtin() -> None:
    """Import the built-in target modules once; each registers itself."""
    from deploy_advisor.targets import docker, edge, heroku, kubernetes, vps  # noqa: F401
