"""ProcessBench-style evaluation of a PRM through the same scorer the service uses."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mmreward.prm.config import PRMFormat
from mmreward.prm.items import PRMItem
from mmreward.prm.metrics import first_error_f1
from mmreward.prm.scorer import PRMScorer
from mmreward.prm.synthetic import Chain, make_dataset
from mmreward.prm.train import read_stepwise_jsonl


def load_chains(data: Path | None, n: int, seed: int) -> list[Chain]:
    """Chains from a stepwise JSONL (first error = first false label) or freshly generated."""
    if data is None:
        return make_dataset(n, seed)
    chains = []
    for rec in read_stepwise_jsonl(data):
        labels = list(rec["labels"])
        first = next((i for i, ok in enumerate(labels) if not ok), -1)
        kind = str(rec.get("error_kind", "none" if first == -1 else "unknown"))
        chains.append(Chain(rec["prompt"], list(rec["completions"]), labels, first, kind))
    return chains


def predicted_first_errors(
    items: Sequence[PRMItem],
    model: Path | None = None,
    prm_format: PRMFormat | None = None,
    threshold: float = 0.5,
    device: str = "auto",
) -> list[int]:
    """The first step of each chain the PRM scores below `threshold` (-1: none)."""
    scorer = PRMScorer(model, prm_format, device=device)
    try:
        return [s.first_error for s in scorer.score(items, threshold=threshold)]
    finally:
        scorer.close()


def evaluate_chains(
    chains: list[Chain],
    model: Path | None = None,
    prm_format: PRMFormat | None = None,
    threshold: float = 0.5,
    device: str = "auto",
) -> dict[str, Any]:
    """F1, the two accuracies, and accuracy by error kind."""
    items = [PRMItem(problem=c.problem, steps=c.steps) for c in chains]
    started = time.perf_counter()
    predicted = predicted_first_errors(items, model, prm_format, threshold, device)
    seconds = time.perf_counter() - started
    result = first_error_f1(predicted, [c.first_error for c in chains])
    total: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    for chain, pred in zip(chains, predicted, strict=True):
        total[chain.error_kind] += 1
        hit[chain.error_kind] += int(pred == chain.first_error)
    return {
        "f1": round(result.f1, 4),
        "accuracy_erroneous": round(result.error_accuracy, 4),
        "accuracy_correct": round(result.correct_accuracy, 4),
        "n_erroneous": result.n_error,
        "n_correct": result.n_correct,
        "accuracy_by_kind": {k: round(hit[k] / total[k], 4) for k in sorted(total)},
        "chains_per_s": round(len(chains) / seconds, 1),
    }
