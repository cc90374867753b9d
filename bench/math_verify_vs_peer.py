"""Math verification over HTTP against math-verify, one core each, in one run.

    python bench/math_verify_vs_peer.py [--items 1200] [--batch 200] [--rounds 3]
                                        [--baseline REV] [--server-core 0] [--peer-core 1]

Each round generates a fresh corpus (bench/math_corpus.py; every item distinct, so the verdict
cache never answers) and measures, one after the other so both see the same load:

- mmreward: `mmreward serve` (uvicorn, defaults: in-process verdict cache, one sandbox worker
  per fast lane) pinned to `--server-core`, its sandbox workers with it; the corpus posted to
  `POST /v1/verify` in batches of `--batch`, two requests in flight, by a client pinned to
  `--peer-core`. The figure is the server's: every item through the whole safe path (HTTP,
  JSON, validation, extraction, cache, sympy in a killable worker). `--baseline REV` serves the
  code at a git revision beside the working tree, on the same core, in the same rounds.
- math-verify: `verify(parse(reference), parse(response))` pinned to `--peer-core`, the way
  its README shows; parsed references are cached for it (the same fair trick mmreward uses).

Prints one table: wall-clock rate (median of the rounds; speed-up = math-verify's time /
mmreward's, per round) and the rate per CPU-second (the server process and its sandbox workers
against math-verify's own CPU time: on a shared machine the fairer figure, since neither side is
charged for time other work took from its core), then the server's CPU per item, split between
the server process and its sandbox workers.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from math_corpus import Item, generate
from servers import serve, tree_cpu_seconds, unpack

STATUSES: defaultdict[str, Counter[str]] = defaultdict(Counter)
"""Verdict statuses each server answered with: a status other than `ok` explains a label
disagreement (a verdict must not depend on load)."""


def run_server(
    url: str, pid: int, items: list[Item], batch: int
) -> tuple[float, list[bool], dict[str, float]]:
    """(seconds, verdicts, CPU seconds of server / workers) for the corpus over HTTP."""
    bodies = [
        orjson.dumps(
            {
                "items": [
                    {"verifier": "math", "response": i.response, "reference": i.reference}
                    for i in items[k : k + batch]
                ]
            }
        )
        for k in range(0, len(items), batch)
    ]
    headers = {"content-type": "application/json"}
    with httpx.Client(base_url=url, timeout=300) as client, ThreadPoolExecutor(2) as pool:

        def post(body: bytes) -> list[dict[str, Any]]:
            answer = client.post("/v1/verify", content=body, headers=headers)
            answer.raise_for_status()
            results: list[dict[str, Any]] = orjson.loads(answer.content)["results"]
            return results

        before = tree_cpu_seconds(pid)
        start = time.perf_counter()
        answers = list(pool.map(post, bodies))
        elapsed = time.perf_counter() - start
        after = tree_cpu_seconds(pid)
    server = after.get(pid, 0.0) - before.get(pid, 0.0)
    workers = sum(after[p] - before.get(p, 0.0) for p in after if p != pid)
    verdicts = [r["correct"] is True for results in answers for r in results]
    STATUSES[url].update(r["status"] for results in answers for r in results)
    return elapsed, verdicts, {"server": server, "workers": workers}


def run_math_verify(items: list[Item]) -> tuple[float, list[bool], float]:
    from math_verify import parse, verify

    references: dict[str, Any] = {}
    verdicts = []
    start, cpu = time.perf_counter(), time.process_time()
    for item in items:
        gold = references.get(item.reference)
        if gold is None:
            gold = references[item.reference] = parse(f"${item.reference}$")
        try:
            verdicts.append(bool(verify(gold, parse(item.response))))
        except Exception:
            verdicts.append(False)
    return time.perf_counter() - start, verdicts, time.process_time() - cpu


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1200, help="distinct items per round")
    parser.add_argument("--batch", type=int, default=200, help="items per request")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0, help="corpus seed of the first round")
    parser.add_argument("--baseline", help="git revision served beside the working tree")
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--peer-core", type=int, default=1, help="math-verify and the client")
    args = parser.parse_args()

    os.sched_setaffinity(0, {args.peer_core})
    run_math_verify(generate(20, seed=-1))  # import and warm up outside the clock
    load_before = _load()
    sides: dict[str, Path | None] = {"mmreward": None}
    with tempfile.TemporaryDirectory() as tmp:
        if args.baseline:
            sides = {f"mmreward {args.baseline}": unpack(args.baseline, Path(tmp)), **sides}
        seconds: dict[str, list[float]] = {name: [] for name in [*sides, "math-verify"]}
        agree: dict[str, list[int]] = {name: [] for name in seconds}
        cpu: dict[str, Counter[str]] = {name: Counter() for name in seconds}
        with ExitStack() as stack:
            servers = {
                name: stack.enter_context(serve(source, cores={args.server_core}))
                for name, source in sides.items()
            }
            for url, pid in servers.values():  # warm-up: first requests, imports
                run_server(url, pid, generate(400, seed=-2), args.batch)
            for r in range(args.rounds):
                items = generate(args.items, seed=args.seed + r)
                labels = [item.correct for item in items]
                for name, (url, pid) in servers.items():
                    elapsed, verdicts, used = run_server(url, pid, items, args.batch)
                    seconds[name].append(elapsed)
                    agree[name].append(sum(v == y for v, y in zip(verdicts, labels, strict=True)))
                    cpu[name].update(used)
                elapsed, verdicts, used_s = run_math_verify(items)
                seconds["math-verify"].append(elapsed)
                cpu["math-verify"]["server"] += used_s
                agree["math-verify"].append(
                    sum(v == y for v, y in zip(verdicts, labels, strict=True))
                )

    n = args.items
    peer = seconds["math-verify"]
    print(f"machine: {_cpu_name()}, {os.cpu_count()} cores; load {load_before} -> {_load()}")
    print(
        f"versions: Python {platform.python_version()}, math-verify {version('math-verify')}, "
        f"sympy {version('sympy')}; server on core {args.server_core}, client and math-verify "
        f"on core {args.peer_core}; {args.rounds} rounds of {n} distinct items, batches of "
        f"{args.batch}, 2 requests in flight"
    )
    print()
    total = n * args.rounds
    peer_per_cpu_s = total / cpu["math-verify"].total()
    print(
        "| | verifications/s (median) | speed-up (median; each round) "
        "| per CPU-second | speed-up | agreement with labels |"
    )
    print("|---|---|---|---|---|---|")
    for name, times in seconds.items():
        ratios = [p / t for p, t in zip(peer, times, strict=True)]
        per_cpu_s = total / cpu[name].total()
        agreed = sum(agree[name])
        print(
            f"| {name} | {n / statistics.median(times):,.0f} | {statistics.median(ratios):.1f}x "
            f"({', '.join(f'{x:.1f}' for x in ratios)}) | {per_cpu_s:,.0f} "
            f"| {per_cpu_s / peer_per_cpu_s:.1f}x "
            f"| {agreed}/{total} ({100 * agreed / total:.1f}%) |"
        )
    print()
    for name, (url, _) in servers.items():
        print(f"{name}: verdict statuses, warm-up included: {dict(STATUSES[url])}")
    for name, used in cpu.items():
        if name == "math-verify":
            continue
        print(
            f"{name}: CPU per item {1e3 * (used['server'] + used['workers']) / total:.3f} ms "
            f"(server process {1e3 * used['server'] / total:.3f}, sandbox workers "
            f"{1e3 * used['workers'] / total:.3f})"
        )


if __name__ == "__main__":
    main()
