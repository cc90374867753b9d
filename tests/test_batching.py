"""The shared owner-thread batcher: planning, result counts and back-pressure hints."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from mmreward.batching import OwnerThreadBatcher, in_fresh_thread
from mmreward.errors import OverloadedError


def singles(items):
    return [[i] for i in range(len(items))]


def test_the_plan_decides_the_batches_and_results_keep_request_order():
    seen: list[list[int]] = []

    def process(batch: list[int]) -> list[int]:
        seen.append(batch)
        return [x * 2 for x in batch]

    def evens_then_odds(items):
        return [
            [i for i, x in enumerate(items) if x % 2 == 0],
            [i for i, x in enumerate(items) if x % 2],
        ]

    batcher = OwnerThreadBatcher(process, plan=evens_then_odds, batch_cost=100, max_wait_s=0.05)
    try:
        assert batcher.run([1, 2, 3, 4, 5, 6]) == [2, 4, 6, 8, 10, 12]
    finally:
        batcher.close()
    assert seen == [[2, 4, 6], [1, 3, 5]]


def test_a_process_returning_the_wrong_number_of_results_fails_its_batch():
    batcher = OwnerThreadBatcher(lambda batch: batch[:-1], plan=singles, batch_cost=1)
    try:
        with pytest.raises(RuntimeError, match="0 results for 1 items"):
            batcher.run([7])
    finally:
        batcher.close()


def test_retry_after_grows_with_the_queued_cost():
    gate, busy = threading.Event(), threading.Event()

    def process(batch: list[int]) -> list[int]:
        busy.set()
        gate.wait(5)
        return batch

    batcher = OwnerThreadBatcher(
        process, plan=singles, batch_cost=1, cost=lambda x: x, max_queue=3, max_wait_s=0
    )
    try:
        first = batcher.submit([1])[0]
        assert busy.wait(5)
        batcher.submit([1000, 1000])
        with pytest.raises(OverloadedError) as small_backlog:
            batcher.submit([1, 1])
        batcher.submit([100_000])
        with pytest.raises(OverloadedError) as large_backlog:
            batcher.submit([1])
    finally:
        gate.set()
        batcher.close()
    assert first.result() == 1
    assert large_backlog.value.retry_after_s > small_backlog.value.retry_after_s


def test_in_fresh_thread_returns_the_result_or_raises_the_error_from_another_thread():
    caller = threading.get_ident()
    ran_on = in_fresh_thread(threading.get_ident)
    assert ran_on != caller
    assert not any(t.ident == ran_on for t in threading.enumerate())  # it has ended

    def broken() -> None:
        raise KeyError("no weights")

    with pytest.raises(KeyError, match="no weights"):
        in_fresh_thread(broken)


def test_with_a_compute_executor_setup_and_batches_of_every_batcher_run_on_its_thread():
    compute = ThreadPoolExecutor(1, thread_name_prefix="models")
    ran: list[str] = []

    def process(batch: list[int]) -> list[int]:
        ran.append(threading.current_thread().name)
        return batch

    def setup() -> None:
        ran.append(threading.current_thread().name)

    first = OwnerThreadBatcher(process, plan=singles, batch_cost=1, setup=setup, compute=compute)
    second = OwnerThreadBatcher(process, plan=singles, batch_cost=1, compute=compute)
    try:
        assert first.run([1, 2]) == [1, 2]
        assert second.run([3]) == [3]
    finally:
        first.close()
        second.close()
        compute.shutdown()
    assert len(ran) == 4
    assert len(set(ran)) == 1
    assert ran[0].startswith("models")


def _gated() -> tuple[OwnerThreadBatcher, threading.Event, threading.Event, list[str]]:
    """A batcher whose batches wait at a gate: (batcher, reached, gate, processed in order)."""
    gate, reached = threading.Event(), threading.Event()
    processed: list[str] = []

    def process(batch: list[str]) -> list[str]:
        reached.set()
        gate.wait(60)
        processed.extend(batch)
        return batch

    batcher = OwnerThreadBatcher(process, plan=singles, batch_cost=1, max_queue=1000)
    return batcher, reached, gate, processed


def test_a_small_request_is_served_in_turn_with_a_big_one_not_after_it():
    batcher, reached, gate, order = _gated()
    try:
        big = batcher.submit([f"big-{i}" for i in range(100)])
        assert reached.wait(60)  # the first window of the big request is being processed
        small = batcher.submit(["small"])
        gate.set()
        assert small[0].result(60) == "small"
        assert [f.result(60) for f in big] == [f"big-{i}" for i in range(100)]
    finally:
        batcher.close()
    # One window (16 batches) of the big request was taken before the small one arrived;
    # the next window takes both requests in turn. First come, first served would put it last.
    assert order.index("small") <= 17


def test_queued_items_of_an_ended_request_never_reach_the_model():
    from mmreward.errors import RequestEndedError
    from mmreward.fairness import request_scope

    batcher, reached, gate, processed = _gated()
    try:
        first = batcher.submit(["first"])
        assert reached.wait(60)  # the owner thread is busy with it
        with request_scope() as gone:
            abandoned = batcher.submit([f"gone-{i}" for i in range(5)])
        gone.cancel()  # its caller hung up while the items waited
        kept = batcher.submit(["kept"])
        gate.set()
        assert first[0].result(60) == "first"
        assert kept[0].result(60) == "kept"
        for future in abandoned:
            with pytest.raises(RequestEndedError, match="caller went away"):
                future.result(60)
    finally:
        batcher.close()
    assert processed == ["first", "kept"]


def test_a_request_that_ends_midway_keeps_the_results_it_already_has():
    import asyncio

    from mmreward.errors import RequestEndedError
    from mmreward.fairness import request_scope

    batcher, reached, gate, processed = _gated()
    items = [f"item-{i}" for i in range(100)]

    async def main() -> list:
        with request_scope() as ticket:
            running = asyncio.ensure_future(batcher.run_async_each(items))
        await asyncio.to_thread(reached.wait, 60)  # its first window is being processed
        ticket.cancel()  # then its caller hangs up
        gate.set()
        return await running

    try:
        results = asyncio.run(main())
    finally:
        batcher.close()
    scored = [r for r in results if isinstance(r, str)]
    dropped = [r for r in results if isinstance(r, RequestEndedError)]
    assert scored == processed == items[: len(scored)]
    assert 1 <= len(scored) < len(items)
    assert len(scored) + len(dropped) == len(items)
    assert {(str(d), d.verdict_status) for d in dropped} == {
        ("request cancelled: its caller went away", "error")
    }
