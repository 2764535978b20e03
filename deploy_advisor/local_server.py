"""`deploy-advisor serve`: the model server in the foreground, its failures as our errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from deploy_advisor import console
from deploy_advisor.errors import InputError, ModelError

__all__ = ["serve_locally"]


def serve_locally(
    *,
    target: str,
    host: str = "127.0.0.1",
    output: str | None = None,
    schema: Path | None = None,
    trust_types: str | None = None,
    task: str | None = None,
    truncate: bool = False,
    **settings: Any,
) -> int:
    """Run the server for a model file, MLflow model or scaffold until it stops; its exit code
    (128 + N when killed by signal N). `settings` are `server_command`'s (port, workers, ...).
    A server that cannot load the model or listen is an error naming why, from its
    termination log."""
    from deploy_advisor.runtime.config import (
        EXIT_CANNOT_LISTEN,
        EXIT_STARTUP_FAILURE,
        ConfigError,
        resolve_port,
    )
    from deploy_advisor.runtime.launch import run_in_foreground, server_command
    from deploy_advisor.runtime.loader import OUTPUTS, ModelLoadError, check_format

    try:
        shown_port = resolve_port(settings.get("port"), os.environ)
    except ConfigError as exc:
        raise InputError(str(exc)) from exc
    try:
        check_format(target)  # refuse before a server starts
        argv, env = server_command(target, host=host, **settings)
    except ModelLoadError as exc:
        raise ModelError(str(exc)) from exc
    env.update(_model_env(output=output, schema=schema, trust_types=trust_types, outputs=OUTPUTS))
    if task:
        env["MODEL_TASK"] = task
    if truncate:
        env["TRUNCATE"] = "on"
    shown = f"[{host}]" if ":" in host else host
    console.info(
        f"serving {argv[argv.index('--model') + 1]} on http://{shown}:{shown_port} (docs: /docs)"
    )
    code, why = run_in_foreground(argv, env)
    if code == EXIT_STARTUP_FAILURE and why:
        raise ModelError(why)  # "cannot load the model: ..."; the log has the details
    if code == EXIT_CANNOT_LISTEN and why:
        raise InputError(f"{why}; pick another --port")
    return 128 - code if code < 0 else code


def _model_env(
    *, output: str | None, schema: Path | None, trust_types: str | None, outputs: tuple[str, ...]
) -> dict[str, str]:
    """The server's environment for `--output`, `--schema` and `--trust-types`, checked."""
    env: dict[str, str] = {}
    if output is not None:
        if output not in outputs:
            raise InputError(f"--output {output}: use one of {', '.join(outputs)}")
        env["MODEL_OUTPUT"] = output
    if schema is not None:
        if not schema.is_file():
            raise InputError(f"--schema {schema} not found; pass a JSON schema file")
        env["MODEL_SCHEMA"] = str(schema.resolve())
    if trust_types:
        env["MODEL_TRUST_TYPES"] = trust_types
    return env
