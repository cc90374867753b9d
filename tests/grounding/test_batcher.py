import asyncio
import threading
import time

import pytest

from mmreward.errors import OverloadedError
from mmreward.grounding.batcher import KeyedBatcher, plan_by_key


class Recorder:
    """A `process` that records batches and the thread each ran on."""

    def __init__(self, delay: float = 0.0) -> None:
        self.batches: list[tuple[str, list[int]]] = []
        self.threads: set[int] = set()
        self.delay = delay

    def __call__(self, key: str, items: list[int]) -> list[str]:
        self.threads.add(threading.get_ident())
        self.batches.append((key, list(items)))
        time.sleep(self.delay)
        return [f"{key}:{i * 10}" for i in items]


def test_results_in_order_and_grouped_by_key():
    recorder = Recorder()
    started, gate = threading.Event(), threading.Event()

    def process(key: str, items: list[int]) -> list[str]:
        if items == [-1]:  # hold the owner busy while the rest queue up
            started.set()
            gate.wait(5)
        return recorder(key, items)

    batcher = KeyedBatcher(process, max_batch=8)
    try:
        blocker = batcher.submit(-1, "a")
        assert started.wait(5)
        futures = [batcher.submit(i, "a" if i % 2 else "b") for i in range(6)]
        gate.set()
        assert blocker.result() == "a:-10"
        assert [f.result() for f in futures] == [
            f"{'a' if i % 2 else 'b'}:{i * 10}" for i in range(6)
        ]
    finally:
        gate.set()
        batcher.close()
    # The six queued items ran as one drain, split into one call per key, order kept.
    assert recorder.batches == [("a", [-1]), ("b", [0, 2, 4]), ("a", [1, 3, 5])]


def test_only_the_owner_thread_runs_setup_and_process():
    recorder = Recorder()
    setup_threads = []
    batcher = KeyedBatcher(
        recorder, setup=lambda: setup_threads.append(threading.get_ident()), max_batch=4
    )
    results: list[list[str]] = []

    def client(offset: int) -> None:
        results.append(batcher.run_many([offset + i for i in range(20)], "k"))

    threads = [threading.Thread(target=client, args=(100 * n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batcher.close()
    assert len(recorder.threads) == 1
    assert recorder.threads == set(setup_threads)
    assert max(len(items) for _, items in recorder.batches) <= 4
    assert sorted(len(r) for r in results) == [20, 20, 20, 20]


async def test_async_callers_are_batched_together():
    recorder = Recorder(delay=0.02)
    batcher = KeyedBatcher(recorder, max_batch=64)
    try:
        results = await asyncio.gather(*(batcher.asubmit(i, "k") for i in range(50)))
    finally:
        batcher.close()
    assert results == [f"k:{i * 10}" for i in range(50)]
    assert len(recorder.batches) < 50


def test_errors_reach_every_caller_of_the_batch():
    def broken(key: str, items: list[int]) -> list[int]:
        raise ValueError("model exploded")

    batcher = KeyedBatcher(broken)
    try:
        with pytest.raises(ValueError, match="exploded"):
            batcher.submit(1, "k").result()
        with pytest.raises(ValueError, match="exploded"):
            batcher.run_many([1, 2], "k")
    finally:
        batcher.close()


def test_setup_failure_raises_in_the_constructor():
    def setup() -> None:
        raise FileNotFoundError("no weights")

    with pytest.raises(FileNotFoundError, match="no weights"):
        KeyedBatcher(Recorder(), setup=setup)


def test_full_queue_is_overloaded():
    gate = threading.Event()

    def slow(key: str, items: list[int]) -> list[int]:
        gate.wait(5)
        return items

    batcher = KeyedBatcher(slow, max_batch=1, max_queue=2)
    try:
        first = batcher.submit(0, "k")
        time.sleep(0.05)  # the owner took item 0 and waits on the gate
        batcher.submit(1, "k")
        batcher.submit(2, "k")
        with pytest.raises(OverloadedError):
            batcher.submit(3, "k")
    finally:
        gate.set()
        batcher.close()
    assert first.result() == 0


def test_a_group_smaller_than_full_batches_on_every_lane_is_spread_over_them():
    keys = ["a"] * 32 + ["b"] * 3
    assert [len(b) for b in plan_by_key(keys, max_batch=32)] == [32, 3]
    assert [len(b) for b in plan_by_key(keys, max_batch=32, lanes=2)] == [16, 16, 2, 1]
    assert [len(b) for b in plan_by_key(["a"] * 100, max_batch=32, lanes=2)] == [32, 32, 32, 4]
