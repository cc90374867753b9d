import asyncio
import threading
import time

import pytest
import sandbox_jobs as jobs

from mmreward.sandbox import Sandbox
from mmreward.verifiers import Deferred, Verdict


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(workers=2, timeout_s=1.0, memory_bytes=512 << 20, wall_factor=1.5)
    yield box
    box.close()


def test_result_comes_back_from_the_worker(sandbox):
    verdict = sandbox.run(Deferred(jobs.answer, (42,)))
    assert verdict.status == "ok"
    assert verdict.correct is True
    assert verdict.extracted == "42"


def test_runaway_job_is_killed_and_worker_replaced(sandbox):
    before = sandbox.timeouts
    start = time.monotonic()
    verdict = sandbox.run(Deferred(jobs.sleep_for, (30.0,)))
    assert time.monotonic() - start < 10
    assert verdict.status == "timeout"
    assert verdict.reward == 0.0
    assert verdict.correct is None
    assert sandbox.timeouts == before + 1
    assert sandbox.run(Deferred(jobs.answer, (41,))).correct is False


def test_timeout_uses_the_job_fallback(sandbox):
    fallback = Verdict.judged(False, "x", "too big to be equal")
    verdict = sandbox.run(Deferred(jobs.sleep_for, (30.0,), fallback=fallback))
    assert verdict == fallback


def test_memory_limit_turns_into_an_error_verdict(sandbox):
    verdict = sandbox.run(Deferred(jobs.allocate, (2048,)))
    assert verdict.status == "error"
    assert "memory" in verdict.reason
    assert sandbox.run(Deferred(jobs.allocate, (16,))).status == "ok"


def test_dead_worker_is_an_error_not_an_exception(sandbox):
    verdict = sandbox.run(Deferred(jobs.die, ()))
    assert verdict.status == "error"
    assert "died" in verdict.reason
    assert sandbox.run(Deferred(jobs.answer, (42,))).correct is True


def test_run_many_keeps_order_and_isolates_failures(sandbox):
    batch = [
        Deferred(jobs.answer, (42,)),
        Deferred(jobs.sleep_for, (30.0,)),
        Deferred(jobs.answer, (7,)),
        Deferred(jobs.die, ()),
        Deferred(jobs.answer, (42,)),
    ]
    statuses = [v.status for v in sandbox.run_many(batch)]
    assert statuses == ["ok", "timeout", "ok", "error", "ok"]


