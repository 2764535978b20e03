"""Hugging Face transformers ``save_pretrained`` directories, loaded offline.

Tasks: text classification, token classification, feature extraction (sentence embeddings,
mean-pooled over the attention mask) and image classification. The task comes from the
config's architecture unless the user names one (``--task`` / ``$MODEL_TASK``). Texts are
tokenised per request and padded to the longest text of their batch; images are decoded with
Pillow and prepared by the model's own image processor.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..device import torch_device
from ..model import LoadedModel, ModelLoadError, file_sha256
from ..schema import InputSchema
from ..tensors import DeepModel, InputError, Prepared, TensorSpec

__all__ = ["TASKS", "load_transformers", "task_from_config"]

TASKS = (
    "text-classification",
    "token-classification",
    "feature-extraction",
    "image-classification",
)
_AUTO = {
    "text-classification": "AutoModelForSequenceClassification",
    "token-classification": "AutoModelForTokenClassification",
    "feature-extraction": "AutoModel",
    "image-classification": "AutoModelForImageClassification",
}
_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
_TOKENIZER = ("tokenizer.json", "vocab.txt", "tokenizer.model", "vocab.json")


def task_from_config(config: dict[str, Any]) -> str | None:
    """The task a config's architecture says, or None."""
    archs = config.get("architectures") or []
    arch = str(archs[0]) if archs else ""
    if arch.endswith("ForSequenceClassification"):
        return "text-classification"
    if arch.endswith("ForTokenClassification"):
        return "token-classification"
    if arch.endswith("ForImageClassification"):
        return "image-classification"
    if arch.endswith("Model") or arch.endswith("ForMaskedLM"):
        return "feature-extraction"
    return None


def _check_files(path: Path, task: str) -> None:
    names = {p.name for p in path.iterdir()}
    if not any(w in names for w in _WEIGHTS):
        raise ModelLoadError(
            f"{path} lacks the weights file model.safetensors; save the whole model with "
            "model.save_pretrained(DIR)"
        )
    if task == "image-classification":
        if "preprocessor_config.json" not in names:
            raise ModelLoadError(
                f"{path} lacks preprocessor_config.json (the image processor); save it with "
                "image_processor.save_pretrained(DIR)"
            )
    elif not any(t in names for t in _TOKENIZER):
        raise ModelLoadError(
            f"{path} lacks the tokenizer (tokenizer.json); save it with "
            "tokenizer.save_pretrained(DIR)"
        )


def load_transformers(path: Path, *, task: str | None = None) -> LoadedModel:
    """Load a ``save_pretrained`` directory offline for ``task`` (default: from its config)."""
    import json

    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{path / 'config.json'} is not readable JSON ({exc})") from exc
    chosen = task or task_from_config(config)
    if chosen is None:
        archs = config.get("architectures") or ["(none)"]
        raise ModelLoadError(
            f"{path}: cannot tell the task from the architecture {archs[0]}; pass --task (or "
            f"$MODEL_TASK) with one of {', '.join(TASKS)}"
        )
    if chosen not in TASKS:
        raise ModelLoadError(f"unknown task {chosen!r}; use one of {', '.join(TASKS)}")
    _check_files(path, chosen)
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise ModelLoadError(
            f"{path} is a transformers model and needs transformers and torch: pip install "
            "transformers torch==2.13.0"
        ) from exc
    auto = getattr(transformers, _AUTO[chosen])
    device = torch_device(torch)
    try:
        model = auto.from_pretrained(str(path), local_files_only=True).eval().to(device)
    except Exception as exc:
        raise ModelLoadError(
            f"{path} cannot be loaded as {chosen} ({type(exc).__name__}: {str(exc)[:300]})"
        ) from exc
    id2label = getattr(model.config, "id2label", None) or {}
    labels = [str(id2label[k]) for k in sorted(id2label)] if id2label else None
    if chosen == "image-classification":
        deep = _image_model(path, model, torch, transformers, labels)
    else:
        deep = _text_model(path, model, torch, transformers, chosen, labels)
    deep.details["architecture"] = type(model).__name__
    deep.details["device"] = str(device)
    weights = next(path / w for w in _WEIGHTS if (path / w).is_file())
    return LoadedModel(
        path=path,
        format="transformers",
        n_features=None,
        feature_names=None,
        output_kind="probabilities" if chosen.endswith("classification") else "values",
        sha256=file_sha256(weights),
        trained_sklearn_version=None,
        classes=labels if chosen != "feature-extraction" else None,
        estimator=type(model).__name__,
        schema=InputSchema(columns=()),
        framework="transformers",
        framework_version=str(transformers.__version__),
        deep=deep,
    )


def _softmax(logits: Any, multi_label: bool) -> np.ndarray:
    p = logits.sigmoid() if multi_label else logits.softmax(-1)
    return np.asarray(p.float().cpu().numpy())


