"""A VLM that learns to count from the detector, without labels: three arms at equal samples.

    python -m examples.shapes.run_all                    # data, warm-up, 3 arms x 2 seeds
    python -m examples.shapes.run_all --seeds 0 --steps 30
    python -m examples.shapes.run_all --table            # only rebuild table and figure

Arms, each starting from the same warm-up (supervised on 2,000 labelled base scenes):
  detector  GRPO on unlabelled scenes (half base, half wide), rewarded only by the detector-
            grounded count and hallucination rewards (`examples/shapes/grpo.yaml`);
  labels    the same prompts with their true counts as `grounding_reference` (upper bound);
  sft       supervised training continued on the small labelled set, same number of samples
            (an RL step is 16 prompts x 8 samples = 128).
Held-out figures come from the scenes' truth (`examples.shapes.task.check_responses`): count
accuracy on base and on wide scenes (more and smaller shapes than anything labelled), CHAIR_i
and CHAIR_s of descriptions. `detector_agreement` in the table's header line is the share of
held-out count questions where the detector's count equals the truth: the ceiling of what its
reward can teach, per scene style.
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
ARMS = ("detector", "labels", "sft")
TRAIN_DATA = {"detector": "rl.jsonl", "labels": "rl_labelled.jsonl"}
SAMPLES_PER_STEP = 128
PANELS = (
    ("eval/count_accuracy_base", "held-out count accuracy, base scenes"),
    ("eval/count_accuracy_wide", "held-out count accuracy, wide scenes"),
    ("eval/chair_i", "CHAIR_i of descriptions"),
    ("eval/chair_s", "CHAIR_s of descriptions"),
    ("reward/grounding", "sampled grounded reward"),
    ("entropy", "entropy"),
)
ENV = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1"}


def prepare(out: Path, warmup_steps: int) -> None:
    if not (out / "data" / "eval.jsonl").is_file():
        from examples.shapes.task import write_data

        write_data(out / "data")
    if not (out / "warmup" / "model" / "config.json").is_file():
        command = [
            sys.executable, "-m", "examples.shapes.sft",
            "--data", str(out / "data"), "--out", str(out / "warmup"),
            "--steps", str(warmup_steps),
        ]  # fmt: skip
        subprocess.run(command, cwd=ROOT, check=True, env=ENV)


def launch(out: Path, arm: str, seed: int, steps: int, eval_every: int) -> subprocess.Popen[bytes]:
    target = run_dir(out, arm, seed)
    target.mkdir(parents=True, exist_ok=True)
    if arm == "sft":
        command = [
            sys.executable, "-m", "examples.shapes.sft",
            "--data", str(out / "data"), "--init", str(out / "warmup" / "model"),
            "--out", str(target), "--seed", str(seed),
            "--samples", str(steps * SAMPLES_PER_STEP),
            "--eval-every-samples", str(eval_every * SAMPLES_PER_STEP),
            "--samples-per-step", str(SAMPLES_PER_STEP),
        ]  # fmt: skip
    else:
        command = [
            sys.executable, "-m", "mmreward.cli", "train",
            "--config", str(HERE / "grpo.yaml"), "--output-dir", str(target),
            "--set", f"seed={seed}", "--set", f"max_steps={steps}",
            "--set", f"eval_every={eval_every}",
            "--set", f"policy={out / 'warmup' / 'model'}",
            "--set", f"eval_data={out / 'data' / 'eval.jsonl'}",
            "--set", f"train_data={out / 'data' / TRAIN_DATA[arm]}",
            "--no-progress",
        ]  # fmt: skip
    log = (target / "train.log").open("ab")
    return subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=log, stderr=subprocess.STDOUT)


def detector_agreement(out: Path) -> dict[str, float]:
    """Per scene style, the share of held-out count questions where the detector's count is
    the true one."""
    from mmreward.clients import LocalClient
    from mmreward.settings import Settings

    rows = [r for r in read_metrics(out / "data" / "eval.jsonl") if r["kind"] != "describe"]
    items = [
        {"image": r["image"], "question": r["question"], "response": r["target"], "task": "count"}
        for r in rows
    ]
    with LocalClient(Settings(sandbox_workers=1)) as client:
        verdicts = client.grounding_score(items)
    agreement: dict[str, float] = {}
    for style in ("base", "wide"):
        hits = [v.reward for r, v in zip(rows, verdicts, strict=True) if r["style"] == style]
        agreement[style] = sum(hits) / max(len(hits), 1)
    return agreement


def _avg(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summary(path: Path) -> dict[str, Any]:
    lines = read_metrics(path)
    evals = [line for line in lines if "eval/count_accuracy" in line]

    def first(key: str) -> float | None:
        return evals[0].get(key) if evals else None

    def last3(key: str) -> float | None:
        return _avg([line[key] for line in evals if key in line][-3:])

    figures: dict[str, Any] = {}
    keys = ("count_accuracy", "count_accuracy_base", "count_accuracy_wide", "chair_i", "chair_s")
    for key in keys:
        figures[f"{key}_start"] = first(f"eval/{key}")
        figures[f"{key}_last3"] = last3(f"eval/{key}")
    figures["steps"] = lines[-1]["step"]
    figures["wall_min"] = lines[-1].get("wall_s", 0.0) / 60
    return figures


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}"


def table(out: Path, seeds: list[int]) -> str:
    rows = [
        "| arm | seed | count acc start | last3 | gain | base last3 | wide start | wide last3 "
        "| CHAIR_i start | last3 | CHAIR_s start | last3 | steps (x128 samples) | wall min |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for arm in ARMS:
        for seed in seeds:
            path = run_dir(out, arm, seed) / "metrics.jsonl"
            if not path.is_file():
                continue
            s = summary(path)
            start, end = s["count_accuracy_start"], s["count_accuracy_last3"]
            gain = "—" if start is None or end is None else f"{100 * (end - start):+.1f}"
            rows.append(
                f"| {arm} | {seed} | {pct(start)} | {pct(end)} | {gain} "
                f"| {pct(s['count_accuracy_base_last3'])} | {pct(s['count_accuracy_wide_start'])} "
                f"| {pct(s['count_accuracy_wide_last3'])} | {pct(s['chair_i_start'])} "
                f"| {pct(s['chair_i_last3'])} | {pct(s['chair_s_start'])} "
                f"| {pct(s['chair_s_last3'])} | {s['steps']} | {s['wall_min']:.1f} |"
            )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "shapes")
    parser.add_argument("--steps", type=int, default=60, help="RL steps per run (x128 samples)")
    parser.add_argument("--warmup-steps", type=int, default=1000)
    parser.add_argument("--eval-every", type=int, default=10, help="RL steps between evaluations")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    parser.add_argument("--parallel", type=count, default=1)
    parser.add_argument("--figure", type=Path, default=ROOT / "docs" / "shapes_curves.png")
    parser.add_argument("--table", action="store_true", help="only summarise existing runs")
    args = parser.parse_args(argv)
    args.out = args.out.resolve()

    if not args.table:
        prepare(args.out, args.warmup_steps)
        queue = [
            (arm, seed)
            for seed in args.seeds
            for arm in args.arms
            if not finished(run_dir(args.out, arm, seed), args.steps)
        ]
        run_queue(
            queue,
            lambda arm, seed: launch(args.out, arm, seed, args.steps, args.eval_every),
            args.parallel,
        )

    agreement = detector_agreement(args.out)
    heading = "detector count = true count on held-out questions: " + ", ".join(
        f"{style} {100 * share:.1f}%" for style, share in agreement.items()
    )
    result = f"{heading}\n\n{table(args.out, args.seeds)}"
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
        plot_runs(
            runs,
            args.figure,
            PANELS,
            grid=(2, 3),
            x_per_step=SAMPLES_PER_STEP,
            x_label="training samples",
        )
    print(json.dumps({"figure": str(args.figure), "table": str(args.out / "results.md")}))


if __name__ == "__main__":
    main()
