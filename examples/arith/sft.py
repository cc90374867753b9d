"""Supervised warm-up of the arith policy, stopped at a modest greedy accuracy.

RL needs a policy that is sometimes right (a group of all-wrong answers has no signal), but
the comparison is only interesting if there is much left to learn: the warm-up stops once
greedy exact match on its own validation split (`val.jsonl`, disjoint from the RL runs'
held-out `eval.jsonl` and from training under commutation) reaches `--stop-at` (default 20%).
The held-out set is scored once, at the end, for the record only.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import torch

from examples.arith.task import build_model, build_tokenizer, write_data
from mmreward.rl.rollout import generate


def exact_match(model: torch.nn.Module, tokenizer: object, rows: list[dict[str, str]]) -> float:
    enc = tokenizer(
        [r["prompt"] for r in rows], padding=True, padding_side="left", return_tensors="pt"
    )  # type: ignore[operator]
    rollout = generate(
        model,
        enc["input_ids"],
        enc["attention_mask"],
        eos_id=1,
        pad_id=0,
        max_new_tokens=16,
        decode=lambda ids: tokenizer.decode(ids, skip_special_tokens=True),  # type: ignore[attr-defined]
        greedy=True,
    )
    hits = [
        text == row["target"] and not cut
        for text, row, cut in zip(rollout.texts, rows, rollout.truncated, strict=True)
    ]
    return sum(hits) / len(hits)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("runs/arith"))
    parser.add_argument("--stop-at", type=float, default=0.20)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--max-steps", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    data = args.out / "data"
    write_data(data, args.seed)
    rows = [json.loads(line) for line in (data / "train.jsonl").open()]
    validation = [json.loads(line) for line in (data / "val.jsonl").open()]
    held_out = [json.loads(line) for line in (data / "eval.jsonl").open()]
    tokenizer = build_tokenizer()
    model = build_model(len(tokenizer), args.hidden, args.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    rng = random.Random(args.seed)
    accuracy = 0.0
    for step in range(1, args.max_steps + 1):
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
        model.train()
        loss = model(
            input_ids=ids, attention_mask=(ids != 0).long() | (labels != -100).long(), labels=labels
        ).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 5 == 0:
            model.eval()
            accuracy = exact_match(model, tokenizer, validation)
            print(
                f"step {step} loss {loss.item():.3f} validation exact match {accuracy:.3f}",
                flush=True,
            )
            if accuracy >= args.stop_at:
                break
    model.save_pretrained(args.out / "sft")
    tokenizer.save_pretrained(args.out / "sft")
    model.eval()
    held_out_accuracy = exact_match(model, tokenizer, held_out)
    record = {"step": step, "val_exact_match": accuracy, "eval_exact_match": held_out_accuracy}
    (args.out / "sft" / "sft.json").write_text(json.dumps(record))
    print(
        f"saved {args.out / 'sft'} at step {step}: validation exact match {accuracy:.3f}, "
        f"held-out {held_out_accuracy:.3f}"
    )


if __name__ == "__main__":
    main()
