"""A verdict is a function of the item alone: items needing 0.3-1 s of sympy each, scored by 8
concurrent callers and one batch of 16 at the same time, get exactly the verdicts they get
alone, in-process and over HTTP.

Before, the fair scheduling that keeps ordinary latency low turned queueing into verdicts:
items that waited behind each other for the bounded slow lane came back `timeout`. Outcomes
only; nothing here depends on how fast the machine is (the request deadline is set far away:
a deadline is the caller's choice, and what it gives is `deadline`, not a verdict).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from live_server import LiveServer

from mmreward.clients import LocalClient
from mmreward.service import create_app
from mmreward.settings import Settings

pytestmark = pytest.mark.slow

# Each needs 0.4-0.7 s of CPU in a fresh sandbox worker (sympy integrals and sums).
ITEMS = [
    {"response": r"\boxed{\int_0^{3} x\, dx + i}", "reference": r"\frac{9+2i}{2}"},
    {"response": r"\boxed{\int_0^{3} x\, dx + 2i}", "reference": r"\frac{9+2i}{2}"},
    {"response": r"\boxed{\sum_{k=1}^{10} k^2}", "reference": "385"},
    {"response": r"\boxed{\sum_{k=1}^{10} k^2}", "reference": "386"},
    {"response": r"\boxed{\int_0^{2} x^2\, dx}", "reference": r"\frac{8}{3}"},
    {"response": r"\boxed{\sum_{k=1}^{12} k^2}", "reference": "650"},
    {"response": r"\boxed{\sum_{k=1}^{8} k^3}", "reference": "1296"},
    {"response": r"\boxed{\int_0^{1} x e^{x}\, dx}", "reference": "1"},
]
BATCH = [ITEMS[i % len(ITEMS)] for i in range(16)]
GUARD_S = 900  # a hang guard, not a timing assertion


def _settings() -> Settings:
    # No verdict cache: every item is judged again; no deadline within the run.
    return Settings(cache_size=0, request_deadline_s=GUARD_S)


def _at_once(single: Callable[[dict[str, Any]], Any], batch: Callable[[list], list]) -> tuple:
    """8 callers of one item each and one caller of the 16-item batch, all started together."""
    singles: list[Any] = [None] * len(ITEMS)
    batched: list[list[Any]] = []
    start = threading.Barrier(len(ITEMS) + 1)

    def one(i: int) -> None:
        start.wait()
        singles[i] = single(ITEMS[i])

    def many() -> None:
        start.wait()
        batched.append(batch(BATCH))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(ITEMS))]
    threads.append(threading.Thread(target=many))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(GUARD_S)
    assert not any(thread.is_alive() for thread in threads), "hang guard"
    return singles, batched[0]


@pytest.fixture(scope="module")
def solo() -> list[dict[str, Any]]:
    """Each item's verdict alone, one after the other, as JSON."""
    with LocalClient(_settings()) as client:
        verdicts = [client.verify([item])[0].model_dump(mode="json") for item in ITEMS]
    assert [v["status"] for v in verdicts] == ["ok"] * len(ITEMS)
    assert {v["correct"] for v in verdicts} == {True, False}  # a real mix
    return verdicts


def test_in_process_concurrent_callers_and_a_batch_get_the_solo_verdicts(solo):
    with LocalClient(_settings()) as client:
        singles, batched = _at_once(
            lambda item: client.verify([item])[0].model_dump(mode="json"),
            lambda items: [v.model_dump(mode="json") for v in client.verify(items)],
        )
    assert singles == solo
    assert batched == [solo[i % len(ITEMS)] for i in range(len(BATCH))]


def test_over_http_concurrent_callers_and_a_batch_get_the_solo_verdicts(solo):
    with LiveServer(create_app(_settings())) as url, httpx.Client(timeout=GUARD_S) as http:

        def post(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            reply = http.post(f"{url}/v1/verify", json={"items": items})
            assert reply.status_code == 200, reply.text
            return list(reply.json()["results"])

        singles, batched = _at_once(lambda item: post([item])[0], post)
    assert singles == solo
    assert batched == [solo[i % len(ITEMS)] for i in range(len(BATCH))]
