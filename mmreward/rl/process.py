"""Process rewards: PRM step scores turned into dense per-token rewards for PPO.

A response is split into steps at `separator`; the PRM scores every step; step i's reward sits
on the token that ends it and equals its score minus the previous step's (the first step's is
its score). The rewards of a response therefore sum to its last step's score, the same scale as
an outcome reward, and a policy gains nothing by writing more correct steps: the shaping is
potential-based (Ng, Harada and Russell 1999, with the PRM score as the potential), so it moves
credit toward the step that earned it without changing which responses are best. A wrong step
drops the score to ~0 and puts that drop on its own last token; the steps before it keep theirs.

PRMs read a final answer the way they were trained on it: the bundled one on `The answer is 28.`,
so a `\\boxed{28}` in a step is unwrapped before scoring (`prm_steps`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from mmreward.clients.scorer import Scorer
from mmreward.prm.steps import STEP_SEPARATOR, step_spans

_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")


@dataclass
class DenseRewards:
    """Dense rewards of a chunk of responses, [sequences, response tokens], and their cost."""

    rewards: torch.Tensor
    steps: list[int]
    """Steps the PRM scored, per response."""
    seconds: float
    """Wall time of the PRM call."""


def split_steps(text: str, separator: str = STEP_SEPARATOR) -> list[tuple[str, int]]:
    """The steps of `text` (`mmreward.prm.steps`) with the character offset at which each
    one's piece ends."""
    return [(text[start:end], end) for start, end in step_spans(text, separator)]


def prm_steps(steps: Sequence[str]) -> list[str]:
    """Steps as the PRM reads them: stripped, a `\\boxed{x}` answer written as `x`."""
    return [_BOXED.sub(r"\1", step).strip() for step in steps]


def step_end_tokens(
    decode: Callable[[list[int]], str], ids: Sequence[int], boundaries: Sequence[int]
) -> list[int]:
    """Index of the token on which each step ends (the first token that covers its last
    character), given the character offsets where the steps end."""
    ends: list[int] = []
    covered = 0
    step = 0
    for t, tid in enumerate(ids):
        covered += len(decode([tid]))
        while step < len(boundaries) and covered >= boundaries[step]:
            ends.append(t)
            step += 1
    return ends


def place_step_scores(scores: Sequence[float], ends: Sequence[int], width: int) -> torch.Tensor:
    """One response's dense rewards: each step's score minus the previous one, on its end token."""
    dense = torch.zeros(width)
    previous = 0.0
    for end, score in zip(ends, scores, strict=False):
        dense[end] += float(score) - previous
        previous = float(score)
    return dense


def dense_rewards(
    client: Scorer,
    problems: Sequence[str],
    texts: Sequence[str],
    response_ids: torch.Tensor,
    decode: Callable[[list[int]], str],
    separator: str = STEP_SEPARATOR,
) -> DenseRewards:
    """PRM scores of every response's steps, placed on the tokens that end them."""
    width = response_ids.shape[1]
    rows = [torch.zeros(width) for _ in texts]
    split = [split_steps(text, separator) for text in texts]
    asked = [i for i, steps in enumerate(split) if steps]
    counts = [0] * len(texts)
    began = time.perf_counter()
    if asked:
        items = [
            {"problem": problems[i], "steps": prm_steps([s for s, _ in split[i]])} for i in asked
        ]
        results = client.prm_score(items)
        for i, result in zip(asked, results, strict=True):
            ends = step_end_tokens(decode, response_ids[i].tolist(), [e for _, e in split[i]])
            rows[i] = place_step_scores(result.step_scores, ends, width)
            counts[i] = len(ends)
    seconds = time.perf_counter() - began
    return DenseRewards(torch.stack(rows) if rows else torch.zeros(0, width), counts, seconds)


def dense_stats(dense: torch.Tensor, steps: Sequence[int]) -> dict[str, float]:
    """What the dense reward amounts to: its sum per response and its mean size per step."""
    scored = sum(steps)
    return {
        "reward/dense": float(dense.sum(dim=1).mean()) if len(dense) else 0.0,
        "reward/dense_step_abs": float(dense.abs().sum()) / scored if scored else 0.0,
        "reward/dense_steps": scored / max(len(steps), 1),
    }
