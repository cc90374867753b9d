"""Outcome vs process rewards on arithmetic chains: three arms, same PPO, data and step budget.

    python -m examples.chains.run_all                    # warm-up if missing, 3 arms x 2 seeds
    python -m examples.chains.run_all --seeds 0 --steps 60
    python -m examples.chains.run_all --table            # only rebuild table and figure

Arms (`examples/chains/ppo.yaml`, PPO with a critic):
  outcome  the math verifier's 0/1 on the `\\boxed{}` answer, on the last token;
  process  the bundled PRM's step scores as dense rewards at step ends, no outcome reward;
  both     the two added.
Every figure comes from the runs' own `metrics.jsonl`: held-out final-answer exact match and
wrong-step rate (`examples.chains.task.check_responses`, the task's truth; no PRM at
evaluation), the sampled outcome reward, the dense reward and the PRM's time per step.
Runs go one at a time by default (`--parallel`); a run already at its budget is skipped, a
shorter one resumes from its checkpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from examples.runs import finished, run_dir, run_queue
from mmreward.cli_flags import count
from mmreward.rl.curves import plot_runs
from mmreward.rl.results import read_metrics

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ARMS: dict[str, list[str]] = {
    "outcome": [],
    "process": ["process_rewards=true", "recipe=chains_prm_only"],
    "both": ["process_rewards=true"],
}
PANELS = (
    ("eval/exact_match", "held-out final-answer exact match"),
    ("eval/wrong_step_rate", "held-out wrong-step rate"),
    ("reward/accuracy", "sampled answer accuracy (verifier)"),
    ("reward/dense", "dense reward per response (sampled)"),
    ("response_length", "response length (tokens)"),
    ("seconds/prm", "PRM seconds per step"),
)


def launch(out: Path, arm: str, seed: int, steps: int | None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1"}
    target = run_dir(out, arm, seed)
    target.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "mmreward.cli", "train",
        "--config", str(HERE / "ppo.yaml"),
        "--output-dir", str(target),
        "--set", f"seed={seed}",
        "--no-progress",
    ]  # fmt: skip
    for override in ARMS[arm] + ([f"max_steps={steps}"] if steps else []):
        command += ["--set", override]
    log = (target / "train.log").open("ab")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _last3(lines: list[dict[str, Any]], key: str) -> float | None:
    values = [line[key] for line in lines if key in line]
    return sum(values[-3:]) / len(values[-3:]) if values else None


def _mean(lines: list[dict[str, Any]], key: str) -> float | None:
    values = [line[key] for line in lines if key in line and line["step"] > 0]
    return sum(values) / len(values) if values else None


def summary(path: Path) -> dict[str, Any]:
    lines = read_metrics(path)
    first = next(line for line in lines if "eval/exact_match" in line)
    steps = [line for line in lines if line["step"] > 0]
    return {
        "start": first["eval/exact_match"],
        "start_wrong": first["eval/wrong_step_rate"],
        "last3": _last3(lines, "eval/exact_match"),
        "last3_wrong": _last3(lines, "eval/wrong_step_rate"),
        "last3_steps": _last3(lines, "eval/steps_written"),
        "dense": _mean(lines, "reward/dense"),
        "dense_step": _mean(lines, "reward/dense_step_abs"),
        "prm_s": _mean(lines, "seconds/prm") or 0.0,
        "steps": steps[-1]["step"] if steps else 0,
        "wall_min": steps[-1]["wall_s"] / 60 if steps else 0.0,
        "cpu_min": steps[-1].get("cpu_s", 0.0) / 60 if steps else 0.0,
    }


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}"


def num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def table(out: Path, seeds: list[int]) -> str:
    rows = [
        "| arm | seed | exact match start | last3 | gain | wrong steps start | last3 "
        "| steps/response | dense reward | dense per step | PRM s/step | steps | wall min "
        "| CPU min |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for arm in ARMS:
        for seed in seeds:
            path = run_dir(out, arm, seed) / "metrics.jsonl"
            if not path.is_file():
                continue
            s = summary(path)
            gain = None if s["last3"] is None else 100 * (s["last3"] - s["start"])
            rows.append(
                f"| {arm} | {seed} | {pct(s['start'])} | {pct(s['last3'])} "
                f"| {'—' if gain is None else f'{gain:+.1f}'} | {pct(s['start_wrong'])} "
                f"| {pct(s['last3_wrong'])} | {num(s['last3_steps'], 2)} | {num(s['dense'])} "
                f"| {num(s['dense_step'])} | {s['prm_s']:.2f} | {s['steps']} "
                f"| {s['wall_min']:.1f} | {s['cpu_min']:.1f} |"
            )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "chains")
    parser.add_argument("--steps", type=int, help="training steps per run; default: the config's")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    parser.add_argument("--parallel", type=count, default=1)
    parser.add_argument("--figure", type=Path, default=ROOT / "docs" / "chains_curves.png")
    parser.add_argument("--table", action="store_true", help="only summarise existing runs")
    args = parser.parse_args(argv)

    if not args.table:
        if not (args.out / "sft" / "config.json").is_file():
            subprocess.run(
                [sys.executable, "-m", "examples.chains.sft", "--out", str(args.out)],
                cwd=ROOT,
                check=True,
                env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1"},
            )
        budget = args.steps or 150
        queue = [
            (arm, seed)
            for seed in args.seeds
            for arm in args.arms
            if not finished(run_dir(args.out, arm, seed), budget)
        ]
        run_queue(queue, lambda arm, seed: launch(args.out, arm, seed, args.steps), args.parallel)

    result = table(args.out, args.seeds)
    print(result)
    (args.out / "results.md").write_text(result + "\n", encoding="utf-8")
    runs = {
        f"{arm} s{seed}": run_dir(args.out, arm, seed) / "metrics.jsonl"
        for arm in ARMS
        for seed in args.seeds
        if (run_dir(args.out, arm, seed) / "metrics.jsonl").is_file()
    }
    if runs:
        args.figure.parent.mkdir(parents=True, exist_ok=True)
        plot_runs(runs, args.figure, PANELS, grid=(2, 3))
    print(json.dumps({"figure": str(args.figure), "table": str(args.out / "results.md")}))


if __name__ == "__main__":
    main()
