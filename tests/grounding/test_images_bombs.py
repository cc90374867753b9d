"""Image bombs: a request's images are decoded a batch at a time within pixel budgets (per
batch, per server, per request), and the memory is given back after; the attack is performed
against the real stack with the bundled detector."""

from __future__ import annotations

import asyncio
import base64
import gc
import os
import struct
import threading
import time
import weakref
import zlib

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from mmreward.grounding import scorer as scorer_module
from mmreward.grounding.budget import PixelBudget
from mmreward.grounding.images import encode_png
from mmreward.grounding.items import GroundingItem
from mmreward.grounding.scorer import GroundingScorer
from mmreward.service import create_app
from mmreward.settings import Settings


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_bombs(count: int, side: int = 4096) -> list[str]:
    """`count` distinct PNGs of `side` x `side` black pixels (~49 KB each at 4096): a text
    chunk makes each one's bytes, hence its digest, its own."""
    idat = zlib.compress((b"\0" * (1 + side * 3)) * side, 9)
    head = b"\x89PNG\r\n\x1a\n" + _chunk(
        b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    )
    tail = _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    return [
        base64.b64encode(head + _chunk(b"tEXt", b"n\0%d" % i) + tail).decode() for i in range(count)
    ]


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _item(image: str, **fields) -> dict:
    return {"image": image, "response": "a red circle", "task": "hallucination", **fields}


@pytest.mark.slow
def test_40_png_bombs_in_one_request_grow_the_rss_by_under_1_5_gb_and_give_it_back():
    """The attack: 40 distinct 49 KB PNGs that decode to 4096 x 4096 each, one 2.6 MB request.
    Decoded up front they took the server from 1.6 to 6.2 GB, held after the request."""
    bombs = png_bombs(40)
    assert all(len(base64.b64decode(b)) < 64_000 for b in bombs)
    small = encode_png(Image.new("RGB", (64, 64), (255, 255, 255)))
    # A deadline long enough that every image is scored on a slow machine: an image dropped at
    # the deadline must give its memory back too, but this test counts 40 scored images.
    settings = Settings(sandbox_workers=1, request_deadline_s=900)
    with TestClient(create_app(settings)) as client:
        warm = client.post("/v1/grounding/score", json={"items": [_item(small)]})
        assert warm.status_code == 200  # the detector is loaded before the baseline
        gc.collect()
        before = peak = _rss()
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _rss())
                time.sleep(0.005)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            reply = client.post("/v1/grounding/score", json={"items": [_item(b) for b in bombs]})
        finally:
            done.set()
            sampler.join()
        after = _rss()
    assert reply.status_code == 200
    assert [v["status"] for v in reply.json()["results"]] == ["ok"] * 40  # all 40 were scored
    print(
        f"RSS before {before / 1e9:.2f} GB, peak +{(peak - before) / 1e9:.2f} GB, "
        f"after +{(after - before) / 1e9:.2f} GB"
    )
    assert peak - before < 1.5e9
    assert after - before < 0.5e9


@pytest.fixture(scope="module")
def scorer():
    found = GroundingScorer(Settings(grounding_batch_pixels=2 * 256 * 256, grounding_cache_size=0))
    found.vocabulary  # noqa: B018 - load the detector once for the module
    yield found
    found.close()


def _items(images: list[str]) -> list[GroundingItem]:
    return [GroundingItem.model_validate(_item(image)) for image in images]


