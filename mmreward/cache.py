"""Verdict cache: identical items in a GRPO group or a re-run relabel job are judged once.

In-process LRU by default; Redis when a URL is configured so several server processes and
relabel workers share it. A cache failure never fails scoring: it degrades to a miss.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import redis

from mmreward.items import VerifyItem
from mmreward.verifiers.verdict import Verdict

log = logging.getLogger(__name__)

CACHE_VERSION = "2"
"""Bump when verifier behaviour changes, so stale verdicts are not served."""


def cache_key(item: VerifyItem) -> str:
    payload = json.dumps(
        [CACHE_VERSION, item.verifier, item.response, item.reference, item.options, item.params],
        sort_keys=True,
        default=str,
    )
    return "mmreward:v:" + hashlib.sha256(payload.encode()).hexdigest()


class VerdictCache(Protocol):
    def get_many(self, keys: Sequence[str]) -> list[Verdict | None]: ...

    def set_many(self, entries: dict[str, Verdict]) -> None: ...


class MemoryCache:
    """Thread-safe LRU of verdicts."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[str, Verdict] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[str]) -> list[Verdict | None]:
        with self._lock:
            found: list[Verdict | None] = []
            for key in keys:
                verdict = self._data.get(key)
                if verdict is not None:
                    self._data.move_to_end(key)
                found.append(verdict)
            return found

    def set_many(self, entries: dict[str, Verdict]) -> None:
        with self._lock:
            for key, verdict in entries.items():
                self._data[key] = verdict
                self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)


class RedisCache:
    """Verdicts as JSON strings with a TTL, shared across processes."""

    def __init__(self, url: str, ttl_s: int = 7 * 24 * 3600) -> None:
        self.ttl_s = ttl_s
        self._client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)

    def get_many(self, keys: Sequence[str]) -> list[Verdict | None]:
        if not keys:
            return []
        try:
            raw = self._client.mget(list(keys))
        except redis.RedisError as error:
            log.warning("verdict cache read failed: %s", error)
            return [None] * len(keys)
        return [None if value is None else Verdict.model_validate_json(value) for value in raw]

    def set_many(self, entries: dict[str, Verdict]) -> None:
        if not entries:
            return
        try:
            pipe = self._client.pipeline(transaction=False)
            for key, verdict in entries.items():
                pipe.set(key, verdict.model_dump_json(), ex=self.ttl_s)
            pipe.execute()
        except redis.RedisError as error:
            log.warning("verdict cache write failed: %s", error)

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except redis.RedisError:
            return False
