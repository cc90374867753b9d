"""Supervised warm-up of the chains policy, stopped at a modest accuracy on its own validation
split (never the held-out evaluation prompts).

RL needs a policy that is sometimes right, and the comparison of outcome and process rewards
needs room to improve: the warm-up stops once greedy final-answer exact match on the
validation split reaches `--stop-at` (default 20%).

    python -m examples.chains.sft --out runs/chains
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

import torch
from transformers import LlamaForCausalLM

from examples.chains.task import build_model, build_tokenizer, check_responses, write_data
from mmreward.rl.rollout import generate

MAX_NEW_TOKENS = 64


def evaluate(model: Any, tokenizer: Any, rows: list[dict[str, Any]]) -> dict[str, float]:
    enc = tokenizer(
        [r["prompt"] for r in rows], padding=True, padding_side="left", return_tensors="pt"
    )
    rollout = generate(
        model,
        enc["input_ids"],
        enc["attention_mask"],
        eos_id=1,
        pad_id=0,
        max_new_tokens=MAX_NEW_TOKENS,
        decode=lambda ids: tokenizer.decode(ids, skip_special_tokens=True),
        greedy=True,
    )
    return check_responses(rows, rollout.texts, rollout.truncated)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/chains"))
    parser.add_argument("--stop-at", type=float, default=0.2)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--max-steps", type=int, default=20000)
    parser.add_argument("--eval-every", type=int, default=200)
    parser.add_argument("--eval-size", type=int, default=200, help="validation prompts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--operands",
        type=int,
        nargs="+",
        default=[3],
        choices=(3, 4, 5),
        help="operand counts of the problems written (only when the data does not exist yet)",
    )
    parser.add_argument("--operators", default="+-", help="operators of the problems written")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    data = args.out / "data"
    if not (data / "train.jsonl").is_file():
        write_data(data, seed=args.seed, operands=args.operands, operators=args.operators)
    rows = [json.loads(line) for line in (data / "train.jsonl").open()]
    valid = [json.loads(line) for line in (data / "valid.jsonl").open()]
    tokenizer = build_tokenizer()
    target = args.out / "sft"
    # A stopped warm-up resumes from its last evaluation's weights (the optimiser restarts).
    saved = target / "sft.json"
    start = json.loads(saved.read_text(encoding="utf-8"))["step"] if saved.is_file() else 0
    model = (
        LlamaForCausalLM.from_pretrained(target)
        if start
        else build_model(len(tokenizer), seed=args.seed)
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    rng = random.Random(args.seed)
    figures: dict[str, float] = {}
    step = 0
    for step in range(start + 1, args.max_steps + 1):
        batch = rng.sample(rows, args.batch)
        prompts = tokenizer([r["prompt"] for r in batch], add_special_tokens=False)["input_ids"]
        targets = tokenizer([r["target"] for r in batch], add_special_tokens=False)["input_ids"]
        seqs = [p + t + [1] for p, t in zip(prompts, targets, strict=True)]
        width = max(map(len, seqs))
        ids = torch.tensor([s + [0] * (width - len(s)) for s in seqs])
        labels = torch.tensor(
            [
                [-100] * len(p) + t + [1] + [-100] * (width - len(p) - len(t) - 1)
                for p, t in zip(prompts, targets, strict=True)
            ]
        )
        mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in seqs])
        model.train()
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % args.eval_every == 0:
            model.eval()
            figures = evaluate(model, tokenizer, valid[: args.eval_size])
            print(f"step {step} loss {loss.item():.3f} validation {figures}", flush=True)
            save(model, tokenizer, target, {"step": step, **figures})
            if figures["exact_match"] >= args.stop_at:
                break
    save(model, tokenizer, target, {"step": step, **figures})
    print(f"saved {target} at step {step}: validation {figures}")


def save(model: Any, tokenizer: Any, target: Path, state: dict[str, float]) -> None:
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    (target / "sft.json").write_text(json.dumps(state), encoding="utf-8")


if __name__ == "__main__":
    main()
