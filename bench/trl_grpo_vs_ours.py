"""TRL's GRPOTrainer beside mmreward's GRPO: same policy, data, reward, truncation rule and
step budget, alternated over three seeds in one process.

    python bench/trl_grpo_vs_ours.py                   # 3 seeds x 60 steps each
    python bench/trl_grpo_vs_ours.py --steps 30 --seeds 0 1 2

Both start from the arith SFT checkpoint (`python -m examples.arith.sft` writes it), sample 32
prompts x 8 at temperature 1 with at most 16 new tokens, use lr 2e-4 with 20 warm-up steps,
the GRPO loss (per-sequence token mean, group std scaling, clip 0.2, no KL, one update per
batch) and the math verifier through `LocalClient`: ours via a recipe, TRL's via our adapter
(`mmreward.clients.adapters.trl_reward_func`). The truncation rule is the same: a completion
without EOS earns 0 in both (TRL's reward function is given `eos_token_id`) and stays in both
losses. The budget is steps, so both see the same number of samples; accuracy is compared at
that budget, throughput is a separate column. Every 10 steps both are scored the same way:
greedy answers to the same held-out prompts, exact match (`\\boxed{<sum>}` and EOS) and the
verifier's accuracy. Seeds alternate which trainer goes first, so a change in the machine's
load falls on both; the spread across seeds is shown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch

ROOT = Path(__file__).resolve().parents[1]
PROMPTS, GROUP, NEW_TOKENS, LR, WARMUP, EVAL_EVERY, LAST_K = 32, 8, 16, 2e-4, 20, 10, 3


def load_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def greedy_scores(
    model: Any, tokenizer: Any, client: Any, rows: list[dict[str, Any]]
) -> tuple[float, float]:
    """(exact match, verifier accuracy) of greedy answers, the way our trainer evaluates."""
    from mmreward.rl.results import exact_match
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
    exact = [
        exact_match(text, cut, r["target"])
        for text, cut, r in zip(rollout.texts, rollout.truncated, rows, strict=True)
    ]
    verified = [r.components["accuracy"].score for r in results]
    return sum(exact) / len(exact), sum(verified) / len(verified)


def run_ours(args: argparse.Namespace, seed: int, client: Any, out: Path) -> dict[str, Any]:
    from mmreward.rl.config import RLConfig
    from mmreward.rl.trainer import Trainer

    config = RLConfig(
        algorithm="grpo",
        policy=str(args.policy),
        train_data=str(args.data / "train.jsonl"),
        eval_data=str(args.data / "eval.jsonl"),
        exact_match_column="target",
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
        max_steps=args.steps,
        seed=seed,
    )
    trainer = Trainer(config, out, client)
    lines = trainer.run()
    evals = [
        (line["eval/exact_match"], line["eval/verifier_accuracy"])
        for line in lines
        if "eval/exact_match" in line
    ]
    return {"evals": evals, "steps": trainer.step, "cpu_s": trainer.cpu, "wall_s": trainer.wall}


def run_trl(args: argparse.Namespace, seed: int, client: Any, out: Path) -> dict[str, Any]:
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

    class Clock(TrainerCallback):  # type: ignore[misc]
        """Evaluate like ours every 10 steps; keep evaluations out of the training time."""

        def __init__(self) -> None:
            self.cpu = self.wall = 0.0
            self.evals: list[tuple[float, float]] = []
            self.steps = 0

        def evaluate(self) -> None:
            self.evals.append(greedy_scores(model, tokenizer, client, held_out))

        def on_train_begin(self, *a: Any, **k: Any) -> None:
            self.evaluate()
            self.began = (time.process_time(), time.perf_counter())

        def on_step_end(self, _args: Any, state: Any, control: Any, **k: Any) -> Any:
            self.steps = state.global_step
            self.cpu += time.process_time() - self.began[0]
            self.wall += time.perf_counter() - self.began[1]
            if state.global_step % EVAL_EVERY == 0 or state.global_step >= args.steps:
                self.evaluate()
            self.began = (time.process_time(), time.perf_counter())
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
        # Ours keeps a truncated response in the loss with reward 0; so does this.
        mask_truncated_completions=False,
        max_steps=args.steps,
        logging_steps=10**6,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        seed=seed,
        disable_tqdm=True,
    )
    clock = Clock()
    reward = trl_reward_func(
        client, reference_column="reference", eos_token_id=tokenizer.eos_token_id
    )
    trainer = GRPOTrainer(
        model=model,
        processing_class=tokenizer,
        reward_funcs=[reward],
        args=config,
        train_dataset=Dataset.from_list(train_rows),
        callbacks=[clock],
    )
    trainer.train()
    return {"evals": clock.evals, "steps": clock.steps, "cpu_s": clock.cpu, "wall_s": clock.wall}


def last_k(evals: list[tuple[float, float]], index: int) -> float:
    tail = [e[index] for e in evals[-LAST_K:]]
    return sum(tail) / len(tail)


def spread(values: list[float], scale: float = 100.0, digits: int = 1) -> str:
    """mean (min-max) over seeds."""
    low, mean, high = (scale * v for v in (min(values), statistics.fmean(values), max(values)))
    return f"{mean:.{digits}f} ({low:.{digits}f} to {high:.{digits}f})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policy", type=Path, default=ROOT / "runs" / "arith" / "sft")
    parser.add_argument("--data", type=Path, default=ROOT / "runs" / "arith" / "data")
    parser.add_argument("--steps", type=int, default=60, help="training steps per run")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--eval-size", type=int, default=500)
    args = parser.parse_args(argv)
    if not (args.policy / "config.json").is_file():
        sys.exit(f"no SFT policy at {args.policy}: run `python -m examples.arith.sft` first")
    torch.set_num_threads(1)

    import transformers
    import trl

    from mmreward.clients import LocalClient
    from mmreward.settings import Settings

    trainers = {"mmreward GRPO": run_ours, "TRL GRPOTrainer": run_trl}
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in trainers}
    with LocalClient(Settings(sandbox_workers=1)) as client, tempfile.TemporaryDirectory() as tmp:
        for turn, seed in enumerate(args.seeds):
            order = list(trainers) if turn % 2 == 0 else list(reversed(trainers))
            for name in order:
                print(f"seed {seed}: {name}", file=sys.stderr, flush=True)
                out = Path(tmp) / f"{name.split()[0]}-{seed}"
                results[name].append({"seed": seed, **trainers[name](args, seed, client, out)})

    samples = args.steps * PROMPTS * GROUP
    print(
        f"# GRPO on arith, {args.steps} steps ({samples} samples) per run, seeds "
        f"{' '.join(map(str, args.seeds))}, 1 torch thread; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared); "
        f"torch {torch.__version__}, transformers {transformers.__version__}, trl {trl.__version__}"
    )
    print(
        "| trainer | seed | start exact | exact match last3 | verifier acc. last3 "
        "| samples/wall-s | samples/CPU-s | wall s | CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, runs in results.items():
        for r in runs:
            n = r["steps"] * PROMPTS * GROUP
            print(
                f"| {name} | {r['seed']} | {100 * r['evals'][0][0]:.1f} "
                f"| {100 * last_k(r['evals'], 0):.1f} | {100 * last_k(r['evals'], 1):.1f} "
                f"| {n / r['wall_s']:.0f} | {n / r['cpu_s']:.0f} "
                f"| {r['wall_s']:.0f} | {r['cpu_s']:.0f} |"
            )
    print("\nMean (min-max) over seeds:\n")
    print("| trainer | exact match last3 | gain (last3 - start) | samples/wall-s | samples/CPU-s |")
    print("|---|---|---|---|---|")
    for name, runs in results.items():
        exact = [last_k(r["evals"], 0) for r in runs]
        gain = [last_k(r["evals"], 0) - r["evals"][0][0] for r in runs]
        per_wall = [r["steps"] * PROMPTS * GROUP / r["wall_s"] for r in runs]
        per_cpu = [r["steps"] * PROMPTS * GROUP / r["cpu_s"] for r in runs]
        print(
            f"| {name} | {spread(exact)} | {spread(gain)} "
            f"| {spread(per_wall, 1.0, 0)} | {spread(per_cpu, 1.0, 0)} |"
        )


if __name__ == "__main__":
    main()
