"""Arithmetic chains in the bundled PRM's domain, as a multi-step RL task.

A prompt is `Compute: 7 * 3 + 11 - 4` and a line break; the expected response is one operation
per line in the PRM's own step format (`<a> <op> <b> = <r>`, post-order of the expression tree),
then `The answer is \\boxed{28}.`:

    7 * 3 = 21
    21 + 11 = 32
    32 - 4 = 28
    The answer is \\boxed{28}.

Problems come from `mmreward.prm.synthetic` (operands in 1..12, every value within -300..300),
so every step is one the PRM was trained to judge. The PRM knows chains of 3-5 operands over
`+ - *`; the task's default is 3 operands over `+ -` (two operations, then the answer line),
because a policy of this size, one character per token, learns those to a modest accuracy in a
short supervised warm-up, where products such as `11 * 24 = 264` and longer chains take it
hours on two CPU cores (`--operands` and `--operators` of the warm-up choose). The
PRM's answer line is `The answer is 28.`: the trainer's process rewards unwrap the box before
scoring (`mmreward.rl.process.prm_steps`). Each record knows its true step values, so an
evaluation can count wrong intermediate steps without asking the PRM.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from mmreward.prm.synthetic import apply, make_chain

CHARACTERS = "0123456789+-*=() \n\\{}.:CTabcdehimnoprstuwx"
SPECIAL = ["<pad>", "<eos>"]
EVAL_PROMPTS = 500
VALID_PROMPTS = 200
STEP = re.compile(r"^\s*(-?\d+)\s*([-+*])\s*(-?\d+)\s*=\s*(-?\d+)\s*$")


def build_tokenizer() -> PreTrainedTokenizerFast:
    """One token per character: the policy must learn the digits' arithmetic itself."""
    vocab = {token: i for i, token in enumerate([*SPECIAL, *CHARACTERS])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<pad>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex("[\\s\\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", unk_token="<pad>"
    )


def build_model(vocab_size: int, hidden: int = 128, layers: int = 4, seed: int = 0) -> Any:
    """A Llama of ~0.8M parameters (hidden 128, 4 layers), built from config."""
    import torch

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=4 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=256,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    return LlamaForCausalLM(config)


def chain_record(rng: random.Random, n_operands: int | None = None) -> dict[str, Any]:
    """One problem with its worked response and the true value of every step."""
    chain = make_chain(rng, n_operands=n_operands, error_p=0.0, order_mix=(1.0, 0.0))
    operations = chain.steps[:-1]
    values = [int(step.rsplit("=", 1)[1]) for step in operations]
    answer = values[-1]
    target = "\n".join([*operations, f"The answer is \\boxed{{{answer}}}."])
    return {
        "prompt": f"{chain.problem}\n",
        "problem": chain.problem,
        "reference": str(answer),
        "target": target,
        "step_values": values,
        "operands": len(values) + 1,
    }


def write_data(
    directory: Path,
    n_train: int = 12000,
    seed: int = 0,
    operands: Sequence[int] = (3,),
    operators: str = "+-",
) -> None:
    """Distinct problems (operand counts drawn evenly from `operands`, only `operators` used)
    split into held-out eval, the warm-up's validation, and training."""
    rng = random.Random(seed)
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    total = n_train + EVAL_PROMPTS + VALID_PROMPTS
    while len(rows) < total:
        record = chain_record(rng, n_operands=rng.choice(list(operands)))
        if set(record["problem"]) & set("+-*") - set(operators):
            continue
        if record["problem"] not in seen:
            seen.add(record["problem"])
            rows.append(record)
    splits = {
        "eval": rows[:EVAL_PROMPTS],
        "valid": rows[EVAL_PROMPTS : EVAL_PROMPTS + VALID_PROMPTS],
        "train": rows[EVAL_PROMPTS + VALID_PROMPTS :],
    }
    directory.mkdir(parents=True, exist_ok=True)
    for name, split in splits.items():
        with (directory / f"{name}.jsonl").open("w", encoding="utf-8") as handle:
            for record in split:
                handle.write(json.dumps(record) + "\n")


def wrong_steps(response: str, step_values: Sequence[int]) -> tuple[int, int]:
    """(wrong, total) operation lines of a response.

    A line `a op b = r` is wrong when `a op b != r` (an arithmetic slip) or when `r` is not the
    value of any operation of the problem (a wrong operand, or a step built on an earlier
    mistake). Any valid order of the operations counts as right; the answer line is not a step.
    """
    truth = set(step_values)
    wrong = total = 0
    for line in response.split("\n"):
        match = STEP.match(line)
        if match is None:
            continue
        a, op, b, r = int(match[1]), match[2], int(match[3]), int(match[4])
        total += 1
        if op not in "+-*" or apply(op, a, b) != r or r not in truth:  # type: ignore[arg-type]
            wrong += 1
    return wrong, total


def final_answer_correct(response: str, reference: str) -> bool:
    """Exact match of the final answer: the last line is `The answer is \\boxed{<answer>}.`"""
    lines = [line for line in response.strip().split("\n") if line.strip()]
    return bool(lines) and lines[-1].strip() == f"The answer is \\boxed{{{reference}}}."


def check_responses(
    records: Sequence[dict[str, Any]], texts: Sequence[str], truncated: Sequence[bool]
) -> dict[str, float]:
    """Evaluation figures from the task's own truth (no PRM): exact match of the final answer
    line (a truncated response is wrong), and the share of wrong operation lines among all
    operation lines written."""
    exact = [
        final_answer_correct(text, str(r["reference"])) and not cut
        for r, text, cut in zip(records, texts, truncated, strict=True)
    ]
    wrong = total = 0
    for record, text in zip(records, texts, strict=True):
        w, t = wrong_steps(text, record["step_values"])
        wrong += w
        total += t
    return {
        "exact_match": sum(exact) / max(len(exact), 1),
        "wrong_step_rate": wrong / total if total else 0.0,
        "steps_written": total / max(len(texts), 1),
    }
