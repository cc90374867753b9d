"""Connections that stop sending: a request head that never ends, a body that never arrives.

Each test performs the attack on loopback against the real uvicorn protocol `mmreward serve`
runs; the outcome asserted is what the attacker gets (closed connections, a 408) and what an
ordinary caller gets meanwhile (200, not 429).
"""

from __future__ import annotations

import socket

import httpx
import pytest
from live_server import LiveServer

from mmreward.service import create_app
from mmreward.settings import Settings

pytestmark = pytest.mark.slow  # a server start and a few timeouts of 1-2 s

ORDINARY = {"items": [{"response": "\\boxed{4}", "reference": "4"}]}
WAIT_S = 30  # only a hang guard: every wait below ends in a few seconds when the code works


def _connect(url: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
    sock.settimeout(WAIT_S)
    return sock


def _read_to_eof(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a recv timeout fails)."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture(scope="module")
def server():
    settings = Settings(sandbox_workers=1, header_timeout_s=1.0, body_timeout_s=2.0)
    with LiveServer(create_app(settings)) as url:
        yield url


def test_idle_16_mib_bodies_lock_nobody_out_and_are_timed_out(server):
    """16 bodies that declare 16 MiB, send one byte and stop: they are charged the byte that
    arrived (the budget of 256 MiB was theirs when the declared length was charged), so an
    ordinary request is answered 200; each idle body ends in a 408 and a closed connection."""
    head = (
        "POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {16 << 20}\r\n\r\n{{"
    ).encode()
    idle = [_connect(server) for _ in range(16)]
    try:
        for sock in idle:
            sock.sendall(head)
        with httpx.Client(base_url=server, timeout=WAIT_S) as client:
            for _ in range(5):  # while the idle bodies are being read
                assert client.post("/v1/verify", json=ORDINARY).status_code == 200
        for sock in idle:
            reply = _read_to_eof(sock)
            assert reply.startswith(b"HTTP/1.1 408 "), reply[:200]
            assert b"no request body bytes for 2 s" in reply
    finally:
        for sock in idle:
            sock.close()


@pytest.mark.parametrize(
    "sent",
    [b"", b"POST /v1/verify HTTP/1.1\r\nHost: x\r\n", b"GET /healthz HTTP/1.1\r\nHost: x"],
    ids=["nothing", "half-a-head", "no-blank-line"],
)
def test_a_head_that_never_ends_is_closed(server, sent):
    socks = [_connect(server) for _ in range(20)]
    try:
        for sock in socks:
            sock.sendall(sent)
        for sock in socks:
            assert _read_to_eof(sock) == b""  # closed, nothing answered
        assert httpx.get(f"{server}/healthz", timeout=WAIT_S).status_code == 200
    finally:
        for sock in socks:
            sock.close()


def test_a_kept_alive_connection_gets_a_new_head_deadline(server):
    """After a first request, the next head on the same connection has its own deadline."""
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        assert _read_to_eof(sock) == b""


def test_a_slow_but_steady_body_is_read():
    """A body whose bytes keep coming (each gap under the timeout) is scored, not cut off."""
    import time

    settings = Settings(sandbox_workers=1, body_timeout_s=1.0)
    body = httpx.Request("POST", "/", json=ORDINARY).content
    with LiveServer(create_app(settings)) as url, _connect(url) as sock:
        sock.sendall(
            b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        )
        for part in (body[:10], body[10:20], body[20:]):
            time.sleep(0.4)
            sock.sendall(part)
        reply = _read_to_eof(sock)
        assert reply.startswith(b"HTTP/1.1 200 "), reply[:200]
