"""Two-digit addition as an RL toy: the data, a character tokenizer and a tiny Llama.

Everything is built from code, nothing is downloaded. A prompt is `37+48=`; the expected
response is `\\boxed{85}` followed by EOS, which the math verifier scores.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

CHARACTERS = "0123456789+-=\\{}boxed "
SPECIAL = ["<pad>", "<eos>"]
EVAL_PROMPTS = 500
VAL_PROMPTS = 500


def build_tokenizer() -> PreTrainedTokenizerFast:
    """One token per character, so the policy has to learn the digits' arithmetic itself."""
    vocab = {token: i for i, token in enumerate([*SPECIAL, *CHARACTERS])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<pad>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    core.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", unk_token="<pad>"
    )


def build_model(vocab_size: int, hidden: int = 128, seed: int = 0) -> LlamaForCausalLM:
    """~530k parameters at hidden 128: learns addition on a CPU in minutes."""
    import torch

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=4 * hidden,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=64,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    return LlamaForCausalLM(config)


def answer(a: int, b: int) -> str:
    return f"\\boxed{{{a + b}}}"


def symmetry_class(prompt: str) -> frozenset[int]:
    """The operands of `a+b=` as a set: `37+48=` and `48+37=` are one problem (commuted)."""
    left, right = prompt.rstrip("=").split("+")
    return frozenset((int(left), int(right)))


def split_pairs(seed: int = 0) -> dict[str, list[tuple[int, int]]]:
    """Every pair 10..99 + 10..99 in three splits disjoint under commutation.

    Whole classes {a, b} are drawn for each split, so `b+a` is never in training while `a+b` is
    held out (a policy could otherwise score by recalling the twin). `eval` is the held-out
    set the RL runs report, `val` is where the supervised warm-up picks its stopping point, the
    rest trains.
    """
    classes = sorted({(min(a, b), max(a, b)) for a in range(10, 100) for b in range(10, 100)})
    random.Random(seed).shuffle(classes)
    splits: dict[str, list[tuple[int, int]]] = {"eval": [], "val": [], "train": []}
    wanted = {"eval": EVAL_PROMPTS, "val": VAL_PROMPTS}
    name = "eval"
    for a, b in classes:
        if name != "train" and len(splits[name]) >= wanted[name]:
            name = "val" if name == "eval" else "train"
        splits[name].extend([(a, b)] if a == b else [(a, b), (b, a)])
    return splits


def write_data(directory: Path, seed: int = 0) -> None:
    """`eval.jsonl`, `val.jsonl` and `train.jsonl` from `split_pairs`; `target` is the exact
    expected response."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in split_pairs(seed).items():
        random.Random(seed).shuffle(rows)
        with (directory / f"{name}.jsonl").open("w", encoding="utf-8") as handle:
            for a, b in rows:
                record = {"prompt": f"{a}+{b}=", "reference": str(a + b), "target": answer(a, b)}
                handle.write(json.dumps(record) + "\n")
