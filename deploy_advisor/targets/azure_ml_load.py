"""Load Azure ML YAML files with the azure-ai-ml SDK; run as a script in the SDK's own venv.

Usage: python azure_ml_load.py KIND=PATH ...  (KIND: online-endpoint, online-deployment,
batch-endpoint, batch-deployment). Prints one JSON list of {"file", "error"}; imports only the
standard library and azure.ai.ml, because it runs outside deploy-advisor's environment."""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    """Load each file with its loader; an exception is that file's error."""
    import azure.ai.ml as ml

    loaders = {
        "online-endpoint": ml.load_online_endpoint,
        "online-deployment": ml.load_online_deployment,
        "batch-endpoint": ml.load_batch_endpoint,
        "batch-deployment": ml.load_batch_deployment,
    }
    results = []
    for arg in argv:
        kind, _, path = arg.partition("=")
        try:
            loaders[kind](source=path)
            results.append({"file": path, "error": None})
        except Exception as exc:  # noqa: BLE001 - every loader failure is a finding
            results.append({"file": path, "error": f"{type(exc).__name__}: {exc}"})
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
