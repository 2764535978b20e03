"""Print pip constraints pinning packages to the versions installed in this venv.

    python benchmarks/contenders/pins.py scikit-learn xgboost lightgbm

A name may list alternatives as `name|other`: `xgboost|xgboost-cpu` pins `xgboost` at the
version of whichever is installed (the main venv has the CPU-only `xgboost-cpu` distribution,
the contenders' runtimes ask for `xgboost`). A package installed under none of its names is
left unpinned.
"""

from __future__ import annotations

import importlib.metadata as metadata
import sys


def pin(spec: str) -> str | None:
    name, *alternatives = spec.split("|")
    for candidate in (name, *alternatives):
        try:
            return f"{name}=={metadata.version(candidate)}"
        except metadata.PackageNotFoundError:
            continue
    return None


if __name__ == "__main__":
    print("\n".join(line for line in map(pin, sys.argv[1:]) if line))