def test_images_are_decoded_a_budget_at_a_time(scorer, monkeypatch):
    """Six distinct 256 x 256 images with room for two: three batches of two, each decoded
    while the server's budget holds its pixels; the verdicts are those of one image at a time,
    and no decoded image outlives the call."""
    images = png_bombs(6, side=256)
    expected = [scorer.score_batch(_items([image]))[0].model_dump() for image in images]
    alive: list[weakref.ref] = []
    batches: list[tuple[int, int]] = []  # (images in the batch, pixels held by the budget)
    real = scorer_module._Plan.decode

    def recording(self, batch):
        held = scorer._pixels.total - scorer._pixels._free
        batches.append((len(batch), held))
        decoded = real(self, batch)
        alive.extend(weakref.ref(image.image) for image in decoded.values())
        return decoded

    monkeypatch.setattr(scorer_module._Plan, "decode", recording)
    for run in (scorer.score_batch, lambda items: asyncio.run(scorer.ascore_batch(items))):
        batches.clear()
        got = run(_items(images))
        assert [v.model_dump() for v in got] == expected
        assert batches == [(2, 2 * 256 * 256)] * 3
    end = time.monotonic() + 10  # the detector's thread may still be letting go of the last
    while any(ref() is not None for ref in alive) and time.monotonic() < end:
        gc.collect()
        time.sleep(0.01)
    assert len(alive) == 12
    assert [ref() for ref in alive] == [None] * 12


def test_images_over_the_request_budget_are_errors_for_their_items_only():
    settings = Settings(grounding_request_pixels=3 * 256 * 256, grounding_cache_size=0)
    found = GroundingScorer(settings)
    images = png_bombs(5, side=256)
    verdicts = found.score_batch(_items([images[0], *images, images[4]]))
    found.close()
    assert [v.status for v in verdicts] == ["ok", "ok", "ok", "ok", "error", "error", "error"]
    assert verdicts[4].reason == (
        "items[4].image: the request's images decode to more than 196608 pixels; "
        "send fewer or smaller images per request"
    )


def test_an_undecodable_image_is_an_error_without_a_heap_address(scorer):
    broken = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10).decode()
    truncated = base64.b64decode(png_bombs(1, side=64)[0])[:60]
    verdicts = scorer.score_batch(
        _items([broken, base64.b64encode(truncated).decode(), png_bombs(1, side=64)[0]])
    )
    assert [v.status for v in verdicts] == ["error", "error", "ok"]
    for verdict in verdicts[:2]:
        assert verdict.reason.startswith("items[")
        assert "undecodable image" in verdict.reason
        assert " at 0x" not in verdict.reason


def test_the_server_budget_serves_waiters_in_order_and_survives_cancellation():
    budget = PixelBudget(100)

    async def main() -> list[str]:
        order: list[str] = []
        await budget.acquire(80)

        async def wait(name: str, pixels: int) -> None:
            await budget.acquire(pixels)
            order.append(name)
            budget.release(pixels)

        big = asyncio.create_task(wait("big", 90))
        cancelled = asyncio.create_task(wait("cancelled", 10))
        small = asyncio.create_task(wait("small", 10))
        await asyncio.sleep(0.01)
        assert order == []  # 20 free, but "big" came first
        cancelled.cancel()
        budget.release(80)
        await asyncio.gather(big, small)
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        with budget.held(500):  # more than the total: alone
            pass
        return order

    assert asyncio.run(main()) == ["big", "small"]
    assert budget._free == 100


def test_images_dropped_at_the_deadline_are_not_held_after_the_request(scorer):
    """An image whose request ended while it waited for the detector comes back as an error
    whose traceback held the image; nothing of the request's images may outlive it."""
    from mmreward.fairness import request_scope

    images = png_bombs(4, side=256)
    alive: list[weakref.ref] = []
    real = scorer_module.EncodedImage.decode

    def tracked(self):
        image = real(self)
        alive.append(weakref.ref(image.image))
        return image

    async def ended() -> list:
        with request_scope(1e-6):
            await asyncio.sleep(0.01)
            return await scorer.ascore_batch(_items(images))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scorer_module.EncodedImage, "decode", tracked)
        gc.disable()  # as on a server whose start-up heap is frozen: no collection comes
        try:
            verdicts = asyncio.run(ended())
            assert alive
            end = time.monotonic() + 10  # the detector's thread may still be letting go
            while any(ref() is not None for ref in alive) and time.monotonic() < end:
                time.sleep(0.01)
            assert [ref() for ref in alive] == [None] * len(alive)
        finally:
            gc.enable()
    assert "ok" not in {v.status for v in verdicts}
