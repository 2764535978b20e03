from __future__ import annotations

import subprocess
import sys

from deploy_advisor import __version__


def test_version_via_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "deploy_advisor", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout == f"deploy-advisor {__version__}\n"
