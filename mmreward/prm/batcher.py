"""Token-budget batching in front of one PRM/ORM.

The owner thread (`mmreward.batching`) waits at most ``max_wait_s`` after the first queued item
for company, then sorts everything it took by length and cuts it into batches whose padded size
(rows x longest row) stays within ``max_batch_tokens``: similar lengths share a batch, so little
compute goes to padding, and a single long item still runs alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar, Unpack

from mmreward.batching import BatcherOptions, OwnerThreadBatcher
from mmreward.prm.encoding import Encoded

R = TypeVar("R")


def plan_batches(lengths: Sequence[int], max_batch_tokens: int, lanes: int = 1) -> list[list[int]]:
    """Indices grouped into batches: longest first, each within the padded-token budget, which
    shrinks to spread a load smaller than ``lanes`` full batches over every lane."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    if lanes > 1 and lengths:
        max_batch_tokens = min(max_batch_tokens, -(-sum(lengths) // lanes))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        width = lengths[current[0]] if current else lengths[i]
        if current and width * (len(current) + 1) > max_batch_tokens:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


class TokenBudgetBatcher(OwnerThreadBatcher[Encoded, R]):
    """Run ``forward(batch) -> results`` on one owner thread, batching by token budget."""

    def __init__(
        self,
        forward: Callable[[list[Encoded]], Sequence[R]],
        *,
        max_batch_tokens: int = 2048,
        **options: Unpack[BatcherOptions],
    ) -> None:
        lanes = options.get("lanes", 1)
        super().__init__(
            forward,
            plan=lambda items: plan_batches([len(it) for it in items], max_batch_tokens, lanes),
            batch_cost=max_batch_tokens,
            cost=len,
            **options,
        )
