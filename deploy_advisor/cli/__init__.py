"""The `deploy-advisor` command line: one module per command group, each command parsing its
options, calling one library function and rendering what comes back. Heavy libraries are
imported inside the commands, so that start-up stays fast."""

from __future__ import annotations

from importlib import import_module

from deploy_advisor.cli.app import app, main

__all__ = ["GROUPS", "app", "main"]

#: The command groups, in the order `deploy-advisor --help` lists their commands.
GROUPS = ("decide", "models", "scaffolds", "measure", "reporting")

for _group in GROUPS:
    import_module(f"deploy_advisor.cli.{_group}")
