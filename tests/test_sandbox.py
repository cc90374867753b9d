import asyncio
import threading
import time

import pytest
import sandbox_jobs as jobs

from mmreward.sandbox import Sandbox
from mmreward.verifiers import Deferred, Verdict


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(workers=2, timeout_s=1.0, memory_bytes=512 << 20)
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
