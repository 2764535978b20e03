"""``python -m deploy_advisor.runtime serve …`` (``python -m model_server serve …`` in a scaffold).

A bare ``serve`` with no options follows the SageMaker container contract: it loads
``$MODEL_PATH`` (else ``/opt/ml/model``) and listens on 0.0.0.0:8080 unless ``$PORT`` says
otherwise.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from .config import ConfigError, build_parser, settings_from_args
from .loader import ModelLoadError, resolve_model_path


def _stop_before_serving(sig: int, frame: FrameType | None) -> None:
    raise SystemExit(0)  # nothing is in flight yet: a clean stop


def main(argv: Sequence[str] | None = None) -> int:
    # Until the server installs its own handlers, SIGTERM stops the process cleanly.
    signal.signal(signal.SIGTERM, _stop_before_serving)
    from .server import WORKER_ENV, run, worker_main

    child = os.environ.get(WORKER_ENV)
    if child:
        os.environ.pop(WORKER_ENV, None)
        return worker_main(child)
    prog = f"python -m {__package__ or 'model_server'}"
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.command != "serve":
        parser.print_help(sys.stderr)
        return 2
    try:
        settings = settings_from_args(args)
        settings.model_path = str(resolve_model_path(settings.model_path))
    except (ConfigError, ModelLoadError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    if settings.workers > 1:
        from .supervisor import run_supervisor

        return run_supervisor(settings)
    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
