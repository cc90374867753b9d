"""A big PRM request queued, then a one-chain request from another caller: when is each answered?

The model batcher takes its queue round-robin across requests, so the small request waits for
the window of batches already taken, not for every batch of the big one. First come, first
served would answer it just after the big request (the last row's "if served after it").
Run: `python bench/prm_fairness.py [--chains 4000 --steps 16]` (the bundled PRM, in-process).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time

from mmreward.engine import Engine
from mmreward.fairness import request_scope
from mmreward.prm.items import PRMItem
from mmreward.prm.scorer import PRMScorer
from mmreward.settings import Settings


def chain(rng: random.Random, steps: int) -> PRMItem:
    total, lines = rng.randint(2, 50), []
    for _ in range(steps):
        add = rng.randint(2, 9)
        lines.append(f"{total} + {add} = {total + add}")
        total += add
    return PRMItem(problem="Add the numbers.", steps=lines)


async def measure(chains: int, steps: int) -> None:
    engine = Engine(Settings(sandbox_workers=1))
    await engine.awarm_up()
    rng = random.Random(0)
    big = [chain(rng, steps) for _ in range(chains)]
    await engine.aprm_score(big[:32])  # warm the kernels
    batcher = engine._get("prm", PRMScorer).served.batcher

    async def timed(items: list[PRMItem]) -> float:
        with request_scope():  # one ticket per request, as the HTTP layer opens
            began = time.perf_counter()
            await engine.aprm_score(items)
            return time.perf_counter() - began

    start = time.perf_counter()
    big_run = asyncio.create_task(timed(big))
    while batcher.queued < chains // 2:  # the big request is encoded and queued
        await asyncio.sleep(0.001)
    sent = time.perf_counter() - start
    small_s = await timed([chain(rng, 4)])
    big_s = await big_run
    engine.close()
    print(f"# PRM fairness: {chains} chains of {steps} steps, then 1 chain; device {engine.device}")
    print("| request | sent at s | answered after s |")
    print("|---|---:|---:|")
    print(f"| big ({chains} chains) | 0.00 | {big_s:.2f} |")
    print(f"| small (1 chain) | {sent:.2f} | {small_s:.2f} |")
    print(f"| small, if served after the big one | {sent:.2f} | {big_s - sent:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chains", type=int, default=4000)
    parser.add_argument("--steps", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(measure(args.chains, args.steps))


if __name__ == "__main__":
    main()
