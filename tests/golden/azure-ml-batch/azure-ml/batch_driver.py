"""Azure ML batch deployment driver: scores each input file with the deploy-advisor scorer.

Each file of a mini-batch gets its own directory under the job's output
(`$AZUREML_BI_OUTPUT_PATH/<file name>/`): part files, rejects.csv and _summary.json."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model_server.score import score  # noqa: E402

MODEL_FILE = "model.joblib"
CHUNK_ROWS = 50000


def _model_path() -> Path:
    """The registered model's file under $AZUREML_MODEL_DIR (the scaffold's copy locally)."""
    root = Path(os.environ.get("AZUREML_MODEL_DIR", Path(__file__).resolve().parents[1] / "model"))
    found = sorted(root.rglob(MODEL_FILE))
    if not found:
        raise FileNotFoundError(f"{MODEL_FILE} is not under {root}")
    return found[0]


def init() -> None:
    """Called once per process: find the model and the output directory."""
    global model_path, output_root
    model_path = _model_path()
    output_root = Path(os.environ["AZUREML_BI_OUTPUT_PATH"])


def run(mini_batch: list) -> list:
    """Score each file; one summary line per file: name, rows scored, rows rejected."""
    lines = []
    for name in mini_batch:
        source = Path(name)
        summary = score(
            model_path=model_path, input_path=source, output=output_root / source.stem,
            chunk_rows=CHUNK_ROWS, progress=False,
        )
        lines.append(f"{source.name},{summary.rows_scored},{summary.rows_rejected}")
    return lines
