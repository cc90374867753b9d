"""Verdict cache: identical items in a GRPO group or a re-run relabel job are judged once.

In-process LRU by default; Redis when a URL is configured so several server processes and
relabel workers share it. A cache failure never fails scoring: it degrades to a miss.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Generic, Protocol, TypeVar

import redis
from prometheus_client import Counter, Gauge
from pydantic import ValidationError

from mmreward.items import VerifyItem
from mmreward.verifiers.verdict import Verdict

log = logging.getLogger(__name__)
K = TypeVar("K")
V = TypeVar("V")

CACHE_ERRORS = Counter(
    "mmreward_cache_errors_total",
    "Verdict cache calls that failed (Redis down or restarting); scoring went on uncached",
    ["operation"],
)
CACHE_UP = Gauge(
    "mmreward_cache_up",
    "0 while the Redis verdict cache is unreachable and skipped; 1 otherwise (the in-process "
    "cache, or none, cannot be down)",
)
CACHE_UP.set(1)  # only a Redis outage sets it to 0: a 0 must never read as an outage that is not
CACHE_BACKEND = Gauge(
    "mmreward_cache_backend",
    "1 for the verdict cache this process uses: memory (in-process LRU), redis or off",
    ["backend"],
)

CACHE_VERSION = "3"
"""Bump when verifier behaviour changes, so stale verdicts are not served."""


_KEY_JSON = json.JSONEncoder(sort_keys=True, default=str)
"""`json.dumps(..., sort_keys=True, default=str)` made once, not once per item."""


def cache_key(item: VerifyItem) -> str:
    payload = _KEY_JSON.encode(
        [CACHE_VERSION, item.verifier, item.response, item.reference, item.options, item.params]
    )
    return "mmreward:v:" + hashlib.sha256(payload.encode()).hexdigest()


class VerdictCache(Protocol):
    def get_many(self, keys: Sequence[str]) -> list[Verdict | None]: ...

    def set_many(self, entries: dict[str, Verdict]) -> None: ...


class LRU(Generic[K, V]):
    """Thread-safe map of at most `max_entries` entries that forgets the least recently used."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max(max_entries, 0)
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[K]) -> list[V | None]:
        with self._lock:
            found: list[V | None] = []
            for key in keys:
                value = self._data.get(key)
                if value is not None:
                    self._data.move_to_end(key)
                found.append(value)
            return found

    def get(self, key: K) -> V | None:
        return self.get_many([key])[0]

    def put_many(self, entries: Mapping[K, V]) -> None:
        with self._lock:
            for key, value in entries.items():
                self._data[key] = value
                self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def put(self, key: K, value: V) -> None:
        self.put_many({key: value})

    def __len__(self) -> int:
        return len(self._data)


class MemoryCache:
    """In-process verdict cache: an LRU of each verdict's JSON, so that every hit is a new
    verdict and nothing a caller does to one can reach the cache or another caller."""

    def __init__(self, max_entries: int) -> None:
        self._lru: LRU[str, bytes] = LRU(max_entries)
        CACHE_BACKEND.labels("memory").set(1)

    def get_many(self, keys: Sequence[str]) -> list[Verdict | None]:
        return [
            None if raw is None else Verdict.model_validate_json(raw)
            for raw in self._lru.get_many(keys)
        ]

    def set_many(self, entries: dict[str, Verdict]) -> None:
        self._lru.put_many({key: v.model_dump_json().encode() for key, v in entries.items()})


class RedisCache:
    """Verdicts as JSON strings with a TTL, shared across processes.

    Redis down or restarting never fails or slows scoring: after a failed call the cache is
    skipped (every lookup a miss) for a back-off that doubles up to `max_backoff_s`, then tried
    again; going down and coming back are logged once each and shown in `mmreward_cache_up`.
    """

    def __init__(
        self,
        url: str,
        ttl_s: int = 7 * 24 * 3600,
        *,
        timeout_s: float = 0.5,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.ttl_s = ttl_s
        self._client = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self._first_backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._backoff_s = backoff_s
        self._skip_until = 0.0
        self._up = True
        self._state_lock = threading.Lock()
        CACHE_UP.set(1)
        CACHE_BACKEND.labels("redis").set(1)

    @property
    def up(self) -> bool:
        return self._up

    def get_many(self, keys: Sequence[str]) -> list[Verdict | None]:
        if not keys or self._skipping():
            return [None] * len(keys)
        try:
            raw = self._client.mget(list(keys))
        except redis.RedisError as error:
            self._failed("read", error)
            return [None] * len(keys)
        self._answered()
        return [_parse(value) for value in raw]

    def set_many(self, entries: dict[str, Verdict]) -> None:
        if not entries or self._skipping():
            return
        try:
            pipe = self._client.pipeline(transaction=False)
            for key, verdict in entries.items():
                pipe.set(key, verdict.model_dump_json(), ex=self.ttl_s)
            pipe.execute()
        except redis.RedisError as error:
            self._failed("write", error)
            return
        self._answered()

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except redis.RedisError:
            return False

    def _skipping(self) -> bool:
        return not self._up and time.monotonic() < self._skip_until

    def _failed(self, operation: str, error: Exception) -> None:
        CACHE_ERRORS.labels(operation=operation).inc()
        with self._state_lock:
            if self._up:
                log.warning("verdict cache %s failed, scoring uncached: %s", operation, error)
                self._backoff_s = self._first_backoff_s
            else:
                self._backoff_s = min(2 * self._backoff_s, self._max_backoff_s)
            self._up = False
            self._skip_until = time.monotonic() + self._backoff_s
        CACHE_UP.set(0)

    def _answered(self) -> None:
        if self._up:
            return
        with self._state_lock:
            if not self._up:
                log.warning("verdict cache is back")
                self._up = True
        CACHE_UP.set(1)


def _parse(value: bytes | str | None) -> Verdict | None:
    """A stored verdict, or a miss for anything unreadable (another version, a corrupt value)."""
    if value is None:
        return None
    try:
        return Verdict.model_validate_json(value)
    except ValidationError:
        return None
