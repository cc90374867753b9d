"""TRL's GRPOTrainer beside mmreward's GRPO: same policy, data, reward and budget, one run.

    python bench/trl_grpo_vs_ours.py --budget 120        # CPU seconds of training per trainer

Both start from the arith SFT checkpoint (`python -m examples.arith.sft` writes it), sample 32
prompts x 8 at temperature 1 with at most 16 new tokens, use lr 2e-4 with 20 warm-up steps,
the GRPO loss (per-sequence token mean, group std scaling, clip 0.2, no KL) and the math
verifier through `LocalClient`: ours via a recipe, TRL's via our adapter
(`mmreward.clients.adapters.trl_reward_func`). A truncated response earns nothing in ours and
is masked out of TRL's loss (`mask_truncated_completions`). Every 10 steps both are scored
the same way: greedy answers to the same held-out prompts, math verifier, truncation wrong.
The budget is CPU time of this process (the machine is shared, wall time says more about the
neighbours); evaluations are excluded from it for both.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch

ROOT = Path(__file__).resolve().parents[1]
PROMPTS, GROUP, NEW_TOKENS, LR, WARMUP, EVAL_EVERY = 32, 8, 16, 2e-4, 20, 10


def load_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def greedy_accuracy(model: Any, tokenizer: Any, client: Any, rows: list[dict[str, Any]]) -> float:
    from mmreward.rl.rollout import generate

    was_training = model.training
    model.eval()
    enc = tokenizer(
        [r["prompt"] for r in rows], padding=True, padding_side="left", return_tensors="pt"
    )
    rollout = generate(
        model,
        enc["input_ids"],
        enc["attention_mask"],
        eos_id=tokenizer.eos_token_id,
        pad_id=tokenizer.pad_token_id,
        max_new_tokens=NEW_TOKENS,
        decode=lambda ids: tokenizer.decode(ids, skip_special_tokens=True),
        greedy=True,
    )
    items = [
        {"response": text, "reference": r["reference"], "truncated": cut}
        for text, r, cut in zip(rollout.texts, rows, rollout.truncated, strict=True)
    ]
    results = client.reward("math", items)
    model.train(was_training)
    return sum(r.components["accuracy"].score for r in results) / len(results)


def run_ours(args: argparse.Namespace, client: Any, out: Path) -> dict[str, Any]:
    from mmreward.rl.config import RLConfig
    from mmreward.rl.trainer import Trainer

    config = RLConfig(
        algorithm="grpo",
        policy=str(args.policy),
        train_data=str(args.data / "train.jsonl"),
        eval_data=str(args.data / "eval.jsonl"),
        eval_size=args.eval_size,
        prompts_per_step=PROMPTS,
        group_size=GROUP,
        generation_batch=PROMPTS * GROUP // 2,
        micro_batch_size=PROMPTS * GROUP // 2,
        max_new_tokens=NEW_TOKENS,
        learning_rate=LR,
        warmup_steps=WARMUP,
        eval_every=EVAL_EVERY,
        checkpoint_every=10**9,
        max_steps=10**6,
        time_budget_s=args.budget,
        budget_clock="cpu",
        seed=args.seed,
    )
    trainer = Trainer(config, out, client)
    began = time.perf_counter()
    lines = trainer.run()
    wall = time.perf_counter() - began
    evals = [
        (line["elapsed_s"], line["eval/accuracy"]) for line in lines if "eval/accuracy" in line
    ]
    return {
        "evals": evals,
        "steps": trainer.step,
        "cpu_s": trainer.elapsed,
        "wall_s": wall,
        "samples": trainer.step * PROMPTS * GROUP,
    }


def run_trl(args: argparse.Namespace, client: Any, out: Path) -> dict[str, Any]:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from mmreward.clients.adapters import trl_reward_func

    tokenizer = AutoTokenizer.from_pretrained(args.policy, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(args.policy, local_files_only=True)
    held_out = load_rows(args.data / "eval.jsonl")[: args.eval_size]
    train_rows = [
        {"prompt": r["prompt"], "reference": r["reference"]}
        for r in load_rows(args.data / "train.jsonl")
    ]

    class Budget(TrainerCallback):  # type: ignore[misc]
        """Evaluate like ours every 10 steps; stop once the CPU budget is spent."""

        def __init__(self) -> None:
            self.started = time.process_time()
            self.excluded = 0.0
            self.evals: list[tuple[float, float]] = []
            self.steps = 0

        def used(self) -> float:
            return time.process_time() - self.started - self.excluded

        def evaluate(self) -> None:
            began = time.process_time()
            accuracy = greedy_accuracy(model, tokenizer, client, held_out)
            self.excluded += time.process_time() - began
            self.evals.append((self.used(), accuracy))

        def on_train_begin(self, *a: Any, **k: Any) -> None:
            self.started = time.process_time()
            self.evaluate()

        def on_step_end(self, _args: Any, state: Any, control: Any, **k: Any) -> Any:
            self.steps = state.global_step
            done = self.used() >= args.budget
            if state.global_step % EVAL_EVERY == 0 or done:
                self.evaluate()
            control.should_training_stop = done
            return control

    config = GRPOConfig(
        output_dir=str(out),
        per_device_train_batch_size=PROMPTS * GROUP,
        num_generations=GROUP,
        max_completion_length=NEW_TOKENS,
        temperature=1.0,
        top_k=0,
        learning_rate=LR,
        warmup_steps=WARMUP,
        lr_scheduler_type="constant_with_warmup",
        max_grad_norm=1.0,
        beta=0.0,
        epsilon=0.2,
        loss_type="grpo",
        scale_rewards="group",
        mask_truncated_completions=True,
        max_steps=10**6,
        logging_steps=10**6,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        seed=args.seed,
        disable_tqdm=True,
    )
    budget = Budget()
    trainer = GRPOTrainer(
        model=model,
        processing_class=tokenizer,
        reward_funcs=[trl_reward_func(client, reference_column="reference")],
        args=config,
        train_dataset=Dataset.from_list(train_rows),
        callbacks=[budget],
    )
    began = time.perf_counter()
    trainer.train()
    wall = time.perf_counter() - began
    return {
        "evals": budget.evals,
        "steps": budget.steps,
        "cpu_s": budget.used(),
        "wall_s": wall,
        "samples": budget.steps * PROMPTS * GROUP,
    }


def first_reaching(evals: list[tuple[float, float]], target: float) -> float | None:
    return next((t for t, accuracy in evals if accuracy >= target), None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policy", type=Path, default=ROOT / "runs" / "arith" / "sft")
    parser.add_argument("--data", type=Path, default=ROOT / "runs" / "arith" / "data")
    parser.add_argument("--budget", type=float, default=120.0, help="training CPU seconds each")
    parser.add_argument("--eval-size", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gain", type=float, default=0.05, help="target = start + gain")
    args = parser.parse_args(argv)
    if not (args.policy / "config.json").is_file():
        sys.exit(f"no SFT policy at {args.policy}: run `python -m examples.arith.sft` first")
    torch.set_num_threads(1)

    import transformers
    import trl

    from mmreward.clients import LocalClient
    from mmreward.settings import Settings

    with LocalClient(Settings(sandbox_workers=1)) as client, tempfile.TemporaryDirectory() as tmp:
        results = {
            "mmreward GRPO": run_ours(args, client, Path(tmp) / "ours"),
            "TRL GRPOTrainer": run_trl(args, client, Path(tmp) / "trl"),
        }
    start = results["mmreward GRPO"]["evals"][0][1]
    target = start + args.gain
    print(
        f"# GRPO on arith, {args.budget:.0f} CPU-s of training each, 1 torch thread; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared); "
        f"torch {torch.__version__}, transformers {transformers.__version__}, trl {trl.__version__}"
    )
    print(f"start accuracy {100 * start:.1f}; target {100 * target:.1f}")
    print("| trainer | steps | samples/CPU-s | samples/wall-s | end acc | peak acc "
          "| CPU-s to target |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        hit = first_reaching(r["evals"], target)
        print(
            f"| {name} | {r['steps']} | {r['samples'] / max(r['cpu_s'], 1e-9):.0f} "
            f"| {r['samples'] / max(r['wall_s'], 1e-9):.0f} | {100 * r['evals'][-1][1]:.1f} "
            f"| {100 * max(a for _, a in r['evals']):.1f} "
            f"| {'—' if hit is None else f'{hit:.0f}'} |"
        )


if __name__ == "__main__":
    main()
