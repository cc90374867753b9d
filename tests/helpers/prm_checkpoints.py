"""Tiny random checkpoints of every PRM/ORM convention, built locally and saved like real ones.

Each has its own tokenizer built with `tokenizers` (no hub access) and is written with
`save_pretrained`, so loading goes through exactly the path a user's checkpoint takes.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import (
    LlamaConfig,
    LlamaForCausalLM,
    LlamaForSequenceClassification,
    LlamaForTokenClassification,
    PreTrainedTokenizerFast,
)

CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

_WORDS = [
    "Compute",
    "The",
    "answer",
    "is",
    "what",
    "total",
    "sum",
    "of",
    "and",
    "then",
    "so",
    "we",
    "get",
    "Step",
    "step",
    "apples",
    "each",
    "day",
    "Tom",
    "has",
    "gives",
    "away",
    "left",
    "how",
    "many",
    "system",
    "user",
    "assistant",
    "Please",
    "reason",
    "by",
    "put",
    "your",
    "final",
    "within",
    "boxed",
]
_SYMBOLS = list("0123456789+-*/=().,:;?!{}\\$'\"\n")


def word_tokenizer(specials: list[str], bos: str | None) -> PreTrainedTokenizerFast:
    """A word-level tokenizer: known words, single digits and symbols, `<unk>` for the rest."""
    vocab = {tok: i for i, tok in enumerate(["<pad>", "<unk>", *specials])}
    for piece in [*_WORDS, *_SYMBOLS, " "]:
        vocab.setdefault(piece, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(" ", behavior="isolated"),
            pre_tokenizers.Split("\n", behavior="isolated"),
            pre_tokenizers.Punctuation(behavior="isolated"),
            pre_tokenizers.Digits(individual_digits=True),
        ]
    )
    if specials:
        tok.add_special_tokens([s for s in specials if s != "ки"])
    if bos is not None:
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A $B", special_tokens=[(bos, vocab[bos])]
        )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        unk_token="<unk>",
        bos_token=bos,
        additional_special_tokens=[s for s in specials if s not in (bos, "ки")],
    )


def _llama_config(tokenizer: PreTrainedTokenizerFast, **extra: object) -> LlamaConfig:
    # Llama rather than Qwen2: transformers 5 swaps in Qwen2's own tokenizer class for qwen2
    # configs, whatever tokenizer.json says; real Qwen checkpoints ship that tokenizer anyway.
    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        **extra,
    )


def build_token_cls(path: Path, seed: int = 0) -> Path:
    """TRL-style token-classification PRM with a bos token and "\\n" separator."""
    torch.manual_seed(seed)
    tokenizer = word_tokenizer(["<s>"], bos="<s>")
    LlamaForTokenClassification(_llama_config(tokenizer, num_labels=2)).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def build_qwen_prm(path: Path, seed: int = 1) -> Path:
    """Qwen2.5-Math-PRM-shaped (Llama body): chat template, `<extra_0>` separators, 2-way head."""
    torch.manual_seed(seed)
    tokenizer = word_tokenizer(["<|im_start|>", "<|im_end|>", "<extra_0>"], bos=None)
    tokenizer.chat_template = CHATML
    LlamaForTokenClassification(_llama_config(tokenizer, num_labels=2)).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def build_step_tag_lm(path: Path, seed: int = 2) -> Path:
    """Math-Shepherd-shaped: causal LM, steps tagged `ки`, good/bad tokens `+`/`-`."""
    torch.manual_seed(seed)
    tokenizer = word_tokenizer(["<s>", "ки"], bos="<s>")
    LlamaForCausalLM(_llama_config(tokenizer)).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def build_orm(path: Path, num_labels: int = 1, chat: bool = True, seed: int = 3) -> Path:
    """Sequence-classification reward model: one logit (Bradley-Terry) or a 2-label head."""
    torch.manual_seed(seed)
    tokenizer = word_tokenizer(["<s>", "<|im_start|>", "<|im_end|>"], bos="<s>")
    if chat:
        tokenizer.chat_template = CHATML
    config = _llama_config(tokenizer, num_labels=num_labels)
    LlamaForSequenceClassification(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def build_every_prm_format(root: Path) -> dict[str, Path]:
    """One tiny checkpoint per `--prm-format`, keyed by format name."""
    return {
        "token-cls": build_token_cls(root / "token-cls"),
        "qwen-prm": build_qwen_prm(root / "qwen-prm"),
        "step-tag-lm": build_step_tag_lm(root / "step-tag-lm"),
    }
