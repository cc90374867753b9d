"""Compute lanes: single-threaded torch per lane, batches on several lanes at once."""

from __future__ import annotations

import contextlib
import threading

import pytest
import torch
from prm_checkpoints import build_token_cls

from mmreward.batching import OwnerThreadBatcher
from mmreward.compute import ComputeLanes, lanes_of, threads_for_new_threads
from mmreward.prm.items import PRMItem
from mmreward.prm.scorer import PRMScorer
from mmreward.prm.served import BatchingOptions


def singles(items):
    return [[i] for i in range(len(items))]


def test_lanes_run_torch_single_threaded_and_leave_other_threads_alone():
    if torch.get_num_threads() < 2:
        torch.set_num_threads(2)
    mine, later = torch.get_num_threads(), threads_for_new_threads()
    lanes = ComputeLanes(2)
    try:
        counts = {lanes.submit(torch.get_num_threads).result() for _ in range(8)}
    finally:
        lanes.shutdown()
    assert counts == {1}
    assert torch.get_num_threads() == mine
    assert threads_for_new_threads() == later


def test_a_single_lane_keeps_the_default_thread_count():
    lanes = ComputeLanes(1)
    try:
        assert lanes.submit(torch.get_num_threads).result() == threads_for_new_threads()
    finally:
        lanes.shutdown()


def test_only_models_that_allow_it_run_on_several_lanes():
    lanes = ComputeLanes(3)
    try:
        assert lanes_of(lanes, concurrent=True) == 3
        assert lanes_of(lanes, concurrent=False) == 1
        assert lanes_of(None, concurrent=True) == 1
    finally:
        lanes.shutdown()


@pytest.mark.parametrize("lanes", [1, 2])
def test_batches_overlap_on_as_many_lanes_as_allowed(lanes):
    running, peak, lock = [0], [0], threading.Lock()
    both_in = threading.Barrier(2, timeout=0.5)

    def process(batch):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        with contextlib.suppress(threading.BrokenBarrierError):
            both_in.wait()  # with one lane, the second batch never arrives: broken, not stuck
        with lock:
            running[0] -= 1
        return batch

    pool = ComputeLanes(2)
    batcher = OwnerThreadBatcher(
        process, plan=singles, batch_cost=10, max_wait_s=0.05, compute=pool, lanes=lanes
    )
    try:
        assert batcher.run([1, 2, 3, 4]) == [1, 2, 3, 4]
    finally:
        batcher.close()
        pool.shutdown()
    assert peak[0] == lanes


def test_several_lanes_need_an_executor():
    with pytest.raises(ValueError, match="compute executor"):
        OwnerThreadBatcher(list, plan=singles, batch_cost=1, lanes=2)


def test_prm_scores_on_lanes_equal_scores_alone(tmp_path):
    path = build_token_cls(tmp_path / "prm")
    items = [
        PRMItem(
            problem=f"Compute: {a} + {b} * 2",
            steps=[f"{b} * 2 = {2 * b}", f"{a} + {2 * b} = {a + 2 * b}"],
        )
        for a in range(1, 9)
        for b in range(1, 5)
    ]
    alone = PRMScorer(path, device="cpu")
    pool = ComputeLanes(2)
    on_lanes = PRMScorer(
        path,
        device="cpu",
        batching=BatchingOptions(max_batch_tokens=64, max_wait_s=0.05, compute=pool),
    )
    try:
        single = [alone.score([item])[0].step_scores for item in items]
        batched = [r.step_scores for r in on_lanes.score(items)]
        assert on_lanes.served.batcher.lanes == 2
    finally:
        alone.close()
        on_lanes.close()
        pool.shutdown()
    for got, want in zip(batched, single, strict=True):
        assert got == pytest.approx(want, abs=1e-5)


def test_the_engine_resolves_the_device_once_and_its_lanes_follow_it():
    from mmreward.compute import resolve_device, usable_cores
    from mmreward.engine import Engine
    from mmreward.settings import Settings

    with Engine(Settings(sandbox_workers=1, device="cuda")) as on_gpu:
        assert on_gpu.device == "cuda"
        assert on_gpu.compute.lanes == 1  # a GPU runs one batch at a time
    with Engine(Settings(sandbox_workers=1, device="cpu")) as on_cpu:
        assert on_cpu.compute.lanes == usable_cores()
    with Engine(Settings(sandbox_workers=1, device="auto")) as auto:
        assert auto.device == resolve_device("auto")
        assert auto.device in {"cpu", "cuda:0"}
        assert auto.compute.lanes == (1 if auto.device == "cuda:0" else usable_cores())
