"""Faults during scoring: Redis going away and coming back, sandbox workers SIGKILLed.

Assertions are on outcomes (verdicts, status codes, what the metrics and logs say), never on
timing; the loops below are hang guards only.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import psutil
import pytest
from fastapi.testclient import TestClient
from redis_server import RedisServer

from mmreward.cache import CACHE_ERRORS, CACHE_UP, RedisCache
from mmreward.engine import Engine
from mmreward.items import VerifyItem
from mmreward.service import create_app
from mmreward.settings import Settings

HANG_GUARD_S = 120
HALF = VerifyItem(response="so \\boxed{\\frac{1}{2}}", reference="0.5")
# Runs until the sandbox stops it (definite integrals like this once did; they are judged now).
RUNAWAY = "\\boxed{\\sum_{k=1}^{\\infty} \\frac{\\sin(k)}{k^{2}+\\ln(5 k)}}"


def _until(condition, guard_s: float = HANG_GUARD_S) -> None:
    end = time.monotonic() + guard_s
    while not condition():
        assert time.monotonic() < end, "hang guard"
        time.sleep(0.05)


def _errors() -> float:
    return sum(
        CACHE_ERRORS.labels(operation=op)._value.get()  # type: ignore[attr-defined]
        for op in ("read", "write")
    )


@pytest.mark.redis
def test_redis_outage_scoring_goes_on_uncached_then_the_cache_reconnects(caplog):
    server = RedisServer()
    server.start()
    cache = RedisCache(server.url, backoff_s=0.05, max_backoff_s=0.2)
    engine = Engine(Settings(sandbox_workers=1), cache=cache)
    try:
        assert engine.verify([HALF])[0].correct is True
        assert server.keys() == 1
        server.stop()
        errors = _errors()
        with caplog.at_level(logging.WARNING, logger="mmreward.cache"):
            for n in range(5):
                other = VerifyItem(response=f"\\boxed{{{n}}}", reference=str(n))
                assert engine.verify([HALF, other])[1].correct is True
                time.sleep(0.06)  # let the back-off expire, so Redis is tried again
        assert _errors() > errors
        assert not cache.up
        assert CACHE_UP._value.get() == 0  # type: ignore[attr-defined]
        failures = [r for r in caplog.records if "failed" in r.getMessage()]
        assert len(failures) == 1  # one warning per outage, not one per request
        server.start()  # same port, empty: a restarted Redis
        _until(lambda: engine.verify([HALF])[0].correct is True and cache.up)
        assert CACHE_UP._value.get() == 1  # type: ignore[attr-defined]
        assert server.keys() >= 1  # verdicts are written to it again
    finally:
        engine.close()
        server.stop()


@pytest.mark.slow
def test_sigkilled_worker_mid_request_is_an_error_verdict_and_the_next_request_is_served():
    settings = Settings(sandbox_workers=1, sandbox_timeout_s=30.0, cache_size=0)
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 200
        replies: list = []
        items = [{"response": RUNAWAY, "reference": "0.2"}, HALF.model_dump()]

        def post() -> None:
            replies.append(client.post("/v1/verify", json={"items": items}))

        request = threading.Thread(target=post)
        request.start()

        sandbox = client.app.state.engine.sandbox
        running: list[int] = []

        def cpu(pid: int) -> float:
            try:
                return float(psutil.Process(pid).cpu_times().user)
            except psutil.NoSuchProcess:
                return 0.0

        def busy() -> bool:
            running[:] = [pid for pid in sandbox.running_pids() if cpu(pid) > 0.2]
            return bool(running)

        _until(busy)
        for pid in running:
            os.kill(pid, signal.SIGKILL)
        request.join(HANG_GUARD_S)
        [reply] = replies
        assert reply.status_code == 200
        runaway, half = reply.json()["results"]
        assert runaway["status"] == "error", runaway
        assert "died" in runaway["reason"]
        assert half["correct"] is True
        again = client.post("/v1/verify", json={"items": [HALF.model_dump()]})
        assert again.status_code == 200
        assert again.json()["results"][0]["correct"] is True


@pytest.mark.slow
def test_an_ordinary_request_is_answered_while_requests_of_runaway_items_are_still_running():
    """Head-of-line blocking, as a user saw it: 10 requests of 2 runaway items each, then an
    ordinary one. It must come back while the runaway requests are still being worked on."""
    settings = Settings(sandbox_workers=2, sandbox_timeout_s=2.0, cache_size=0)
    runaway_items = [
        {"response": RUNAWAY.replace("5 k", f"{n} k"), "reference": "0.2"} for n in range(3, 23)
    ]
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 200
        statuses: list[int] = []
        lock = threading.Lock()

        def post(items: list[dict]) -> None:
            reply = client.post("/v1/verify", json={"items": items})
            with lock:
                statuses.append(reply.status_code)

        slow = [
            threading.Thread(target=post, args=(runaway_items[2 * i : 2 * i + 2],))
            for i in range(10)
        ]
        for thread in slow:
            thread.start()
        time.sleep(0.5)  # let the runaway items reach the workers first
        ordinary = {
            "response": "so \\boxed{\\frac{\\sqrt{3}}{3}}",
            "reference": "\\frac{1}{\\sqrt{3}}",
        }
        reply = client.post("/v1/verify", json={"items": [ordinary]})
        still_running = sum(thread.is_alive() for thread in slow)
        assert reply.status_code == 200
        assert reply.json()["results"][0]["correct"] is True
        assert still_running > 0  # answered before the runaway requests were
        for thread in slow:
            thread.join(HANG_GUARD_S)
        assert statuses == [200] * 10
