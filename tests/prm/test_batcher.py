"""The token-budget batcher: budgets, ordering, back-pressure and failure isolation."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from mmreward.errors import InvalidInputError, OverloadedError
from mmreward.prm.batcher import TokenBudgetBatcher, plan_batches
from mmreward.prm.encoding import Encoded


def item(n: int, tag: int = 0) -> Encoded:
    """An item of n tokens whose first id identifies it."""
    return Encoded([tag] + [1] * (n - 1), [n - 1], 0)


def test_plan_batches_respects_the_budget_and_uses_every_item_once():
    lengths = [5, 120, 7, 64, 64, 3, 200, 33, 1, 90]
    batches = plan_batches(lengths, max_batch_tokens=256)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(len(lengths)))
    for batch in batches:
        width = max(lengths[i] for i in batch)
        assert width * len(batch) <= 256 or len(batch) == 1
    # Longest first, so neighbours in a batch have similar lengths.
    order = [lengths[i] for b in batches for i in b]
    assert order == sorted(lengths, reverse=True)


def test_an_item_over_the_budget_runs_alone():
    assert plan_batches([10, 500, 10], max_batch_tokens=100) == [[1], [0, 2]]


def test_results_come_back_to_their_own_callers_from_many_threads():
    seen_batches: list[int] = []

    def forward(batch: list[Encoded]) -> list[int]:
        seen_batches.append(len(batch))
        return [it.input_ids[0] * 1000 + len(it) for it in batch]

    batcher = TokenBudgetBatcher(forward, max_batch_tokens=512, max_wait_s=0.01)
    try:

        def call(k: int) -> list[int]:
            return batcher.run([item(3 + k % 17, tag=k), item(40, tag=k)])

        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(call, range(200)))
    finally:
        batcher.close()
    for k, res in enumerate(results):
        assert res == [k * 1000 + 3 + k % 17, k * 1000 + 40]
    assert max(seen_batches) > 1  # concurrent requests really shared forwards


def test_a_full_queue_refuses_whole_requests_with_a_retry_hint():
    release = threading.Event()
    started = threading.Event()

    def forward(batch: list[Encoded]) -> list[int]:
        started.set()
        release.wait(10)
        return [len(it) for it in batch]

    batcher = TokenBudgetBatcher(forward, max_batch_tokens=64, max_wait_s=0, max_queue=4)
    try:
        first = batcher.submit([item(10)])
        assert started.wait(5)  # the owner thread holds the first item in a forward
        queued = batcher.submit([item(4), item(5), item(6)])
        with pytest.raises(OverloadedError) as info:
            batcher.submit([item(7), item(8)])  # 3 queued + 2 > 4: nothing of it is queued
        assert info.value.retry_after_s > 0
        assert batcher.queued == 3
        tail = batcher.submit([item(9)])  # exactly fills the queue
        release.set()
        assert [f.result(5) for f in first + queued + tail] == [10, 4, 5, 6, 9]
    finally:
        release.set()
        batcher.close()


def test_a_request_larger_than_the_queue_is_an_input_error_but_run_feeds_it_in_chunks():
    seen: list[int] = []

    def forward(batch: list[Encoded]) -> list[int]:
        seen.append(len(batch))
        return [it.input_ids[0] for it in batch]

    batcher = TokenBudgetBatcher(forward, max_batch_tokens=10_000, max_wait_s=0, max_queue=8)
    try:
        items = [item(4, tag=k) for k in range(30)]
        with pytest.raises(InvalidInputError, match="split"):
            batcher.submit(items)
        assert batcher.run(items) == list(range(30))
    finally:
        batcher.close()
    assert max(seen) <= 8


def test_a_failing_forward_fails_only_its_own_batch():
    def forward(batch: list[Encoded]) -> list[int]:
        if any(it.input_ids[0] == 666 for it in batch):
            raise RuntimeError("boom")
        return [len(it) for it in batch]

    batcher = TokenBudgetBatcher(forward, max_batch_tokens=1000, max_wait_s=0)
    try:
        with pytest.raises(RuntimeError, match="boom"):
            batcher.run([item(5, tag=666)])
        assert batcher.run([item(5), item(6)]) == [5, 6]
    finally:
        batcher.close()


async def test_async_callers_await_without_blocking_the_loop():
    def forward(batch: list[Encoded]) -> list[int]:
        return [len(it) for it in batch]

    batcher = TokenBudgetBatcher(forward, max_batch_tokens=256, max_wait_s=0.02)
    try:
        results = await asyncio.gather(*(batcher.run_async([item(n + 2)]) for n in range(50)))
    finally:
        batcher.close()
    assert [r[0] for r in results] == [n + 2 for n in range(50)]


def test_a_small_load_is_spread_over_every_lane():
    assert len(plan_batches([50] * 8, max_batch_tokens=2048)) == 1
    spread = plan_batches([50] * 8, max_batch_tokens=2048, lanes=2)
    assert sorted(len(b) for b in spread) == [4, 4]
    big = plan_batches([50] * 400, max_batch_tokens=2048, lanes=2)
    assert all(len(b) * 50 <= 2048 for b in big)
    assert len(big) == 10
