"""`inspect` on deep-learning models: tensors (names, dtypes, shapes), task, labels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from deploy_advisor.errors import ModelError
from deploy_advisor.intake import inspect_model, sample_payloads


class Net(torch.nn.Module):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 2, 3)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        return self.conv(img).mean(dim=(2, 3))


def test_exported_program_reports_its_tensors(tmp_path: Path) -> None:
    net = Net().eval()
    batch = torch.export.Dim("batch", min=1, max=64)
    program = torch.export.export(net, (torch.randn(2, 3, 8, 8),), dynamic_shapes=({0: batch},))
    torch.export.save(program, tmp_path / "net.pt2")
    report = inspect_model(tmp_path / "net.pt2")
    assert report.framework == "torch" and report.format == "torch-export"
    assert report.deep is not None
    assert report.deep["inputs"] == [
        {"name": "img", "dtype": "float32", "datatype": "FP32", "shape": [-1, 3, 8, 8]}
    ]
    assert report.deep["outputs"][0]["shape"] == [-1, 2]
    body = sample_payloads(report, count=3)[0]
    assert len(body["instances"][0]) == 3  # channels of the example image
    assert not any("unpickles" in w for w in report.warnings)


def test_state_dict_is_refused_with_the_export_call(tmp_path: Path) -> None:
    torch.save(Net().state_dict(), tmp_path / "weights.pt")
    with pytest.raises(ModelError, match=r"state_dict.*torch\.export\.save"):
        inspect_model(tmp_path / "weights.pt")


def test_cli_inspect_text_model_shows_task_labels_and_max_length(tmp_path: Path) -> None:
    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(
        ["good film", "bad film"], trainers.WordLevelTrainer(special_tokens=["[PAD]", "[UNK]"])
    )
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", model_max_length=16
    )
    cfg = transformers.DistilBertConfig(
        vocab_size=len(fast),
        dim=16,
        n_layers=1,
        n_heads=2,
        hidden_dim=32,
        max_position_embeddings=16,
        id2label={0: "bad", 1: "good"},
        label2id={"bad": 0, "good": 1},
    )
    transformers.DistilBertForSequenceClassification(cfg).save_pretrained(tmp_path / "clf")
    fast.save_pretrained(tmp_path / "clf")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-m", "deploy_advisor", "inspect", str(tmp_path / "clf"), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["format"] == "transformers"
    assert doc["deep"]["task"] == "text-classification"
    assert doc["deep"]["labels"] == ["bad", "good"]
    assert doc["deep"]["max_length"] == 16
    assert doc["sample_payload"] == {"instances": ["hello world"]}
