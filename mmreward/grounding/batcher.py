"""The detector's batcher: images batched on the model's owner thread, grouped by settings.

ultralytics applies thresholds per predict call, so one call may only mix images that share them:
each image travels with a settings key, and the owner thread (`mmreward.batching`) runs one call
per key and per ``max_batch`` images, keeping arrival order within a key.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar, Unpack

from mmreward.batching import BatcherOptions, OwnerThreadBatcher

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K", bound=Hashable)


def plan_by_key(keys: Sequence[Hashable], max_batch: int, lanes: int = 1) -> list[list[int]]:
    """Indices grouped by key (keys in order of first appearance), at most ``max_batch`` each,
    and a group spread over ``lanes`` batches when it is smaller than that many full ones."""
    groups: dict[Hashable, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    plan = []
    for group in groups.values():
        size = min(max_batch, -(-len(group) // lanes))
        plan += [group[start : start + size] for start in range(0, len(group), size)]
    return plan


class KeyedBatcher(Generic[T, K, R]):
    """Runs ``process(key, items) -> results`` on one owner thread, one call per key and batch."""

    def __init__(
        self,
        process: Callable[[K, list[T]], Sequence[R]],
        *,
        max_batch: int = 32,
        **options: Unpack[BatcherOptions],
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be positive")
        lanes = options.get("lanes", 1)
        options.setdefault("max_wait_s", 0.002)

        def run(pairs: list[tuple[T, K]]) -> Sequence[R]:
            return process(pairs[0][1], [item for item, _ in pairs])

        self._owner: OwnerThreadBatcher[tuple[T, K], R] = OwnerThreadBatcher(
            run,
            plan=lambda pairs: plan_by_key([key for _, key in pairs], max_batch, lanes),
            batch_cost=max_batch,
            **options,
        )

    def submit(self, item: T, key: K) -> Future[R]:
        """Queue one item; thread-safe. Raises `OverloadedError` when the queue is full."""
        return self._owner.submit([(item, key)])[0]

    async def asubmit(self, item: T, key: K) -> R:
        """Await one item's result."""
        return (await self._owner.run_async([(item, key)]))[0]

    def run_many(self, items: Sequence[T], key: K) -> list[R]:
        """All items with one key; waits out a full queue (the owner thread batches them)."""
        return self._owner.run([(item, key) for item in items])

    def close(self) -> None:
        """Finish queued work, then stop the owner thread."""
        self._owner.close()
