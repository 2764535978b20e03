"""The scaffold contract: the lock file's name and the layout of a scaffold directory."""

from __future__ import annotations

__all__ = ["LOCK_NAME"]

LOCK_NAME = "deploy-advisor.lock.json"
