"""`example-model` refuses an existing model.joblib before it trains (or imports scikit-learn)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.targets.conftest import run_cli

_PROBE = """
import sys
from pathlib import Path
from deploy_advisor.errors import InputError
from deploy_advisor.intake.example import make_example_model
try:
    make_example_model(Path(sys.argv[1]))
except InputError as exc:
    print(exc)
print("sklearn" in sys.modules)
"""


def test_an_existing_model_is_refused_before_training(tmp_path: Path) -> None:
    (tmp_path / "model.joblib").write_bytes(b"the user's model")
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert probe.stdout.splitlines() == [
        f"{tmp_path / 'model.joblib'} already exists; pass --force to overwrite it or choose "
        "another -o DIR",
        "False",
    ]
    done = run_cli("example-model", "-o", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.endswith(
        f"Error: {tmp_path / 'model.joblib'} already exists; pass --force to overwrite it or "
        "choose another -o DIR\n"
    )
    assert (tmp_path / "model.joblib").read_bytes() == b"the user's model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.joblib"]
