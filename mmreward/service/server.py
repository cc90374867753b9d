"""The HTTP server mmreward runs: uvicorn's h11 protocol with a deadline for request headers.

uvicorn closes a kept-alive connection that stays idle between requests, but nothing ends one
whose request line and headers never finish: 200 connections that each sent half a header
stayed open for good, each holding a socket and a protocol object. Here a connection has
`header_timeout_s` from its first byte (or from its opening) to a complete head; past it, the
connection is closed. A body that stops arriving is the application's to time out
(`mmreward.service.limits`), where it is counted too.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_KEY = "mmreward.header_timeout_s"
"""The lifespan-state key the app sets (uvicorn hands that state to each connection)."""

DEFAULT_HEADER_TIMEOUT_S = 10.0


class HeaderTimeoutProtocol(H11Protocol):
    """`H11Protocol` that closes a connection whose request head is not complete in time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def _header_timeout_s(self) -> float:
        return float(self.app_state.get(HEADER_TIMEOUT_KEY, DEFAULT_HEADER_TIMEOUT_S))

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self._header_timeout_s(), self._head_late)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:  # the first bytes of a new request
            self._arm()
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # its head is complete
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
