"""Selection over a scored dataset: pass rate per prompt, best-of-N, a reward floor (pure).

`pass_rate` is the share of a prompt's k samples whose reward reaches the pass threshold; rows
that could not be scored (status `error`) are not samples. The training loop's curriculum reads
it as the prompt's difficulty (`RLConfig.pass_rate_column`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

PASS_RATE = "pass_rate"


def group_key(value: Any) -> str:
    """Equal prompts give equal keys whatever their type (text, ids, lists)."""
    return json.dumps(value, sort_keys=True, default=str)


def pass_rates(
    groups: Sequence[str], rewards: Sequence[float], scored: Sequence[bool], passing: float
) -> list[float | None]:
    """Per row, its group's pass rate; None for a group with no scored sample."""
    solved: dict[str, int] = {}
    samples: dict[str, int] = {}
    for group, reward, ok in zip(groups, rewards, scored, strict=True):
        if ok:
            samples[group] = samples.get(group, 0) + 1
            solved[group] = solved.get(group, 0) + (reward >= passing)
    return [solved[g] / samples[g] if samples.get(g) else None for g in groups]


def keep_rows(
    rewards: Sequence[float],
    *,
    groups: Sequence[str] | None = None,
    best_of: int | None = None,
    min_reward: float | None = None,
) -> list[bool]:
    """Rows to keep, in input order: the `best_of` highest rewards per group (the earlier row
    wins a tie), then only those at or above `min_reward`."""
    keep = [min_reward is None or reward >= min_reward for reward in rewards]
    if best_of is not None and groups is not None:
        members: dict[str, list[int]] = {}
        for index, group in enumerate(groups):
            members.setdefault(group, []).append(index)
        best = set()
        for indices in members.values():
            ranked = sorted(indices, key=lambda i: (-rewards[i], i))
            best.update(ranked[:best_of])
        keep = [k and i in best for i, k in enumerate(keep)]
    return keep
