"""One owner thread per model, fed by a bounded queue; callers submit single items.

ultralytics' predictor keeps per-call arguments (thresholds, image size) on a shared object, so
two threads predicting with one model corrupt each other's results. Here only the owner thread
ever touches the model: it loads it, then takes whatever accumulated while the previous batch ran
(waiting up to `max_wait_s` for company, at most `max_batch` items), groups them by their settings
key and runs one call per group. Callers, sync or async, hold futures; a full queue is an
`OverloadedError` (HTTP 429), never a stall. Same design as the PRM's `TokenBudgetBatcher`, with
a per-item settings key and a setup step on the owner thread instead of a token budget.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, TypeVar

from mmreward.errors import OverloadedError

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K", bound=Hashable)


@dataclass
class _Job(Generic[T, K, R]):
    item: T
    key: K
    future: Future[R]


_STOP = object()


class OwnerThreadBatcher(Generic[T, K, R]):
    """Runs `process(key, items) -> results` for batches of items on one dedicated thread."""

    def __init__(
        self,
        process: Callable[[K, list[T]], Sequence[R]],
        *,
        setup: Callable[[], None] | None = None,
        max_batch: int = 32,
        max_wait_s: float = 0.002,
        max_queue: int = 4096,
        name: str = "batcher",
    ) -> None:
        if max_batch < 1 or max_queue < 1 or max_wait_s < 0:
            raise ValueError("max_batch and max_queue must be positive, max_wait_s >= 0")
        self._process = process
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        self._queue: queue.Queue[_Job[T, K, R] | object] = queue.Queue(maxsize=max_queue)
        self._started = threading.Event()
        self._setup_error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, args=(setup,), name=name, daemon=True)
        self._thread.start()
        self._started.wait()
        if self._setup_error is not None:
            self._thread.join()
            raise self._setup_error

    def submit(self, item: T, key: K) -> Future[R]:
        """Queue one item; thread-safe. Raises `OverloadedError` when the queue is full."""
        if self._closed:
            raise RuntimeError("batcher is closed")
        future: Future[R] = Future()
        try:
            self._queue.put_nowait(_Job(item, key, future))
        except queue.Full:
            raise OverloadedError("detector queue is full", retry_after_s=1.0) from None
        return future

    async def asubmit(self, item: T, key: K) -> R:
        return await asyncio.wrap_future(self.submit(item, key))

    def run_many(self, items: Sequence[T], key: K) -> list[R]:
        """Submit all, wait for all (the owner thread batches them)."""
        futures = [self.submit(item, key) for item in items]
        return [f.result() for f in futures]

    def close(self) -> None:
        """Finish queued work, then stop the owner thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self, setup: Callable[[], None] | None) -> None:
        try:
            if setup is not None:
                setup()
        except BaseException as error:
            self._setup_error = error
            self._started.set()
            return
        self._started.set()
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            jobs: list[_Job[T, K, R]] = [first]  # type: ignore[list-item]
            stop = False
            deadline = time.monotonic() + self._max_wait_s
            while len(jobs) < self._max_batch:
                try:
                    more = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                jobs.append(more)  # type: ignore[arg-type]
            self._run_jobs(jobs)
            if stop:
                return

    def _run_jobs(self, jobs: list[_Job[T, K, R]]) -> None:
        groups: dict[K, list[_Job[T, K, R]]] = {}
        for job in jobs:
            if job.future.set_running_or_notify_cancel():
                groups.setdefault(job.key, []).append(job)
        for key, group in groups.items():
            try:
                results = self._process(key, [job.item for job in group])
                if len(results) != len(group):
                    raise RuntimeError(f"{len(results)} results for {len(group)} items")
            except Exception as error:
                for job in group:
                    job.future.set_exception(error)
                continue
            for job, result in zip(group, results, strict=True):
                job.future.set_result(result)
