"""Tiny offline deep-learning models shared by the serving and batch-scoring tests:
random-initialised BERT and ViT directories with a WordPiece tokenizer trained here."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TEXTS = [
    "the cat sat on the mat",
    "a dog ran in the park",
    "good movie",
    "bad film",
    "the weather is nice today",
    "we like the park and the cat",
]
LABELS = {0: "neg", 1: "neu", 2: "pos"}


@dataclass
class HF:
    """The saved model directories."""

    text: Path
    tokens: Path
    embed: Path
    image: Path
    no_tokenizer: Path


def hf_tokenizer() -> Any:
    """A WordPiece tokenizer trained here on TEXTS, as a transformers fast tokenizer."""
    import transformers
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(
        TEXTS * 5, trainers.WordPieceTrainer(vocab_size=120, special_tokens=specials)
    )
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=24,
    )


def build_hf(d: Path) -> HF:
    """Tiny random-initialised BERT (three tasks, one tokenizer) and ViT directories in `d`."""
    import torch
    import transformers

    torch.manual_seed(0)
    tok = hf_tokenizer()
    cfg = {
        "vocab_size": len(tok),
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 64,
        "max_position_embeddings": 64,
        "num_labels": 3,
        "id2label": LABELS,
        "label2id": {v: k for k, v in LABELS.items()},
    }
    bert = transformers.BertConfig(**cfg)
    for name, cls in (
        ("text", transformers.BertForSequenceClassification),
        ("tokens", transformers.BertForTokenClassification),
        ("embed", transformers.BertModel),
    ):
        cls(bert).eval().save_pretrained(d / name)
        tok.save_pretrained(d / name)
    vit = transformers.ViTConfig(
        image_size=16,
        patch_size=8,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=2,
        id2label={0: "cat", 1: "dog"},
        label2id={"cat": 0, "dog": 1},
    )
    transformers.ViTForImageClassification(vit).eval().save_pretrained(d / "image")
    transformers.ViTImageProcessor(size={"height": 16, "width": 16}).save_pretrained(d / "image")
    shutil.copytree(d / "text", d / "no_tokenizer")
    (d / "no_tokenizer" / "tokenizer.json").unlink()
    return HF(d / "text", d / "tokens", d / "embed", d / "image", d / "no_tokenizer")
