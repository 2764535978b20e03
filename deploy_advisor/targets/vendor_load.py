"""Load cloud files with the vendors' SDKs; run as a script in the venv that has them.

Usage: python vendor_load.py KIND=PATH ...  KIND: online-endpoint, online-deployment,
batch-endpoint, batch-deployment (azure-ai-ml loaders) or transform-job (a JSON request checked
against botocore's SageMaker CreateTransformJob model: types, required fields, enum values).
Prints one JSON list of {"file", "error"}; imports only the standard library and the SDKs,
because it runs outside deploy-advisor's environment."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _azure(kind: str, path: str) -> None:
    import azure.ai.ml as ml

    loaders = {
        "online-endpoint": ml.load_online_endpoint,
        "online-deployment": ml.load_online_deployment,
        "batch-endpoint": ml.load_batch_endpoint,
        "batch-deployment": ml.load_batch_deployment,
    }
    loaders[kind](source=path)


def _enum_errors(value: Any, shape: Any, where: str) -> list[str]:
    """Values outside a shape's enum, which botocore's validator does not check."""
    errors = []
    if getattr(shape, "enum", None) and isinstance(value, str) and value not in shape.enum:
        errors.append(f"{where}: {value!r} is not one of {', '.join(shape.enum)}")
    if shape.type_name == "structure" and isinstance(value, dict):
        for key, item in value.items():
            if key in shape.members:
                errors += _enum_errors(item, shape.members[key], f"{where}.{key}".lstrip("."))
    if shape.type_name == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            errors += _enum_errors(item, shape.member, f"{where}[{i}]")
    return errors


def _transform_job(path: str) -> None:
    import botocore.session
    from botocore.validate import validate_parameters

    request = json.loads(Path(path).read_text(encoding="utf-8"))
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("CreateTransformJob").input_shape
    validate_parameters(request, shape)
    errors = _enum_errors(request, shape, "")
    if errors:
        raise ValueError("; ".join(errors))


def main(argv: list[str]) -> int:
    """Load each file with its vendor's loader; an exception is that file's error."""
    results = []
    for arg in argv:
        kind, _, path = arg.partition("=")
        try:
            if kind == "transform-job":
                _transform_job(path)
            else:
                _azure(kind, path)
            results.append({"file": path, "error": None})
        except Exception as exc:  # noqa: BLE001 - every loader failure is a finding
            results.append({"file": path, "error": f"{type(exc).__name__}: {exc}"})
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
