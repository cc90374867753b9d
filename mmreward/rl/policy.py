"""Load a local policy (causal LM, or a vision-language model with its processor) and turn
prompt records into the tensors `generate` takes."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch import nn
from transformers import (
    AutoModelForCausalLM,
    AutoModelForImageTextToText,
    AutoProcessor,
    AutoTokenizer,
)

from mmreward.errors import InvalidInputError


@dataclass
class Policy:
    model: Any
    tokenizer: Any
    processor: Any | None
    """Set for a vision-language policy: it expands the image placeholder and makes pixels."""

    @property
    def eos_id(self) -> int:
        return int(self.tokenizer.eos_token_id)

    @property
    def pad_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return int(pad if pad is not None else self.tokenizer.eos_token_id)

    @property
    def suppressed(self) -> list[int]:
        """Tokens a response may not contain: a VLM's image placeholder."""
        image = getattr(self.model.config, "image_token_id", None)
        return [] if self.processor is None or image is None else [int(image)]

    def decode(self, ids: list[int]) -> str:
        return str(self.tokenizer.decode(ids, skip_special_tokens=True))

    def encode(
        self, records: list[dict[str, Any]]
    ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """Left-padded prompt ids, their mask, and extra inputs (pixels) with one row each."""
        prompts = [str(r["prompt"]) for r in records]
        if self.processor is None:
            enc = self.tokenizer(prompts, padding=True, padding_side="left", return_tensors="pt")
            return enc["input_ids"], enc["attention_mask"], {}
        images = [decode_png(r["image"]) for r in records]
        enc = self.processor(
            text=prompts, images=images, padding=True, padding_side="left", return_tensors="pt"
        )
        extras = {k: v for k, v in enc.items() if k not in ("input_ids", "attention_mask")}
        return enc["input_ids"], enc["attention_mask"], extras

    def save(self, directory: Path) -> None:
        self.model.save_pretrained(directory)
        (self.processor or self.tokenizer).save_pretrained(directory)


def decode_png(data: str) -> Image.Image:
    """A base64 PNG/JPEG as RGB (the trainer's own data; the service validates user images)."""
    return Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")


def is_vision_language(path: Path) -> bool:
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    return "vision_config" in config


def load_policy(path: Path, device: str = "cpu") -> Policy:
    """From a local directory only (`local_files_only`): training never downloads."""
    if not (path / "config.json").is_file():
        raise InvalidInputError(f"policy {path} is not a model directory (no config.json)")
    model: Any
    if is_vision_language(path):
        processor = AutoProcessor.from_pretrained(path, local_files_only=True)  # type: ignore[no-untyped-call]
        model = AutoModelForImageTextToText.from_pretrained(path, local_files_only=True)
        tokenizer = processor.tokenizer
    else:
        processor = None
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
    model.to(device)
    model.generation_config.top_k = None
    return Policy(model, tokenizer, processor)


class ValueModel(nn.Module):
    """PPO's critic: the policy's trunk (a separate copy) with a scalar head per position.

    Initialised from the policy, as VC-PPO and OpenRLHF do; the head starts at zero so the
    first values are 0 rather than noise.
    """

    def __init__(self, trunk: nn.Module, hidden_size: int) -> None:
        super().__init__()
        self.trunk = trunk
        self.head = nn.Linear(hidden_size, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, **inputs: Any) -> torch.Tensor:
        hidden = self.trunk(**inputs).last_hidden_state
        values: torch.Tensor = self.head(hidden).squeeze(-1)
        return values


def build_critic(policy_path: Path, device: str = "cpu") -> ValueModel:
    auto = AutoModelForImageTextToText if is_vision_language(policy_path) else AutoModelForCausalLM
    model = auto.from_pretrained(policy_path, local_files_only=True)
    hidden = int(model.config.get_text_config().hidden_size)
    return ValueModel(model.base_model, hidden).to(device)
