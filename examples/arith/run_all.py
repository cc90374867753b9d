"""Every algorithm on the arith task, then one results table and one figure.

    python -m examples.arith.run_all                 # SFT warm-up if missing, then 4 x 2 runs
    python -m examples.arith.run_all --seeds 0       # one seed
    python -m examples.arith.run_all --table         # only rebuild table and figure from runs/

Each run trains for its config's `max_steps` (a budget in steps: the same work on any
machine), one at a time with the machine's cores (`--parallel N` runs N at once and shares
the cores out). The headline is greedy
exact match on the 500 held-out prompts (the response must be `\\boxed{<sum>}` and end),
as the mean of the last three evaluations (every 10 steps), since adjacent ones swing by
several points; the verifier's accuracy (which also takes `85` or `\\boxed{80+5}`) is shown
beside it. Wall-clock and CPU minutes of the training steps, and wall-clock minutes with the
evaluations, are information about the machine, not the budget. A
run at its budget is skipped, a shorter one resumes from its checkpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from examples.runs import finished, run_dir, run_queue
from mmreward.cli_flags import count
from mmreward.rl.curves import plot_curves
from mmreward.rl.results import read_metrics, summarise

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ALGORITHMS = ("grpo", "dapo", "dr_grpo", "ppo")


def config_steps(algorithm: str) -> int:
    data = yaml.safe_load((HERE / f"{algorithm}.yaml").read_text(encoding="utf-8"))
    return int(data["max_steps"])


def launch(
    out: Path, algorithm: str, seed: int, steps: int | None, threads: int
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": str(threads)}
    target = run_dir(out, algorithm, seed)
    target.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "mmreward.cli", "train",
        "--config", str(HERE / f"{algorithm}.yaml"),
        "--output-dir", str(target),
        "--set", f"seed={seed}",
        "--set", f"torch_threads={threads}",
        "--no-progress",
    ]  # fmt: skip
    if steps is not None:
        command += ["--set", f"max_steps={steps}"]
    log = (target / "train.log").open("ab")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}"


def table(out: Path, seeds: list[int], algorithms: list[str], steps: int | None) -> str:
    rows = [
        "| algorithm | seed | budget (steps) | steps run | samples | start | half | end "
        "| last3 | gain (last3 - start) | verifier acc. last3 | wall min | CPU min "
        "| wall min with evals |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for algorithm in algorithms:
        for seed in seeds:
            path = run_dir(out, algorithm, seed) / "metrics.jsonl"
            if not path.is_file():
                continue
            lines = read_metrics(path)
            s = summarise(lines)
            if s is None:
                continue
            verifier = summarise(lines, metric="eval/verifier_accuracy")
            rows.append(
                f"| {algorithm} | {seed} | {steps or config_steps(algorithm)} | {s.steps} "
                f"| {s.samples} | {pct(s.start)} | {pct(s.half)} | {pct(s.end)} "
                f"| {pct(s.last_k)} | {100 * s.gain:+.1f} | {pct(verifier and verifier.last_k)} "
                f"| {s.wall_s / 60:.1f} | {s.cpu_s / 60:.1f} | {(s.wall_s + s.eval_s) / 60:.1f} |"
            )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "arith")
    parser.add_argument("--steps", type=int, help="training steps per run; default: each config's")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--algorithms", nargs="+", default=list(ALGORITHMS))
    parser.add_argument("--parallel", type=count, default=1, help="runs at once")
    parser.add_argument(
        "--threads", type=count, help="torch threads per run; default: the cores shared out (<= 4)"
    )
    parser.add_argument("--figure", type=Path, default=ROOT / "docs" / "rl_curves.png")
    parser.add_argument("--table", action="store_true", help="only summarise existing runs")
    args = parser.parse_args(argv)

    threads = args.threads or max(1, min(4, (os.cpu_count() or 1) // args.parallel))
    if not args.table:
        if not (args.out / "sft" / "config.json").is_file():
            subprocess.run(
                [sys.executable, "-m", "examples.arith.sft", "--out", str(args.out)],
                cwd=ROOT,
                check=True,
                env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1"},
            )
        queue = [
            (a, s)
            for s in args.seeds
            for a in args.algorithms
            if not finished(run_dir(args.out, a, s), args.steps or config_steps(a))
        ]
        run_queue(
            queue,
            lambda algorithm, seed: launch(args.out, algorithm, seed, args.steps, threads),
            args.parallel,
        )

    result = table(args.out, args.seeds, args.algorithms, args.steps)
    print(result)
    (args.out / "results.md").write_text(result + "\n", encoding="utf-8")
    runs = {
        f"{a} s{s}": run_dir(args.out, a, s) / "metrics.jsonl"
        for a in args.algorithms
        for s in args.seeds
        if (run_dir(args.out, a, s) / "metrics.jsonl").is_file()
    }
    if runs:
        args.figure.parent.mkdir(parents=True, exist_ok=True)
        plot_curves(next(iter(runs.values())), args.figure, runs)
        print(json.dumps({"figure": str(args.figure), "table": str(args.out / "results.md")}))


if __name__ == "__main__":
    main()