def _text_model(
    path: Path, model: Any, torch: Any, transformers: Any, task: str, labels: list[str] | None
) -> DeepModel:
    try:
        tok = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    except Exception as exc:
        raise ModelLoadError(
            f"{path}: the tokenizer cannot be loaded ({type(exc).__name__}: {str(exc)[:300]})"
        ) from exc
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token or tok.unk_token
    limits = [int(tok.model_max_length)] if tok.model_max_length < 1_000_000 else []
    pos = getattr(model.config, "max_position_embeddings", None)
    if isinstance(pos, int):
        limits.append(pos)
    max_len = min(limits) if limits else 512
    multi = getattr(model.config, "problem_type", None) == "multi_label_classification"
    token_task = task == "token-classification"

    def prepare(instance: Any, params: dict[str, Any], where: str) -> Prepared:
        if not isinstance(instance, str):
            raise InputError(f"{where}: send a text (a JSON string), not {type(instance).__name__}")
        truncate = params.get("truncate", False)
        if not isinstance(truncate, bool):
            raise InputError(f"`truncate` must be true or false, not {truncate!r}", 400)
        enc = tok(
            instance,
            truncation=truncate,
            max_length=max_len if truncate else None,
            return_offsets_mapping=token_task,
            return_special_tokens_mask=token_task,
        )
        n = len(enc["input_ids"])
        if n > max_len:
            raise InputError(
                f"{where}: the text is {n} tokens, over the model's maximum of {max_len}; send "
                'a shorter text or ask for truncation ({"parameters": {"truncate": true}} or '
                "serve --truncate)",
                422,
            )
        return Prepared(dict(enc), None, n)

    def run(items: list[dict[str, Any]]) -> list[Any]:
        feats = [
            {k: v for k, v in it.items() if k not in ("offset_mapping", "special_tokens_mask")}
            for it in items
        ]
        batch = tok.pad(feats, padding="longest", return_tensors="pt").to(model.device)
        with torch.inference_mode():
            out = model(**batch)
        if task == "text-classification":
            probs = _softmax(out.logits, multi)
            return [_classified(p, labels) for p in probs]
        if task == "feature-extraction":
            hidden = out.last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return [row.tolist() for row in pooled.float().cpu().numpy()]
        probs = _softmax(out.logits, False)
        answers = []
        for it, p in zip(items, probs, strict=True):
            ids = it["input_ids"]
            words = tok.convert_ids_to_tokens(ids)
            tokens = []
            for j, (special, span) in enumerate(
                zip(it["special_tokens_mask"], it["offset_mapping"], strict=True)
            ):
                if special:
                    continue
                k = int(p[j].argmax())
                tokens.append(
                    {
                        "token": words[j],
                        "label": labels[k] if labels else k,
                        "score": float(p[j][k]),
                        "start": int(span[0]),
                        "end": int(span[1]),
                    }
                )
            answers.append(tokens)
        return answers

    return DeepModel(
        kind="text",
        inputs=(TensorSpec(name="text", dtype="str", shape=(None,)),),
        outputs=(TensorSpec(name="predictions", dtype="object", shape=(None,)),),
        prepare=prepare,
        run=run,
        example="hello world",
        task=task,
        labels=labels,
        max_length=max_len,
        details={"multi_label": multi} if task == "text-classification" else {},
    )


def _classified(p: np.ndarray, labels: list[str] | None) -> dict[str, Any]:
    k = int(p.argmax())
    return {"label": labels[k] if labels else k, "score": float(p[k]), "scores": p.tolist()}


def _image_model(
    path: Path, model: Any, torch: Any, transformers: Any, labels: list[str] | None
) -> DeepModel:
    from ..deep_routes import image_bytes

    try:
        processor = transformers.AutoImageProcessor.from_pretrained(
            str(path), local_files_only=True
        )
    except Exception as exc:
        raise ModelLoadError(
            f"{path}: the image processor cannot be loaded ({type(exc).__name__}: {str(exc)[:300]})"
        ) from exc
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as exc:
        raise ModelLoadError("image models need Pillow: pip install pillow") from exc
    multi = getattr(model.config, "problem_type", None) == "multi_label_classification"

    def prepare(instance: Any, params: dict[str, Any], where: str) -> Prepared:
        raw = image_bytes(instance, where)
        try:
            with Image.open(io.BytesIO(raw)) as img:
                rgb = img.convert("RGB")
        except UnidentifiedImageError:
            raise InputError(
                f"{where}: the image cannot be decoded (not a format Pillow reads: send PNG, "
                "JPEG, WebP, GIF, BMP or TIFF bytes)"
            ) from None
        except (OSError, ValueError) as exc:
            raise InputError(f"{where}: the image cannot be decoded ({exc})") from None
        pixels = processor(images=rgb, return_tensors="np")["pixel_values"][0]
        arr = np.asarray(pixels, dtype=np.float32)
        return Prepared(arr, arr.shape, 1)

    def run(items: list[np.ndarray]) -> list[Any]:
        with torch.inference_mode():
            pixels = torch.from_numpy(np.stack(items)).to(model.device)
            logits = model(pixel_values=pixels).logits
        return [_classified(p, labels) for p in _softmax(logits, multi)]

    example_img = io.BytesIO()
    Image.new("RGB", (8, 8), (128, 64, 32)).save(example_img, format="PNG")
    import base64

    return DeepModel(
        kind="image",
        inputs=(TensorSpec(name="image", dtype="bytes", shape=(None,)),),
        outputs=(TensorSpec(name="predictions", dtype="object", shape=(None,)),),
        prepare=prepare,
        run=run,
        example={"b64": base64.b64encode(example_img.getvalue()).decode()},
        task="image-classification",
        labels=labels,
    )
