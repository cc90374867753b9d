"""Relabeling spread over worker processes or machines through Redis Streams.

Producers `XADD` batches to one stream; workers in one consumer group take them with
`XREADGROUP`, judge them with their own engine, push the verdicts to a per-batch list and `XACK`.
A worker that dies mid-batch leaves the entry pending; another worker takes it over with
`XAUTOCLAIM` once it has been idle for `claim_idle_ms`. Results are idempotent, so a batch judged
twice is harmless.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import redis

from mmreward.items import VerifyItem
from mmreward.verifiers.verdict import Verdict

log = logging.getLogger(__name__)

STREAM = "mmreward:relabel:tasks"
GROUP = "mmreward-workers"
RESULT_TTL_S = 24 * 3600

Judge = Callable[[list[VerifyItem]], list[Verdict]]


def _result_key(batch_id: str) -> str:
    return f"mmreward:relabel:result:{batch_id}"


class RelabelQueue:
    """Producer side: `judge(items)` fans items out to the workers and gathers verdicts."""

    def __init__(
        self,
        url: str,
        *,
        stream: str = STREAM,
        batch_size: int = 32,
        timeout_s: float = 600.0,
    ) -> None:
        self.stream = stream
        self.batch_size = batch_size
        self.timeout_s = timeout_s
        self._redis = redis.Redis.from_url(url)

    def submit(self, items: Sequence[VerifyItem]) -> str:
        batch_id = uuid.uuid4().hex
        payload = json.dumps([item.model_dump() for item in items])
        self._redis.xadd(self.stream, {"batch": batch_id, "items": payload})
        return batch_id

    def collect(self, batch_id: str) -> list[Verdict]:
        """Block until a worker answers; raises TimeoutError when none does in time."""
        reply: Any = self._redis.blpop([_result_key(batch_id)], timeout=self.timeout_s)
        if reply is None:
            raise TimeoutError(f"no worker answered batch {batch_id} in {self.timeout_s:g}s")
        self._redis.delete(_result_key(batch_id))
        return [Verdict.model_validate(v) for v in json.loads(reply[1])]

    def judge(self, items: list[VerifyItem]) -> list[Verdict]:
        """Submit every batch first so all workers get busy, then collect in order."""
        batches = [
            self.submit(items[start : start + self.batch_size])
            for start in range(0, len(items), self.batch_size)
        ]
        return [verdict for batch_id in batches for verdict in self.collect(batch_id)]


class StreamWorker:
    """Consumer side: one loop per process, judging batches with a local engine."""

    def __init__(
        self,
        url: str,
        judge: Judge,
        *,
        stream: str = STREAM,
        group: str = GROUP,
        name: str | None = None,
        claim_idle_ms: int = 60_000,
    ) -> None:
        self.judge = judge
        self.stream = stream
        self.group = group
        self.name = name or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.claim_idle_ms = claim_idle_ms
        self._redis = redis.Redis.from_url(url)
        self._ensure_group()

    def _ensure_group(self) -> None:
        try:
            self._redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def _next(self, block_ms: int) -> tuple[bytes, dict[bytes, bytes]] | None:
        """An abandoned entry first (another worker died on it), else a new one."""
        # redis-py's reply types are unions over RESP2/RESP3; these are the RESP2 shapes.
        claimed_reply: Any = self._redis.xautoclaim(
            self.stream, self.group, self.name, self.claim_idle_ms, start_id="0-0", count=1
        )
        claimed = claimed_reply[1]
        if claimed:
            entry_id, fields = claimed[0]
            return entry_id, fields
        reply: Any = self._redis.xreadgroup(
            self.group, self.name, {self.stream: ">"}, count=1, block=block_ms
        )
        if not reply:
            return None
        entry_id, fields = reply[0][1][0]
        return entry_id, fields

    def _handle(self, entry_id: bytes, fields: dict[bytes, bytes]) -> None:
        batch_id = fields[b"batch"].decode()
        raw: list[dict[str, Any]] = json.loads(fields[b"items"])
        try:
            verdicts = self.judge([VerifyItem.model_validate(item) for item in raw])
        except Exception as error:
            log.exception("batch %s failed", batch_id)
            verdicts = [Verdict.failed("error", f"worker failed: {error}")] * len(raw)
        key = _result_key(batch_id)
        pipe = self._redis.pipeline()
        pipe.rpush(key, json.dumps([v.model_dump() for v in verdicts]))
        pipe.expire(key, RESULT_TTL_S)
        pipe.xack(self.stream, self.group, entry_id)
        pipe.xdel(self.stream, entry_id)
        pipe.execute()

    def run(self, stop: threading.Event | None = None, *, max_batches: int | None = None) -> int:
        """Work until `stop` is set or `max_batches` are done; returns batches handled."""
        done = 0
        while not (stop is not None and stop.is_set()) and (
            max_batches is None or done < max_batches
        ):
            entry = self._next(block_ms=500)
            if entry is not None:
                self._handle(*entry)
                done += 1
        return done
