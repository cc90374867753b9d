"""A run's headline from its `metrics.jsonl`: the mean of the last k evaluations.

The headline metric is exact match where the task has one, else the verifier's accuracy
(which also accepts other forms of the right answer). The start is the evaluation before
the first step; "gain" is last-k minus start. The peak of many noisy evaluations is not
reported: it rewards the number of evaluations, not the policy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HEADLINES = ("eval/exact_match", "eval/verifier_accuracy")
"""In order of preference: what a run's headline measures."""


@dataclass(frozen=True)
class RunSummary:
    metric: str
    start: float
    half: float | None
    """The last evaluation at or before half the steps run."""
    end: float
    last_k: float
    k: int
    steps: int
    samples: int
    wall_s: float
    """Training steps' wall-clock seconds (evaluations excluded, as in `cpu_s`)."""
    cpu_s: float
    eval_s: float
    """Wall-clock seconds of the evaluations."""

    @property
    def gain(self) -> float:
        return self.last_k - self.start


def exact_match(response: str, truncated: bool, target: str) -> bool:
    """The response is the expected text itself, character for character, and ended.

    Stricter than a verifier on purpose: `\\boxed{37+48}` (the question echoed), `85`,
    `\\boxed{85` and a response cut at the length limit are all misses for `\\boxed{85}`.
    """
    return not truncated and response == target


def read_metrics(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def headline(lines: list[dict[str, Any]]) -> str | None:
    return next((m for m in HEADLINES if any(m in line for line in lines)), None)


def summarise(
    lines: list[dict[str, Any]], k: int = 3, metric: str | None = None
) -> RunSummary | None:
    """The headline's summary (or `metric`'s); None when the run has no evaluation of it."""
    metric = metric or headline(lines)
    if metric is None:
        return None
    evals = [(line["step"], float(line[metric])) for line in lines if metric in line]
    if not evals:
        return None
    last = lines[-1]
    steps = int(last["step"])
    halfway = [value for step, value in evals if step <= steps / 2]
    tail = [value for _, value in evals[-k:]]
    return RunSummary(
        metric=metric,
        start=evals[0][1],
        half=halfway[-1] if halfway else None,
        end=evals[-1][1],
        last_k=sum(tail) / len(tail),
        k=len(tail),
        steps=steps,
        samples=int(last.get("samples", 0)),
        wall_s=float(last.get("wall_s", 0.0)),
        cpu_s=float(last.get("cpu_s", 0.0)),
        eval_s=sum(float(line.get("seconds/eval", 0.0)) for line in lines),
    )
