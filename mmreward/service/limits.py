"""Request-size guard, per-route metrics and per-request sandbox tickets, as ASGI middleware.

The size check runs before the body is parsed, so a 50 MB or endless chunked body is refused
after reading at most the limit. Bodies in flight (being read, parsed or scored) are also
bounded in sum: each is a few times its size once parsed, so 200 clients each sending 16 MB at
once would otherwise hold gigabytes; beyond the sum, a request is a 429 before it is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mmreward.fairness import request_scope
from mmreward.metrics import LATENCY, REQUESTS


class BodyTooLarge(Exception):
    pass


async def _send_json(
    send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_busy(send: Send, inflight: int) -> None:
    detail = f"server is busy: {inflight} bytes of request bodies in flight; retry shortly"
    await _send_json(send, 429, detail, [(b"retry-after", b"1")])


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int, max_inflight_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_inflight_bytes = max(max_inflight_bytes, max_body_bytes)
        self.inflight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        message = f"request body exceeds {limit} bytes"
        declared = 0
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit():
                declared = int(value)
        if declared > limit:
            await _send_json(send, 413, message)
            return
        if self.inflight and self.inflight + declared > self.max_inflight_bytes:
            await _send_busy(send, self.inflight)
            return
        charged = declared  # the declared length up front; a chunked body as it arrives
        self.inflight += charged
        seen = 0
        started = False
        refused = False

        async def limited_receive() -> Message:
            # Answer 413/429 here: the framework turns any exception raised while reading the
            # body into its own 400, whose messages tracking_send then drops.
            nonlocal seen, refused, charged
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > charged and not refused:
                    self.inflight += seen - charged
                    charged = seen
                    if seen > limit:
                        refused = True
                        if not started:
                            await _send_json(send, 413, message)
                        raise BodyTooLarge
                    if self.inflight > self.max_inflight_bytes:
                        refused = True
                        if not started:
                            await _send_busy(send, self.inflight - charged)
                        raise BodyTooLarge
            return msg

        async def tracking_send(msg: Message) -> None:
            nonlocal started
            if refused:
                return
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            with contextlib.suppress(BodyTooLarge):
                await self.app(scope, limited_receive, tracking_send)
        finally:
            self.inflight -= charged


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        code = 500

        async def recording_send(msg: Message) -> None:
            nonlocal code
            if msg["type"] == "http.response.start":
                code = msg["status"]
            await send(msg)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = _route_name(scope)
            REQUESTS.labels(route=route, code=str(code)).inc()
            LATENCY.labels(route=route).observe(time.perf_counter() - start)


def _route_name(scope: Scope) -> str:
    """The route template, not the raw path, so metric labels stay bounded."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestScopeMiddleware:
    """One sandbox ticket per request: its deadline, and cancellation when the caller leaves.

    The deadline is `default_deadline_s`, or less when the client sends `X-Deadline-S`. Once
    the body is read, a watcher waits for `http.disconnect`; a caller that hung up stops
    occupying sandbox workers (its waiting and slow items are dropped).
    """

    def __init__(self, app: ASGIApp, default_deadline_s: float) -> None:
        self.app = app
        self.default_deadline_s = default_deadline_s

    def _deadline_s(self, scope: Scope) -> float:
        for name, value in scope.get("headers", []):
            if name == b"x-deadline-s":
                try:
                    asked = float(value)
                except ValueError:
                    break
                if math.isfinite(asked) and asked > 0:
                    return min(asked, self.default_deadline_s)
        return self.default_deadline_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watcher: asyncio.Task[Message] | None = None

        with request_scope(self._deadline_s(scope)) as ticket:

            async def watch() -> Message:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    ticket.cancel()
                return msg

            async def watched_receive() -> Message:
                nonlocal watcher
                if watcher is not None:  # the body is in: the watcher owns `receive`
                    return await asyncio.shield(watcher)
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    ticket.cancel()
                elif not msg.get("more_body", False):
                    watcher = asyncio.ensure_future(watch())
                return msg

            try:
                await self.app(scope, watched_receive, send)
            finally:
                if watcher is not None:
                    watcher.cancel()
