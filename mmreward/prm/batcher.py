"""Token-budget batching in front of one model.

One thread owns the model and runs every forward pass, so there is never concurrent use of a
model object (which PyTorch does not make safe or fast) and callers in any thread or event loop
just wait on futures. Requests queue up to a bound; past it `submit` raises `OverloadedError`,
which the service answers with 429 and Retry-After.

The owner thread waits at most ``max_wait_s`` after the first queued item for company, then sorts
everything it took by length and cuts it into batches whose padded size (rows x longest row)
stays within ``max_batch_tokens``: similar lengths share a batch, so little compute goes to
padding, and a single long item still runs alone.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, TypeVar

from mmreward.errors import InvalidInputError, OverloadedError
from mmreward.prm.encoding import Encoded

log = logging.getLogger(__name__)
R = TypeVar("R")


@dataclass
class _Job(Generic[R]):
    item: Encoded
    future: Future[R]


def plan_batches(lengths: Sequence[int], max_batch_tokens: int) -> list[list[int]]:
    """Indices grouped into batches: longest first, each within the padded-token budget."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        width = lengths[current[0]] if current else lengths[i]
        if current and width * (len(current) + 1) > max_batch_tokens:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


class TokenBudgetBatcher(Generic[R]):
    """Run ``forward(batch) -> results`` on one owner thread, batching by token budget."""

    def __init__(
        self,
        forward: Callable[[list[Encoded]], Sequence[R]],
        *,
        max_batch_tokens: int = 2048,
        max_wait_s: float = 0.005,
        max_queue: int = 4096,
        name: str = "batcher",
    ) -> None:
        if max_batch_tokens < 1 or max_queue < 1 or max_wait_s < 0:
            raise ValueError("max_batch_tokens and max_queue must be positive, max_wait_s >= 0")
        self._forward = forward
        self.max_batch_tokens = max_batch_tokens
        self.max_wait_s = max_wait_s
        self.max_queue = max_queue
        self._queue: deque[_Job[R]] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._seconds_per_token = 1e-5
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def queued(self) -> int:
        """Items waiting for the owner thread."""
        return len(self._queue)

    def submit(self, items: Sequence[Encoded]) -> list[Future[R]]:
        """Queue all items of one request, or none of them if the queue lacks room."""
        if len(items) > self.max_queue:
            raise InvalidInputError(
                f"{len(items)} items in one request; the scoring queue holds {self.max_queue}: "
                "split the request"
            )
        with self._cond:
            if self._closed:
                raise RuntimeError("batcher is closed")
            if len(self._queue) + len(items) > self.max_queue:
                raise OverloadedError(
                    f"scoring queue full ({len(self._queue)} of {self.max_queue} items); retry",
                    retry_after_s=self._retry_after(),
                )
            futures: list[Future[R]] = []
            for item in items:
                fut: Future[R] = Future()
                self._queue.append(_Job(item, fut))
                futures.append(fut)
            self._cond.notify()
        return futures

    def run(self, items: Sequence[Encoded]) -> list[R]:
        """Blocking convenience for in-process callers (evaluation, relabeling): any number of
        items, fed in queue-sized chunks, waiting out a full queue instead of failing."""
        results: list[R] = []
        for start in range(0, len(items), self.max_queue):
            chunk = items[start : start + self.max_queue]
            while True:
                try:
                    futures = self.submit(chunk)
                    break
                except OverloadedError as full:
                    time.sleep(full.retry_after_s)
            results += [f.result() for f in futures]
        return results

    async def run_async(self, items: Sequence[Encoded]) -> list[R]:
        """Awaitable convenience for event loops."""
        futures = [asyncio.wrap_future(f) for f in self.submit(items)]
        return list(await asyncio.gather(*futures))

    def close(self) -> None:
        """Stop the owner thread once the queue is drained."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join()

    def _retry_after(self) -> float:
        backlog = sum(len(job.item) for job in self._queue)
        return max(0.05, round(backlog * self._seconds_per_token, 3))

    def _take(self) -> list[_Job[R]] | None:
        with self._cond:
            while not self._queue and not self._closed:
                self._cond.wait()
            if not self._queue:
                return None
            deadline = time.monotonic() + self.max_wait_s
            while not self._closed:
                tokens = sum(len(job.item) for job in self._queue)
                left = deadline - time.monotonic()
                if tokens >= self.max_batch_tokens or left <= 0:
                    break
                self._cond.wait(left)
            taken: list[_Job[R]] = []
            budget = 4 * self.max_batch_tokens
            while self._queue and (not taken or budget > 0):
                job = self._queue.popleft()
                budget -= len(job.item)
                taken.append(job)
            return taken

    def _run(self) -> None:
        while (jobs := self._take()) is not None:
            for index_batch in plan_batches([len(j.item) for j in jobs], self.max_batch_tokens):
                batch = [jobs[i] for i in index_batch]
                live = [j for j in batch if j.future.set_running_or_notify_cancel()]
                if not live:
                    continue
                started = time.perf_counter()
                try:
                    results = self._forward([j.item for j in live])
                except Exception as exc:  # a failed forward fails its own requests only
                    log.exception("batch of %d failed", len(live))
                    for j in live:
                        j.future.set_exception(exc)
                    continue
                tokens = sum(len(j.item) for j in live)
                per_token = (time.perf_counter() - started) / max(1, tokens)
                self._seconds_per_token = 0.8 * self._seconds_per_token + 0.2 * per_token
                for j, result in zip(live, results, strict=True):
                    j.future.set_result(result)
