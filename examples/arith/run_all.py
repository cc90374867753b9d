"""Every algorithm on the arith task, then one results table and one figure.

    python -m examples.arith.run_all                 # SFT warm-up if missing, then 4 x 2 runs
    python -m examples.arith.run_all --seeds 0       # one seed
    python -m examples.arith.run_all --table         # only rebuild table and figure from runs/

Each run trains for its config's `time_budget_s` on its `budget_clock` (the configs use CPU
seconds of the training process: on a shared machine that is the work done, not how busy the
neighbours were), evaluations excluded, with one torch thread; `--parallel` runs that many at
once. Accuracy is greedy exact-match on 500 held-out prompts, scored by the math verifier with
truncated responses counted wrong; "last3" is the mean of the last three evaluations, since
adjacent evaluations swing by several points. A run already at its budget is skipped, a
shorter one resumes from its checkpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from mmreward.rl.curves import plot_curves, read_metrics

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ALGORITHMS = ("grpo", "dapo", "dr_grpo", "ppo")


def run_dir(out: Path, algorithm: str, seed: int) -> Path:
    return out / f"{algorithm}-seed{seed}"


def config_budget(algorithm: str) -> float:
    data = yaml.safe_load((HERE / f"{algorithm}.yaml").read_text(encoding="utf-8"))
    return float(data.get("time_budget_s", 0.0))


def launch(out: Path, algorithm: str, seed: int, budget: float | None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1"}
    target = run_dir(out, algorithm, seed)
    target.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "mmreward.cli", "train",
        "--config", str(HERE / f"{algorithm}.yaml"),
        "--output-dir", str(target),
        "--set", f"seed={seed}",
        "--no-progress",
    ]  # fmt: skip
    if budget is not None:
        command += ["--set", f"time_budget_s={budget}"]
    log = (target / "train.log").open("ab")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def finished(target: Path, budget: float) -> bool:
    """A run whose metrics reached the budget; anything less is resumed from its checkpoint."""
    path = target / "metrics.jsonl"
    return path.is_file() and read_metrics(path)[-1]["elapsed_s"] >= budget


def accuracy_at(lines: list[dict[str, Any]], seconds: float) -> float | None:
    """The last evaluation at or before `seconds` of training."""
    evals = [line for line in lines if "eval/accuracy" in line and line["elapsed_s"] <= seconds]
    return evals[-1]["eval/accuracy"] if evals else None


def summary(path: Path, budget: float) -> dict[str, Any]:
    lines = read_metrics(path)
    evals = [line["eval/accuracy"] for line in lines if "eval/accuracy" in line]
    steps = [line for line in lines if line["step"] > 0]
    return {
        "start": evals[0],
        "half": accuracy_at(lines, budget / 2),
        "end": evals[-1],
        "last3": sum(evals[-3:]) / len(evals[-3:]),
        "peak": max(evals),
        "steps": steps[-1]["step"] if steps else 0,
        "budget_s": steps[-1]["elapsed_s"] if steps else 0.0,
        "wall_min": steps[-1]["wall_s"] / 60 if steps else 0.0,
    }


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}"


def table(out: Path, seeds: list[int], budget: float | None) -> str:
    rows = [
        "| algorithm | seed | start | half budget | end | last3 | gain (last3 - start) | peak "
        "| steps | budget clock s | wall min |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for algorithm in ALGORITHMS:
        for seed in seeds:
            path = run_dir(out, algorithm, seed) / "metrics.jsonl"
            if not path.is_file():
                continue
            s = summary(path, budget or config_budget(algorithm))
            rows.append(
                f"| {algorithm} | {seed} | {pct(s['start'])} | {pct(s['half'])} | {pct(s['end'])} "
                f"| {pct(s['last3'])} | {100 * (s['last3'] - s['start']):+.1f} | {pct(s['peak'])} "
                f"| {s['steps']} | {s['budget_s']:.0f} | {s['wall_min']:.1f} |"
            )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "arith")
    parser.add_argument(
        "--budget", type=float, help="training seconds per run; default: each config's"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--algorithms", nargs="+", default=list(ALGORITHMS))
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--figure", type=Path, default=ROOT / "docs" / "rl_curves.png")
    parser.add_argument("--table", action="store_true", help="only summarise existing runs")
    args = parser.parse_args(argv)

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
            if not finished(run_dir(args.out, a, s), args.budget or config_budget(a))
        ]
        running: list[subprocess.Popen[bytes]] = []
        while queue or running:
            while queue and len(running) < args.parallel:
                algorithm, seed = queue.pop(0)
                print(f"start {algorithm} seed {seed}", flush=True)
                running.append(launch(args.out, algorithm, seed, args.budget))
            time.sleep(5)
            running = [p for p in running if p.poll() is None]

    result = table(args.out, args.seeds, args.budget)
    print(result)
    (args.out / "results.md").write_text(result + "\n", encoding="utf-8")
    runs = {
        f"{a} s{s}": run_dir(args.out, a, s) / "metrics.jsonl"
        for a in ALGORITHMS
        for s in args.seeds
        if (run_dir(args.out, a, s) / "metrics.jsonl").is_file()
    }
    args.figure.parent.mkdir(parents=True, exist_ok=True)
    plot_curves(next(iter(runs.values())), args.figure, runs)
    print(json.dumps({"figure": str(args.figure), "table": str(args.out / "results.md")}))


if __name__ == "__main__":
    main()