def test_works_from_threads(sandbox):
    results: list[Verdict] = []
    lock = threading.Lock()

    def call(value: int) -> None:
        verdict = sandbox.run(Deferred(jobs.answer, (value,)))
        with lock:
            results.append(verdict)

    threads = [threading.Thread(target=call, args=(40 + i % 3,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(v.extracted for v in results) == sorted(str(40 + i % 3) for i in range(12))
    assert sum(v.correct is True for v in results) == 4


def test_works_from_asyncio(sandbox):
    async def main():
        return await asyncio.gather(
            *(sandbox.arun(Deferred(jobs.answer, (i,))) for i in (42, 1, 42)),
            sandbox.arun(Deferred(jobs.sleep_for, (30.0,))),
        )

    verdicts = asyncio.run(main())
    assert [v.correct for v in verdicts] == [True, False, True, None]
    assert verdicts[3].status == "timeout"


def test_workers_are_separate_processes(sandbox):
    import os

    assert sandbox.run(Deferred(jobs.pid, ())).extracted != str(os.getpid())


@pytest.mark.slow
def test_workers_do_not_rerun_an_unguarded_main_script(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "train.py"
    script.write_text(
        "print('top-level ran', flush=True)\n"
        "from mmreward import verify\n"
        "print(verify('math', r'\\boxed{2\\sqrt{3}}', r'\\sqrt{12}').correct, flush=True)\n"
    )
    for source in (["python", str(script)], ["python", "-"]):
        run = subprocess.run(
            [sys.executable, *source[1:]],
            input=script.read_text() if source[1] == "-" else None,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout.splitlines() == ["top-level ran", "True"]


# -- scheduling: lanes, fairness, deadlines, remembered timeouts, faults ----------------------
# These assert on order and outcomes (what is done while what is still running), not on speed.

HANG_GUARD_S = 60


def _wait_until(condition, guard_s: float = HANG_GUARD_S) -> None:
    end = time.monotonic() + guard_s
    while not condition():
        assert time.monotonic() < end, "hang guard"
        time.sleep(0.01)


@pytest.fixture
def lanes():
    # A wide wall-clock allowance: on a busy machine the CPU budget must still be what ends a
    # runaway item, so that it is remembered.
    box = Sandbox(
        workers=2,
        timeout_s=1.0,
        memory_bytes=512 << 20,
        fast_budget_s=0.1,
        slow_workers=1,
        wall_factor=30,
    )
    yield box
    box.close()


@pytest.mark.slow
def test_ordinary_item_is_answered_while_runaway_items_of_other_requests_run(lanes):
    from mmreward.sandbox import Ticket

    slow_request, fast_request = Ticket(), Ticket()
    runaways = lanes.submit_many(
        [Deferred(jobs.spin_forever, (str(i),)) for i in range(3)], slow_request
    )
    _wait_until(lambda: lanes.state()["slow_running"] == 1)
    ordinary = lanes.submit(Deferred(jobs.answer, (42,)), fast_request)
    assert ordinary.result(timeout=HANG_GUARD_S).correct is True
    assert not any(f.done() for f in runaways[1:])  # still waiting or running
    verdicts = [f.result(timeout=HANG_GUARD_S) for f in runaways]
    assert {v.status for v in verdicts} == {"timeout"}


def test_a_busy_fast_lane_moves_a_runaway_item_at_the_busy_budget():
    """With a fast budget far beyond the hang guard, only the busy budget can free the worker."""
    from mmreward.sandbox import Ticket

    box = Sandbox(
        workers=1, timeout_s=600.0, fast_budget_s=600.0, busy_budget_s=0.05, slow_workers=1
    )
    try:
        runaway = box.submit(Deferred(jobs.spin_forever, ("busy",)), Ticket())
        _wait_until(lambda: box.state()["fast_running"] == 1)
        ordinary = box.submit(Deferred(jobs.answer, (42,)), Ticket())
        assert ordinary.result(timeout=HANG_GUARD_S).correct is True
        assert not runaway.done()
        assert box.state()["slow_running"] == 1
    finally:
        box.close()
    assert runaway.result().reason == "sandbox closed"


def test_within_one_request_a_long_item_keeps_the_full_fast_budget():
    """Its own batch waiting behind it is no reason to move it (and restart it in a full slow
    lane)."""
    from mmreward.sandbox import Ticket

    box = Sandbox(workers=1, timeout_s=600.0, fast_budget_s=600.0, busy_budget_s=0.05)
    try:
        batch = box.submit_many(
            [Deferred(jobs.spin_forever, ("own",)), Deferred(jobs.answer, (42,))], Ticket()
        )
        _wait_until(lambda: box.state()["fast_running"] == 1)
        time.sleep(1.0)  # 20 busy budgets
        assert box.state() | {"ready_idle": 0, "starting": 0} == {
            "ready_idle": 0,
            "starting": 0,
            "fast_running": 1,
            "slow_running": 0,
            "fast_queued": 1,
            "slow_queued": 0,
        }
        assert not any(future.done() for future in batch)
    finally:
        box.close()


def test_the_slow_lane_runs_at_idle_priority(lanes):
    import os

    job = lanes.submit(Deferred(jobs.spin_forever, ("idle",)))
    _wait_until(lambda: lanes.state()["slow_running"] == 1)
    (pid,) = lanes.running_pids()
    assert os.sched_getscheduler(pid) == os.SCHED_IDLE
    assert job.result(timeout=HANG_GUARD_S).status == "timeout"


def test_a_timed_out_fallback_carries_the_sandboxs_reason(lanes):
    fallback = Verdict.failed("timeout", "timeout", extracted="\\int x", marker="boxed")
    verdict = lanes.run(Deferred(jobs.spin_forever, ("fallback",), fallback=fallback))
    assert verdict.status == "timeout"
    assert verdict.extracted == "\\int x"
    assert verdict.details == {"marker": "boxed"}
    assert "CPU" in verdict.reason


def test_an_items_own_timeout_is_remembered_and_a_retry_is_answered_from_memory(lanes):
    job = Deferred(jobs.spin_forever, ("remembered",))
    first = lanes.run(job)
    assert first.status == "timeout"
    assert "CPU" in first.reason
    before = lanes.remembered
    again = lanes.run(job)
    assert again.status == "timeout"
    assert "remembered" in again.reason
    assert lanes.remembered == before + 1
    assert lanes.state()["slow_running"] == 0


@pytest.mark.slow
def test_a_sleeping_job_killed_by_the_wall_clock_is_not_remembered():
    box = Sandbox(workers=1, timeout_s=0.3, fast_budget_s=0.1)
    try:
        job = Deferred(jobs.sleep_for, (30.0,))
        assert box.run(job).status == "timeout"
        assert box.run(job).status == "timeout"
        assert box.remembered == 0
        assert box.timeouts == 2
    finally:
        box.close()


def test_a_request_past_its_deadline_stops_occupying_workers(lanes):
    from mmreward.sandbox import Ticket

    ticket = Ticket(deadline=time.monotonic() + 0.5)
    futures = lanes.submit_many([Deferred(jobs.sleep_for, (30.0,)) for _ in range(6)], ticket)
    verdicts = [f.result(timeout=HANG_GUARD_S) for f in futures]
    assert all(v.status == "deadline" for v in verdicts)
    assert all(v.reward == 0.0 and v.correct is None for v in verdicts)
    assert all("deadline" in v.reason for v in verdicts)
    _wait_until(lambda: lanes.state()["slow_running"] == 0)
    assert lanes.run(Deferred(jobs.answer, (42,))).correct is True


def test_a_deadline_is_not_remembered_as_the_items_timeout(lanes):
    from mmreward.sandbox import Ticket

    job = Deferred(jobs.spin_forever, ("deadline first",))
    [future] = lanes.submit_many([job], Ticket(deadline=time.monotonic() + 0.3))
    assert future.result(timeout=HANG_GUARD_S).status == "deadline"
    before = lanes.remembered
    again = lanes.run(job)  # runs again, to its own CPU budget
    assert again.status == "timeout"
    assert "remembered" not in again.reason
    assert lanes.remembered == before


def test_items_wait_for_a_full_slow_lane_instead_of_timing_out():
    """Six items of other requests, each needing more than the fast budget, one slow worker:
    each waits its turn and gets its own verdict."""
    from mmreward.sandbox import Ticket

    box = Sandbox(workers=1, slow_workers=1, timeout_s=30.0, fast_budget_s=0.05)
    try:
        futures = [box.submit(Deferred(jobs.spin, (0.3,)), Ticket()) for _ in range(6)]
        verdicts = [f.result(timeout=HANG_GUARD_S) for f in futures]
        assert [v.status for v in verdicts] == ["ok"] * 6
        assert [v.reason for v in verdicts] == ["spun"] * 6
    finally:
        box.close()


def test_the_queue_bound_counts_items_waiting_for_the_slow_lane():
    from mmreward.errors import OverloadedError
    from mmreward.sandbox import Ticket

    box = Sandbox(workers=1, slow_workers=1, timeout_s=600.0, fast_budget_s=0.05, max_queue=2)
    try:
        held = box.submit_many([Deferred(jobs.spin_forever, (str(i),)) for i in range(3)])
        _wait_until(lambda: box.state()["slow_queued"] == 2)
        assert box.state()["fast_queued"] == 0
        with pytest.raises(OverloadedError) as refused:
            box.submit(Deferred(jobs.answer, (42,)), Ticket())
        assert refused.value.retry_after_s > 0
        assert not any(f.done() for f in held)
    finally:
        box.close()
    assert {f.result().reason for f in held} == {"sandbox closed"}


def test_a_cancelled_request_frees_its_slow_worker(lanes):
    from mmreward.sandbox import Ticket

    ticket = Ticket()
    [future] = lanes.submit_many([Deferred(jobs.sleep_for, (30.0,))], ticket)
    _wait_until(lambda: lanes.state()["slow_running"] == 1)
    ticket.cancel()
    verdict = future.result(timeout=HANG_GUARD_S)
    assert verdict.status == "error"
    assert "cancelled" in verdict.reason
    _wait_until(lambda: lanes.state()["slow_running"] == 0)


def test_sigkilled_worker_gives_its_item_an_error_and_a_spare_takes_over(lanes, tmp_path):
    import os
    import signal

    pid_file = tmp_path / "pid"
    future = lanes.submit(Deferred(jobs.report_pid_and_spin, (str(pid_file),)))
    _wait_until(lambda: pid_file.exists() and pid_file.read_text() != "")
    os.kill(int(pid_file.read_text()), signal.SIGKILL)
    verdict = future.result(timeout=HANG_GUARD_S)
    assert verdict.status == "error"
    assert "died" in verdict.reason
    assert "-9" in verdict.reason
    assert lanes.run(Deferred(jobs.answer, (42,))).correct is True
    _wait_until(lambda: lanes.state()["ready_idle"] == lanes.workers + lanes.spare_workers)


@pytest.mark.slow
def test_a_full_queue_refuses_with_a_retry_hint():
    from mmreward.errors import OverloadedError

    box = Sandbox(workers=1, timeout_s=0.5, max_queue=3, fast_budget_s=0.1)
    try:
        held = box.submit_many([Deferred(jobs.sleep_for, (30.0,)) for _ in range(3)])
        with pytest.raises(OverloadedError) as refused:
            box.submit_many([Deferred(jobs.answer, (42,)), Deferred(jobs.answer, (42,))])
        assert refused.value.retry_after_s >= 0
        assert all(f.result(timeout=HANG_GUARD_S).status == "timeout" for f in held)
    finally:
        box.close()


def test_fair_queue_serves_requests_in_turn():
    from mmreward.fairness.queues import FairQueue
    from mmreward.sandbox import Ticket

    big, small = Ticket(), Ticket()
    queue: FairQueue[str] = FairQueue()
    for i in range(4):
        queue.push(big, f"big{i}")
    queue.push(small, "small0")
    queue.push(small, "small1")
    order = [queue.pop() for _ in range(len(queue))]
    assert order == ["big0", "small0", "big1", "small1", "big2", "big3"]


@pytest.mark.slow
def test_no_unretrieved_future_exceptions_reach_the_event_loop(lanes):
    import gc

    reported: list[dict] = []

    async def main():
        asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: reported.append(ctx))
        task = asyncio.ensure_future(lanes.arun(Deferred(jobs.spin_forever, ("cancel me",))))
        await asyncio.sleep(0.05)
        task.cancel()
        verdicts = await lanes.arun_many(
            [
                Deferred(jobs.spin_forever, ("async",)),
                Deferred(jobs.die, ()),
                Deferred(jobs.answer, (42,)),
            ]
        )
        assert [v.status for v in verdicts] == ["timeout", "error", "ok"]
        gc.collect()
        await asyncio.sleep(0)

    asyncio.run(main())
    gc.collect()
    assert reported == []
