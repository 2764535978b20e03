"""The deep-learning benchmark's model: a small BERT-shaped text classifier built offline.

Random weights with a fixed seed (speed does not depend on what the weights learned) and a
WordPiece tokenizer trained here on generated sentences; saved with `save_pretrained`, as a user
would save a fine-tuned model. The texts sent are short (4 to 12 words).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TextModel", "make_text_classifier"]

LABELS = ("negative", "neutral", "positive")
_WORDS = [
    "the", "a", "service", "was", "slow", "fast", "friendly", "rude", "delivery", "arrived",
    "late", "early", "broken", "perfect", "price", "quality", "support", "team", "answered",
    "never", "always", "great", "terrible", "okay", "refund", "order", "package", "app",
    "crashed", "works", "fine", "love", "hate", "product", "screen", "battery", "lasts", "day",
    "week", "month", "store", "staff", "helpful", "waiting", "hours", "minutes", "again", "would",
    "buy", "recommend", "not", "really", "very", "quite", "cheap", "value",
]  # fmt: skip


@dataclass(frozen=True)
class TextModel:
    """The saved directory, the texts sent, and the scores the model itself gives them."""

    directory: Path
    texts: tuple[str, ...]
    expected: tuple[tuple[float, ...], ...]
    max_length: int


def _sentences(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(_WORDS, k=rng.randint(4, 12))) for _ in range(count)]


def make_text_classifier(directory: Path, *, layers: int = 4, hidden: int = 128) -> TextModel:
    """Build, save and score the classifier; `expected` is the softmax of its own forward pass."""
    import torch
    import transformers
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    torch.manual_seed(0)
    corpus = _sentences(2000, seed=1)
    raw = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    raw.normalizer = normalizers.BertNormalizer(lowercase=True)
    raw.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    raw.train_from_iterator(
        corpus, trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials)
    )
    cls, sep = raw.token_to_id("[CLS]"), raw.token_to_id("[SEP]")
    raw.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    max_length = 64
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=raw, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", model_max_length=max_length,
    )  # fmt: skip
    config = transformers.BertConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, num_hidden_layers=layers,
        num_attention_heads=4, intermediate_size=hidden * 2, max_position_embeddings=max_length,
        num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )  # fmt: skip
    model = transformers.BertForSequenceClassification(config).eval()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    texts = tuple(_sentences(8, seed=2))
    with torch.inference_mode():
        batch = tokenizer(list(texts), padding=True, return_tensors="pt")
        scores = torch.softmax(model(**batch).logits, dim=-1).tolist()
    return TextModel(directory, texts, tuple(tuple(s) for s in scores), max_length)
