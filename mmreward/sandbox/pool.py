"""A pebble process pool with a wall-clock limit per item and an address-space limit per worker.

Why processes and not SIGALRM: a signal only reaches the main thread, and a thread stuck in a C
loop inside sympy/gmpy holds the GIL for good. A process can always be killed; pebble replaces it.
Workers are started with `spawn` so they never inherit a parent that has torch loaded (which
would make the memory limit meaningless or immediately fatal), and without re-running the
caller's main script (see `spawning.py`).
"""

from __future__ import annotations

import asyncio
import resource
import threading
from concurrent.futures import Future, wait
from concurrent.futures import TimeoutError as FutureTimeout

from pebble import ProcessExpired, ProcessPool

from mmreward.sandbox.spawning import WorkerContext
from mmreward.verifiers.registry import Deferred
from mmreward.verifiers.verdict import Verdict


def _limit_worker(memory_bytes: int) -> None:
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # Pay sympy's import once per worker, not on the first item's clock.
    import sympy  # noqa: F401


def _run(job: Deferred) -> Verdict:
    return job.run_inline()


class Sandbox:
    """Runs `Deferred` jobs; every job ends in a `Verdict`, whatever the worker does."""

    def __init__(
        self, workers: int = 1, timeout_s: float = 2.0, memory_bytes: int = 1 << 30
    ) -> None:
        self.workers = workers
        self.timeout_s = timeout_s
        self.memory_bytes = memory_bytes
        self.timeouts = 0
        self.crashes = 0
        self._pool = ProcessPool(
            max_workers=workers,
            initializer=_limit_worker,
            initargs=(memory_bytes,),
            context=WorkerContext(),
        )
        self._lock = threading.Lock()

    def submit(self, job: Deferred) -> Future[Verdict]:
        return self._pool.schedule(_run, args=(job,), timeout=self.timeout_s)

    def outcome(self, job: Deferred, future: Future[Verdict]) -> Verdict:
        """Turn a finished future into a verdict; a killed or crashed job is not an exception."""
        error = future.exception()
        if error is None:
            return future.result()
        if isinstance(error, FutureTimeout):
            with self._lock:
                self.timeouts += 1
            if job.fallback is not None:
                return job.fallback
            return Verdict.failed("timeout", f"evaluation exceeded {self.timeout_s:g}s")
        with self._lock:
            self.crashes += 1
        if isinstance(error, ProcessExpired):
            return Verdict.failed("error", f"evaluation worker died (exit code {error.exitcode})")
        if isinstance(error, MemoryError):
            return Verdict.failed("error", "evaluation exceeded the memory limit")
        return Verdict.failed("error", f"evaluation failed: {type(error).__name__}: {error}")

    def run(self, job: Deferred) -> Verdict:
        future = self.submit(job)
        wait([future])
        return self.outcome(job, future)

    def run_many(self, jobs: list[Deferred]) -> list[Verdict]:
        """Submit all jobs at once so the workers stay busy, then collect in order."""
        futures = [self.submit(job) for job in jobs]
        wait(futures)
        return [self.outcome(job, future) for job, future in zip(jobs, futures, strict=True)]

    async def arun(self, job: Deferred) -> Verdict:
        future = self.submit(job)
        await asyncio.wait([asyncio.wrap_future(future)])
        return self.outcome(job, future)

    def close(self) -> None:
        self._pool.stop()  # type: ignore[no-untyped-call]  # pebble ships no annotation here
        self._pool.join(timeout=5)


_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The process-wide sandbox `verify()` uses, started on first need."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox()
        return _default


def set_default_sandbox(sandbox: Sandbox | None) -> None:
    """Replace the process-wide sandbox (the server sizes it from its settings)."""
    global _default
    with _default_lock:
        _default = sandbox
