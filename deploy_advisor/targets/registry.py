"""The plain registry of target classes: one name, one class, duplicates refused."""

from __future__ import annotations

from importlib import import_module

from deploy_advisor.errors import InputError
from deploy_advisor.targets.base import Target

__all__ = [
    "BUILTIN_MODULES",
    "get_target",
    "register",
    "target_class",
    "target_names",
    "targets_with",
]

#: The modules of the built-in targets, in the order their names are listed; each registers its
#: class with `@register` when imported.
BUILTIN_MODULES = (
    "docker", "edge", "heroku", "kubernetes", "vps", "sagemaker", "cloud_run", "azure_ml",
)  # fmt: skip

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


def target_class(name: str) -> type[Target] | None:
    """The class registered as `name`, for its traits; None for `local` or an unknown name."""
    _load_builtin()
    return _REGISTRY.get(name)


def targets_with(mode: str) -> list[str]:
    """Names of the registered targets whose scaffold has `mode`."""
    _load_builtin()
    return [name for name, cls in _REGISTRY.items() if mode in cls.modes]


def _load_builtin() -> None:
    """Import the built-in target modules once; each registers itself."""
    for module in BUILTIN_MODULES:
        import_module(f"deploy_advisor.targets.{module}")
