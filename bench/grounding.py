"""Images per second through `POST /v1/grounding/score`: one image per request vs batched.

Runs a real uvicorn server in this process (loopback HTTP), with the detection cache off so each
image is detected. Rows:
- detector direct, 1 image/call vs 32 images/call: the model alone, no HTTP (the baseline);
- HTTP, 1 image/request, one request at a time;
- HTTP, 1 image/request, 16 requests in flight (the owner thread merges them into batches);
- HTTP, 32 images/request.

    python bench/grounding.py --images 256 [--detector PATH] [--device auto]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import uvicorn

from mmreward.grounding.detector import YoloDetector
from mmreward.grounding.images import encode_png
from mmreward.grounding.synthetic import generate_scene
from mmreward.service import create_app
from mmreward.settings import Settings

CAPTION = "There are two circles, a square and no triangles."


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _item(image: str) -> dict[str, str]:
    return {"image": image, "response": CAPTION, "task": "hallucination"}


def _timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


async def _concurrent(url: str, images: list[str], in_flight: int) -> None:
    limit = asyncio.Semaphore(in_flight)
    async with httpx.AsyncClient(timeout=120) as client:

        async def one(image: str) -> None:
            async with limit:
                response = await client.post(url, json={"items": [_item(image)]})
                response.raise_for_status()

        await asyncio.gather(*(one(image) for image in images))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--detector", type=Path)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    args = parser.parse_args()

    rng = np.random.default_rng(7)
    scenes = [generate_scene(rng) for _ in range(args.images)]
    pil_images = [s.image for s in scenes]
    encoded = [encode_png(image) for image in pil_images]

    settings = Settings(
        detector=args.detector,
        device=args.device,
        detector_max_batch=args.batch,
        grounding_cache_size=0,
        sandbox_workers=1,
        max_body_bytes=64 << 20,
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}/v1/grounding/score"

    rows: list[tuple[str, float]] = []
    with httpx.Client(timeout=120) as client:
        client.post(url, json={"items": [_item(encoded[0])]}).raise_for_status()  # loads the model
        # The direct rows call a detector of their own, with the server's weights and batch.
        detector = YoloDetector(args.detector, device=args.device, max_batch=args.batch)
        n = len(pil_images)

        def direct_single() -> None:
            for image in pil_images:
                detector.detect([image])

        def direct_batched() -> None:
            for i in range(0, n, args.batch):
                detector.detect(pil_images[i : i + args.batch])

        def http_single() -> None:
            for image in encoded:
                client.post(url, json={"items": [_item(image)]}).raise_for_status()

        def http_batched() -> None:
            for i in range(0, n, args.batch):
                batch = [_item(image) for image in encoded[i : i + args.batch]]
                client.post(url, json={"items": batch}).raise_for_status()

        rows.append(("detector direct, 1 image/call", n / _timed(direct_single)))
        rows.append((f"detector direct, {args.batch} images/call", n / _timed(direct_batched)))
        rows.append(("HTTP, 1 image/request, sequential", n / _timed(http_single)))
        concurrent = n / _timed(lambda: asyncio.run(_concurrent(url, encoded, args.in_flight)))
        rows.append((f"HTTP, 1 image/request, {args.in_flight} in flight", concurrent))
        rows.append((f"HTTP, {args.batch} images/request", n / _timed(http_batched)))
        device = detector.device
        name = detector.path.name
    server.should_exit = True
    thread.join()

    import torch
    import ultralytics

    gpu = torch.cuda.get_device_name(0) if device.startswith("cuda") else "none"
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"GPU: {gpu}; python {platform.python_version()}, torch {torch.__version__}, "
        f"ultralytics {ultralytics.__version__}"
    )
    print(f"detector: {name} on {device}; {n} distinct 256x256 images, detection cache off\n")
    baseline = rows[0][1]
    print(f"{'mode':<40} {'images/s':>10} {'vs 1 image/call':>16}")
    for label, rate in rows:
        print(f"{label:<40} {rate:>10.1f} {rate / baseline:>15.2f}x")


if __name__ == "__main__":
    main()
