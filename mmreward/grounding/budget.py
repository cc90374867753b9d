"""Decoded pixels held at once by every caller of one scorer: a first-come, first-served budget
that threads and coroutines wait on alike.

One request's images are decoded a batch at a time, each batch within the request's share, but
several requests decode at once; without a shared bound 10 requests of image bombs would each
hold their batch. A waiter is served in order of arrival, so a big batch is not starved by small
ones; a batch larger than the whole budget is let through alone (it waits until nothing else is
held).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class PixelBudget:
    def __init__(self, total: int) -> None:
        self.total = total
        self._free = total
        self._lock = threading.Lock()
        self._waiting: deque[tuple[int, Callable[[], None]]] = deque()

    def _take_or_wait(self, pixels: int, wake: Callable[[], None]) -> bool:
        with self._lock:
            if not self._waiting and self._free >= pixels:
                self._free -= pixels
                return True
            self._waiting.append((pixels, wake))
            return False

    def _cost(self, pixels: int) -> int:
        return min(pixels, self.total)

    def release(self, pixels: int) -> None:
        woken = []
        with self._lock:
            self._free += self._cost(pixels)
            while self._waiting and self._free >= self._waiting[0][0]:
                cost, wake = self._waiting.popleft()
                self._free -= cost
                woken.append(wake)
        for wake in woken:
            wake()

    @contextmanager
    def held(self, pixels: int) -> Iterator[None]:
        """Hold `pixels` for the block, waiting on this thread until they are free."""
        granted = threading.Event()
        if not self._take_or_wait(self._cost(pixels), granted.set):
            granted.wait()
        try:
            yield
        finally:
            self.release(pixels)

    async def acquire(self, pixels: int) -> None:
        """Wait without blocking the event loop; `release(pixels)` when done. A waiter that is
        cancelled leaves the queue, or gives back what it was granted meanwhile."""
        loop = asyncio.get_running_loop()
        granted: asyncio.Future[None] = loop.create_future()

        def grant() -> None:
            if not granted.done():
                granted.set_result(None)

        def wake() -> None:
            loop.call_soon_threadsafe(grant)

        cost = self._cost(pixels)
        if self._take_or_wait(cost, wake):
            return
        try:
            await granted
        except asyncio.CancelledError:
            with self._lock:
                queued = (cost, wake) in self._waiting
                if queued:
                    self._waiting.remove((cost, wake))
            if not queued:
                self.release(pixels)
            raise
