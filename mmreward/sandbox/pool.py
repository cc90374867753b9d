"""Fair, bounded scheduling of sympy work on killable worker processes.

Why processes and not SIGALRM: a signal only reaches the main thread, and a thread stuck in a C
loop inside sympy/gmpy holds the GIL for good. A process can always be killed.

A verdict depends on the item alone, never on load: an item waits for a worker for as long as
its request allows (its `Ticket`'s deadline; in-process callers have none), and `timeout` means
only that the item used its own budget: `timeout_s` of CPU time, or `wall_factor` times that
asleep of its own accord (not waiting for a CPU or the disk, which load decides). An item whose
request ended first is `deadline` (or `error` when its caller went away): no verdict at all.

Why two lanes: nearly every item needs milliseconds, a few need seconds and some never end. An
item starts in the fast lane; one still running after `fast_budget_s` moves, on its worker, to
the slow lane and that worker is replaced by a spare that is already running. While other
requests' items wait for a fast worker the budget is `busy_budget_s`: a sympy item needs
~0.1 ms, so under load a few runaway items arriving together must not hold every fast worker
for the full budget (least-attained-service first). Within one request (a relabeling chunk, a
training batch) the full budget holds: an item of 50-250 ms there delays only its own batch.
When every slow worker is taken, a moved item waits in the slow queue (it starts again there;
its budget counts from that start). The slow lane never refuses an item; what bounds it is the
admission of items at all: fast and slow waiting items together are at most `max_queue`, beyond
which a request gets 429. Slow-lane workers run at idle priority (`SCHED_IDLE`): they get the
CPU the fast lane and the server leave over.

A slow item that used `timeout_s` of its own CPU time is killed and remembered, so a retried
batch does not pay for it again; one that merely went past the fast budget goes straight to the
slow lane next time. Waiting jobs are served round-robin across requests (`Ticket`s); a request
that ended (deadline, caller gone) stops occupying workers. Every job ends in a `Verdict`:
futures never carry exceptions.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import wait

from mmreward.errors import OverloadedError
from mmreward.fairness.queues import FairQueue
from mmreward.fairness.tickets import Ticket, current_ticket
from mmreward.sandbox.memory import TimeoutMemory, job_key
from mmreward.sandbox.metrics import OUTCOMES, QUEUED, RUNNING
from mmreward.sandbox.spawning import WorkerContext
from mmreward.sandbox.worker import Worker, serve
from mmreward.settings import Settings
from mmreward.verifiers.deferred import Deferred
from mmreward.verifiers.verdict import Verdict

log = logging.getLogger(__name__)

_TICK_S = 0.02
"""How often running jobs are checked against their budgets."""
_SLOW_NICE = 19
"""Where idle priority is not available: the lowest nice level."""
_FAILED_STARTS_BEFORE_BROKEN = 3


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(eq=False)
class _Job:
    deferred: Deferred
    ticket: Ticket
    future: Future[Verdict]
    key: str | None
    started: bool = False


class Sandbox:
    """Runs `Deferred` jobs; every job ends in a `Verdict`, whatever the worker does."""

    def __init__(
        self,
        workers: int = 0,
        timeout_s: float = 2.0,
        memory_bytes: int = 1 << 30,
        *,
        fast_budget_s: float = 0.25,
        busy_budget_s: float = 0.05,
        slow_workers: int = 0,
        spare_workers: int = 1,
        max_queue: int = 4096,
        remember_timeouts_s: float = 600.0,
        wall_factor: float = 10.0,
    ) -> None:
        cores = available_cores()
        self.workers = workers or cores
        self.slow_workers = slow_workers or max(1, self.workers // 2)
        self.spare_workers = spare_workers
        self.timeout_s = timeout_s
        self.fast_budget_s = min(fast_budget_s, timeout_s)
        self.busy_budget_s = min(busy_budget_s, self.fast_budget_s)
        self.memory_bytes = memory_bytes
        self.max_queue = max_queue
        self.wall_limit_s = timeout_s * wall_factor
        self.timeouts = 0
        self.remembered = 0
        self._memory = TimeoutMemory(remember_timeouts_s)
        self._known_slow = TimeoutMemory(remember_timeouts_s)  # went past the fast budget
        self._context = WorkerContext()
        self._lock = threading.Lock()
        self._fast: FairQueue[_Job] = FairQueue()
        self._slow: FairQueue[_Job] = FairQueue()
        self._pool: list[Worker] = []  # starting, idle and fast-lane workers
        self._slow_running: list[Worker] = []
        self._reaping: list[Worker] = []
        self._failed_starts = 0
        self._broken: str | None = None
        self._next_start = 0.0
        self._job_s = 0.05  # running mean of a fast job's seconds, for Retry-After
        self._closed = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        with self._lock:
            self._replenish(time.monotonic())
        self._thread = threading.Thread(target=self._loop, name="mmreward-sandbox", daemon=True)
        self._thread.start()
        # Before multiprocessing's own exit hook terminates the workers under the scheduler.
        atexit.register(self.close)

    @classmethod
    def from_settings(cls, settings: Settings) -> Sandbox:
        return cls(
            workers=settings.sandbox_workers,
            timeout_s=settings.sandbox_timeout_s,
            memory_bytes=settings.sandbox_memory_mb << 20,
            fast_budget_s=settings.sandbox_fast_budget_s,
            busy_budget_s=settings.sandbox_busy_budget_s,
            slow_workers=settings.sandbox_slow_workers,
            spare_workers=settings.sandbox_spare_workers,
            max_queue=settings.sandbox_max_queue,
            remember_timeouts_s=settings.sandbox_remember_timeouts_s,
        )

    # -- callers -------------------------------------------------------------------------

    def submit_many(
        self, jobs: Sequence[Deferred], ticket: Ticket | None = None
    ) -> list[Future[Verdict]]:
        """Queue jobs under one ticket (the caller's request, or a new one).

        Raises `OverloadedError` (HTTP 429) when the queues (fast and slow together) cannot
        take them all; a batch is always taken into empty queues, so no batch size is refused
        forever. A job taken in is never refused later: it waits as long as its ticket allows.
        """
        ticket = ticket or current_ticket() or Ticket()
        keys = [job_key(job) for job in jobs]
        futures: list[Future[Verdict]] = []
        with self._lock:
            if self._closed:
                raise RuntimeError("sandbox is closed")
            waiting = len(self._fast) + len(self._slow)
            if waiting and waiting + len(jobs) > self.max_queue:
                OUTCOMES.labels("rejected").inc(len(jobs))
                raise OverloadedError(
                    f"sandbox queue is full ({waiting} items waiting)",
                    retry_after_s=self._retry_after_s(),
                )
            for job, key in zip(jobs, keys, strict=True):
                future: Future[Verdict] = Future()
                futures.append(future)
                if self._broken is not None:
                    future.set_result(Verdict.failed("error", self._broken))
                elif key is not None and key in self._memory:
                    self.remembered += 1
                    OUTCOMES.labels("remembered").inc()
                    reason = f"{self._own_timeout_reason()} when last tried (remembered)"
                    future.set_result(self._timed_out(job, reason))
                elif key is not None and key in self._known_slow:
                    self._queue_slow(_Job(job, ticket, future, key))
                else:
                    self._fast.push(ticket, _Job(job, ticket, future, key))
            QUEUED.labels("fast").set(len(self._fast))
            QUEUED.labels("slow").set(len(self._slow))
        self._wake()
        return futures

    def submit(self, job: Deferred, ticket: Ticket | None = None) -> Future[Verdict]:
        return self.submit_many([job], ticket)[0]

    def run(self, job: Deferred) -> Verdict:
        return self.submit(job).result()

    def run_many(self, jobs: Sequence[Deferred]) -> list[Verdict]:
        """Submit all jobs at once so the workers stay busy, then collect in order."""
        return [future.result() for future in self.submit_many(jobs)]

    async def arun(self, job: Deferred) -> Verdict:
        return await asyncio.wrap_future(self.submit(job))

    async def arun_many(self, jobs: Sequence[Deferred]) -> list[Verdict]:
        futures = self.submit_many(jobs)
        return list(await asyncio.gather(*(asyncio.wrap_future(f) for f in futures)))

    def state(self) -> dict[str, int]:
        """Worker and queue counts, for readiness checks and tests."""
        with self._lock:
            return {
                "ready_idle": sum(w.ready and w.job is None for w in self._pool),
                "starting": sum(not w.ready for w in self._pool),
                "fast_running": sum(w.job is not None for w in self._pool),
                "slow_running": len(self._slow_running),
                "fast_queued": len(self._fast),
                "slow_queued": len(self._slow),
            }

    def running_pids(self) -> list[int]:
        """Process ids of the workers running a job now (fault injection, debugging)."""
        with self._lock:
            busy = [w for w in self._pool if w.job is not None] + self._slow_running
            return [w.pid for w in busy]

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        atexit.unregister(self.close)
        self._wake()
        self._thread.join(timeout=10)
        with self._lock:
            closed = Verdict.failed("error", "sandbox closed")
            for _, job in [*self._fast.drain(), *self._slow.drain()]:
                self._resolve(job, closed)
            for worker in [*self._pool, *self._slow_running]:
                if worker.job is not None:
                    self._resolve(worker.job, closed)
                worker.process.kill()
                self._reaping.append(worker)
            for worker in self._reaping:
                worker.process.join(timeout=2)
                worker.conn.close()
            self._pool.clear()
            self._slow_running.clear()
            self._reaping.clear()
        self._wake_r.close()
        self._wake_w.close()

    # -- the scheduler thread --------------------------------------------------------------

    def _wake(self) -> None:
        # An error means a wake-up is already pending, or the sandbox is closing.
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _loop(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
                workers = [*self._pool, *self._slow_running]
                watched: list[object] = [self._wake_r]
                watched += [w.conn for w in workers]
                watched += [w.process.sentinel for w in [*workers, *self._reaping]]
                active = bool(
                    self._fast or self._slow or self._slow_running or self._reaping
                ) or any(w.job is not None or not w.ready for w in self._pool)
            ready = wait(watched, _TICK_S if active else None)  # type: ignore[arg-type]
            with self._lock:
                if self._closed:
                    return
                try:
                    self._step(set(ready), time.monotonic())
                except Exception:
                    log.exception("sandbox scheduler step failed")

    def _step(self, ready: set[object], now: float) -> None:
        if self._wake_r in ready:
            try:
                while self._wake_r.recv(4096):
                    pass
            except BlockingIOError:
                pass
        for worker in [*self._pool, *self._slow_running]:
            if worker.conn in ready:
                self._receive(worker, now)
            elif worker.process.sentinel in ready:
                self._lost(worker)
        self._reap()
        self._supervise(now)
        for ticket, job in [*self._fast.drop_ended(now), *self._slow.drop_ended(now)]:
            OUTCOMES.labels("dropped").inc()
            self._resolve(job, Verdict.failed(*ticket.ending_reason()))
        self._dispatch(now)
        self._replenish(now)
        QUEUED.labels("fast").set(len(self._fast))
        QUEUED.labels("slow").set(len(self._slow))
        RUNNING.labels("fast").set(sum(w.job is not None for w in self._pool))
        RUNNING.labels("slow").set(len(self._slow_running))

    def _receive(self, worker: Worker, now: float) -> None:
        try:
            kind, payload = worker.conn.recv()
        except (EOFError, OSError):
            self._lost(worker)
            return
        if kind == "ready":
            worker.ready = True
            self._failed_starts = 0
            self._broken = None
            return
        job, worker.job = worker.job, None
        if job is not None:
            if kind == "done":
                verdict = payload
                OUTCOMES.labels("done").inc()
                if not worker.slow:
                    self._job_s = 0.9 * self._job_s + 0.1 * (now - worker.started)
            elif kind == "memory":
                OUTCOMES.labels("memory").inc()
                verdict = Verdict.failed("error", "evaluation exceeded the memory limit")
            else:
                OUTCOMES.labels("crashed").inc()
                verdict = Verdict.failed("error", f"evaluation failed: {payload}")
            self._resolve(job, verdict)
        if worker.slow or kind == "memory":
            self._retire(worker)

    def _lost(self, worker: Worker) -> None:
        """A worker that died on its own (crash, OOM killer, someone's SIGKILL)."""
        self._forget(worker)
        worker.process.join(timeout=1)
        code = worker.process.exitcode
        if not worker.ready:
            self._failed_starts += 1
            if self._failed_starts >= _FAILED_STARTS_BEFORE_BROKEN:
                self._broken = f"sandbox workers fail to start (exit code {code})"
                self._next_start = time.monotonic() + 5.0
                self._fail_waiting(self._broken)
        if worker.job is not None:
            OUTCOMES.labels("crashed").inc()
            self._resolve(
                worker.job, Verdict.failed("error", f"evaluation worker died (exit code {code})")
            )
            worker.job = None
        self._reaping.append(worker)

    def _supervise(self, now: float) -> None:
        for worker in [w for w in self._pool if w.job is not None]:
            busy = self._fast.waiting_besides(worker.job.ticket)
            budget = self.busy_budget_s if busy else self.fast_budget_s
            # Wall-clock, not CPU time: what a fast worker owes the lane is to be free again soon.
            if now - worker.started >= budget:
                self._overrun(worker, now, budget)
        for worker in list(self._slow_running):
            job = worker.job
            if job is None:
                continue
            if job.ticket.ended(now):
                OUTCOMES.labels("dropped").inc()
                self._kill(worker, Verdict.failed(*job.ticket.ending_reason()))
            elif worker.job_cpu_seconds() >= self.timeout_s:
                if job.key is not None:
                    self._memory.add(job.key)
                self._count_timeout()
                self._kill(worker, self._timed_out(job.deferred, self._own_timeout_reason()))
            elif worker.job_slept_seconds(now) >= self.wall_limit_s:
                # Not remembered: a job that sleeps may not sleep next time.
                self._count_timeout()
                reason = (
                    f"evaluation slept over {self.wall_limit_s:g}s "
                    f"({worker.job_cpu_seconds():.1f}s of CPU)"
                )
                self._kill(worker, self._timed_out(job.deferred, reason))

    def _overrun(self, worker: Worker, now: float, budget: float) -> None:
        """A fast-lane job past its budget: on to the slow lane, or wait for a slow worker.

        A job that has barely had the CPU (a busy machine, not a slow item) keeps its fast
        worker a while longer: the slow lane's idle priority would starve it.
        """
        job = worker.job
        assert job is not None
        if worker.job_cpu_seconds() < budget / 2 and now - worker.started < 4 * budget:
            return  # it has barely had the CPU: a busy machine, not (yet) a slow item
        self._pool.remove(worker)
        worker.slow = True
        if len(self._slow_running) < self.slow_workers:
            if job.key is not None:
                self._known_slow.add(job.key)
            _renice(worker)
            self._slow_running.append(worker)
            return
        worker.job = None
        worker.process.kill()
        self._reaping.append(worker)
        self._queue_slow(job)

    def _queue_slow(self, job: _Job) -> None:
        """Wait for the slow lane; a job known to be slow never holds a fast worker again."""
        if job.key is not None:
            self._known_slow.add(job.key)
        self._slow.push(job.ticket, job)

    def _dispatch(self, now: float) -> None:
        idle = [w for w in self._pool if w.ready and w.job is None]
        busy = sum(w.job is not None for w in self._pool)
        while self._fast and busy < self.workers and idle:
            job = self._fast.pop()
            if not job.future.set_running_or_notify_cancel():
                continue  # its caller cancelled the await
            job.started = True
            if self._send(idle.pop(), job, now):
                busy += 1
        while self._slow and len(self._slow_running) < self.slow_workers and idle:
            job = self._slow.pop()
            if not job.started:
                if not job.future.set_running_or_notify_cancel():
                    continue
                job.started = True
            worker = idle.pop()
            self._pool.remove(worker)
            worker.slow = True
            _renice(worker)
            self._slow_running.append(worker)
            self._send(worker, job, now)

    def _send(self, worker: Worker, job: _Job, now: float) -> bool:
        worker.job = job
        worker.mark_start(now)
        try:
            worker.conn.send(job.deferred)
        except OSError:
            self._lost(worker)
            return False
        except Exception as error:  # the job does not pickle
            worker.job = None
            self._resolve(job, Verdict.failed("error", f"job cannot be sent: {error}"))
            return False
        return True

    def _replenish(self, now: float) -> None:
        """Keep `workers + spare_workers` normal workers started (or starting)."""
        if self._closed or now < self._next_start:
            return
        while len(self._pool) < self.workers + self.spare_workers:
            parent, child = self._context.Pipe()
            process = self._context.Process(
                target=serve, args=(child, self.memory_bytes), daemon=True
            )
            try:
                process.start()
            except Exception as error:
                log.warning("sandbox worker failed to start: %s", error)
                self._broken = f"sandbox workers fail to start: {error}"
                self._next_start = now + 5.0
                self._fail_waiting(self._broken)
                parent.close()
                return
            finally:
                child.close()
            self._pool.append(Worker(process=process, conn=parent))

    # -- helpers ---------------------------------------------------------------------------

    def _forget(self, worker: Worker) -> None:
        if worker in self._pool:
            self._pool.remove(worker)
        if worker in self._slow_running:
            self._slow_running.remove(worker)

    def _kill(self, worker: Worker, verdict: Verdict) -> None:
        job, worker.job = worker.job, None
        if job is not None:
            self._resolve(job, verdict)
        self._retire(worker)

    def _retire(self, worker: Worker) -> None:
        self._forget(worker)
        worker.process.kill()
        self._reaping.append(worker)

    def _reap(self) -> None:
        for worker in list(self._reaping):
            if worker.process.exitcode is not None:
                self._reaping.remove(worker)
                worker.conn.close()
                worker.process.close()

    def _fail_waiting(self, reason: str) -> None:
        for _, job in [*self._fast.drain(), *self._slow.drain()]:
            self._resolve(job, Verdict.failed("error", reason))

    def _retry_after_s(self) -> float:
        """When the queues will have room again, roughly: the fast queue at the running mean of
        a fast job, the slow queue at the fast budget per job (a lower bound of a slow one)."""
        fast = len(self._fast) * self._job_s / self.workers
        return fast + len(self._slow) * self.fast_budget_s / self.slow_workers

    def _count_timeout(self) -> None:
        self.timeouts += 1
        OUTCOMES.labels("timeout").inc()

    def _own_timeout_reason(self) -> str:
        return f"evaluation used more than {self.timeout_s:g}s of CPU"

    @staticmethod
    def _timed_out(job: Deferred, reason: str) -> Verdict:
        """The job's own fallback (it knows the extracted answer), with the sandbox's reason."""
        fallback = job.fallback
        if fallback is None:
            return Verdict.failed("timeout", reason)
        if fallback.status == "timeout":
            return fallback.model_copy(update={"reason": reason})
        return fallback

    @staticmethod
    def _resolve(job: _Job, verdict: Verdict) -> None:
        if not job.future.done():
            job.future.set_result(verdict)


def _renice(worker: Worker) -> None:
    # A lower priority is a courtesy to fast items, not a requirement.
    try:
        os.sched_setscheduler(worker.pid, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, worker.pid, _SLOW_NICE)


_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The process-wide sandbox `verify()` uses, started on first need."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox()
        return _default
