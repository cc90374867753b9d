"""Items that used up their own CPU budget, remembered for a while.

A GRPO group or a retried batch sends the same runaway item again; answering it from memory
keeps the retry fast and the workers free. Only an item's own CPU time counts: an item that was
slow because the machine was busy is tried again next time.
"""

from __future__ import annotations

import hashlib
import pickle
import time
from collections import OrderedDict

from mmreward.verifiers.deferred import Deferred


def job_key(job: Deferred) -> str | None:
    """Identity of a job: its function and arguments (None when they do not pickle)."""
    try:
        payload = pickle.dumps((job.fn.__module__, job.fn.__qualname__, job.args), protocol=5)
    except Exception:
        return None
    return hashlib.sha256(payload).hexdigest()


class TimeoutMemory:
    """LRU of job keys with a time to live."""

    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._until: OrderedDict[str, float] = OrderedDict()

    def add(self, key: str) -> None:
        if self.ttl_s <= 0:
            return
        self._until[key] = time.monotonic() + self.ttl_s
        self._until.move_to_end(key)
        while len(self._until) > self.max_entries:
            self._until.popitem(last=False)

    def __contains__(self, key: str) -> bool:
        until = self._until.get(key)
        if until is None:
            return False
        if time.monotonic() >= until:
            del self._until[key]
            return False
        return True
