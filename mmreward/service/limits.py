"""Request-size and body-time guard, per-route metrics and per-request sandbox tickets, as ASGI
middleware.

The size check runs before the body is parsed, so a 50 MB or endless chunked body is refused
after reading at most the limit. Bodies in flight (being read, parsed or scored) are also
bounded in sum: each is a few times its size once parsed, so 200 clients each sending 16 MB at
once would otherwise hold gigabytes; beyond the sum, a request is a 429. A body is charged the
bytes that have arrived, not the length it declares: charged up front, 16 connections that
declared 16 MiB and sent one byte each held the whole budget, and every scoring request was a
429 for as long as they stayed open. A body that goes `body_timeout_s` without a byte is a 408
and its connection is closed, so such a connection does not stay open either.
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


class BodyRefused(Exception):
    """Raised out of `receive` once the refusal is sent: ends the app's reading of the body."""


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


_RETRY = [(b"retry-after", b"1")]


def _busy(inflight: int) -> str:
    return f"server is busy: {inflight} bytes of request bodies in flight; retry shortly"


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        max_inflight_bytes: int,
        body_timeout_s: float = 10.0,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_inflight_bytes = max(max_inflight_bytes, max_body_bytes)
        self.body_timeout_s = body_timeout_s
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
            await _send_json(send, 429, _busy(self.inflight), _RETRY)
            return
        charged = 0  # the bytes that have arrived, released when the request ends
        body_done = False
        started = False
        refused = False

        async def refuse(status: int, detail: str, headers: list[tuple[bytes, bytes]]) -> None:
            nonlocal refused
            # Answer here: the framework turns any exception raised while reading the body into
            # its own 400, whose messages tracking_send then drops.
            refused = True
            if not started:
                await _send_json(send, status, detail, headers)
            raise BodyRefused

        async def limited_receive() -> Message:
            nonlocal charged, body_done
            if body_done:  # what follows the body (a disconnect) may take any time
                return await receive()
            try:
                async with asyncio.timeout(self.body_timeout_s):
                    msg = await receive()
            except TimeoutError:
                detail = f"no request body bytes for {self.body_timeout_s:g} s"
                await refuse(408, detail, [(b"connection", b"close")])
            if msg["type"] != "http.request":
                return msg
            body_done = not msg.get("more_body", False)
            arrived = len(msg.get("body", b""))
            charged += arrived
            self.inflight += arrived
            if refused:
                return msg
            if charged > limit:
                # No `connection: close`: a client still sending would meet a reset before it
                # read the 413 (the server drains the rest of the body, unanswered).
                await refuse(413, message, [])
            if self.inflight > self.max_inflight_bytes:
                await refuse(429, _busy(self.inflight - charged), _RETRY)
            return msg

        async def tracking_send(msg: Message) -> None:
            nonlocal started
            if refused:
                return
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            with contextlib.suppress(BodyRefused):
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
