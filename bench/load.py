"""Load test on loopback: ordinary items keep their latency while hostile items and faults happen.

Starts a real redis-server and the app under uvicorn with `mmreward serve`'s protocol (Redis cache
on), then runs `--clients` bounded asyncio clients (aiohttp), each sending one request after the
other over mixed endpoints (verify, reward recipe, OpenRLHF /get_reward), two phases in one run:

- `baseline`: ordinary items only;
- `hostile`: the same plus `--hostile` of requests carrying hostile items (integrals and series
  that time out, exponent towers, deep nesting, huge numbers, lone surrogates, wrong types, bad
  base64 images, oversized and chunked bodies, bodies of 200,000 items or values), with faults
  injected: a busy sandbox worker SIGKILLed, Redis SIGKILLed and started again later.

Ordinary items are single-item math requests, each unique (no cache hits), most going through
the sandbox (radicals). Prints one table, both phases side by side: requests, p50/p99/max
latency, 4xx, 429, >= 500 and unanswered, then the fault timeline and the server's sandbox and
cache counters. Run: `python bench/load.py` (defaults: 64 clients, 60 s hostile phase).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "helpers"))

from live_server import free_port
from redis_server import RedisServer

Request = tuple[str, str, Any]  # (kind, path, json body or raw bytes/iterator)


@dataclass
class Sample:
    kind: str
    status: int  # 0: no answer (connection error, client timeout)
    seconds: float
    sent_at: float = 0.0  # time.monotonic() when sent, for a latency-over-time view


@dataclass
class Phase:
    name: str
    samples: list[Sample] = field(default_factory=list)
    started: float = 0.0
    sent: int = 0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)  # of ordinary /v1/verify items
    runaways: Counter[str] = field(default_factory=Counter)  # verdicts of runaway items
    timed_out: list[Any] = field(default_factory=list)  # runaway bodies that used their CPU


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of a process and its live children (the server, its sandbox workers)."""
    total = 0.0
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


# -- what the clients send -------------------------------------------------------------------


def ordinary(rng: random.Random, n: int) -> Request:
    """One unique single-item math request; radicals and pi go through the sandbox."""
    a, b = rng.randint(2, 60), rng.randint(2, 9)
    shape = rng.randrange(4)
    if shape == 0:
        response, reference = f"\\frac{{\\sqrt{{{a}}}}}{{{b}}}", f"{(a**0.5) / b:.6f}"
    elif shape == 1:
        response, reference = f"{b}\\sqrt{{{a}}}", f"\\sqrt{{{a * b * b}}}"
    elif shape == 2:
        response, reference = f"\\frac{{{a}\\pi}}{{{b}}}", f"{a}\\pi/{b}"
    else:
        response, reference = f"\\frac{{{a}}}{{{b}}}", f"{a / b:.6f}"
    text = f"Attempt {n}: working through it, the answer is \\boxed{{{response}}}."
    endpoint = rng.random()
    if endpoint < 0.7:
        return "verify", "/v1/verify", {"items": [{"response": text, "reference": reference}]}
    if endpoint < 0.85:
        return "reward", "/v1/reward/math", {"items": [{"response": text, "reference": reference}]}
    body = {"query": [text], "prompts": [""], "labels": [reference]}
    return "get_reward", "/get_reward?verifier=math", body


RUNAWAYS = [  # each runs until the sandbox stops it (integrals that once did are now judged)
    "\\sum_{k=1}^{\\infty} \\frac{\\sin(k)}{k^{2}+\\ln(%d k)}",
    "\\sum_{k=1}^{\\infty} \\frac{\\cos(k)}{k^{2}+\\ln(%d k)}",
    "\\sum_{k=1}^{\\infty} \\frac{\\sin(%d k)}{k^{3}+\\ln(k+1)}",
    "\\prod_{k=2}^{\\infty} \\left(1+\\frac{\\sin(k)}{k^{2}+%d}\\right)",
]


def _chunks(total: int, size: int = 1 << 20) -> AsyncIterator[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        sent = 0
        yield b'{"items": [{"response": "'
        while sent < total:
            yield b"9" * size
            sent += size
        yield b'", "reference": "1"}]}'

    return gen()


@functools.cache
def _bulky(kind: str) -> bytes:
    """Bodies under the size limit whose weight is their count of values (built once)."""
    if kind == "items":
        items = [{"response": f"\\boxed{{{i}}}", "reference": "5"} for i in range(200_000)]
    else:
        items = [{"response": "\\boxed{5}", "reference": list(range(200_000))}]
    return json.dumps({"items": items}).encode()


def hostile(rng: random.Random, n: int) -> Request:
    """One request with a hostile item; most are items that time out in the sandbox."""
    roll = rng.random()
    if roll < 0.45:  # runs until the sandbox stops it; each one new, as a policy's samples are
        text = "\\boxed{" + rng.choice(RUNAWAYS) % rng.randint(2, 12) + "}"
        item = {"response": text, "reference": f"{rng.random():.9f}"}
        return "runaway", "/v1/verify", {"items": [item]}
    if roll < 0.60:
        text = rng.choice(
            [
                "\\boxed{2^{2^{2^{2^{99}}}}}",
                "\\boxed{9^{9^{9^9}}}",
                "\\boxed{(10^{1000000})!}",
                "\\boxed{" + "(" * 5000 + "1" + ")" * 5000 + "}",
                "\\boxed{" + "\\frac{1}{" * 2000 + "2" + "}" * 2000 + "}",
                "\\boxed{" + "9" * 100_000 + "}",
            ]
        )
        return "tower/nesting", "/v1/verify", {"items": [{"response": text, "reference": "3"}]}
    if roll < 0.72:
        raw = json.dumps({"items": [{"response": "\\boxed{\ud800}", "reference": "5"}]})
        return "surrogate", "/v1/verify", raw.encode()
    if roll < 0.78:
        body = rng.choice(
            [
                {"items": [{"response": 5, "reference": [1, {"a": None}]}]},
                {"items": "all of them"},
                {"items": [{"response": "x", "params": {"tolerance": "huge"}}]},
                {"query": ["a"], "prompts": [], "labels": ["1", "2"]},
            ]
        )
        path = "/get_reward?verifier=math" if "query" in body else "/v1/verify"
        return "wrong type", path, body
    if roll < 0.80:  # refused for its count, after the parse and before validation
        return "200,000 items (9 MB)", "/v1/verify", _bulky("items")
    if roll < 0.82:  # an error for its item, without walking the list on the event loop
        return "reference of 200,000 numbers", "/v1/verify", _bulky("reference")
    if roll < 0.92:
        image = rng.choice(["not base64 at all!", base64.b64encode(b"\x89PNG nope").decode()])
        body = {"items": [{"image": image, "response": "<answer>two cats</answer>"}]}
        return "bad image", "/v1/grounding/score", body
    if roll < 0.96:
        return "17 MB body", "/v1/verify", b"{" + b" " * (17 << 20) + b"}"
    return "chunked 20 MB", "/v1/verify", _chunks(20 << 20)


# -- the server, faults and the clients ------------------------------------------------------


def start_server(
    port: int, redis_url: str, cores: set[int] | None, priority: int
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    # As `mmreward serve` does: models load at start-up and /readyz waits for them.
    env.update(MMREWARD_REDIS_URL=redis_url, MMREWARD_PORT=str(port), MMREWARD_PRELOAD_MODELS="1")
    # The protocol `mmreward serve` runs (uvicorn's h11 with a header timeout). Idle
    # connections are kept 30 s: the client lets go first, so no request meets a closing socket.
    run = (
        "import uvicorn; from mmreward.service.server import HeaderTimeoutProtocol; "
        "uvicorn.run('mmreward.service.app:create_app', factory=True, host='127.0.0.1', "
        f"port={port}, log_level='warning', timeout_keep_alive=30, http=HeaderTimeoutProtocol)"
    )
    command = [sys.executable, "-c", run]

    def pin() -> None:
        if cores:
            os.sched_setaffinity(0, cores)
        if priority:
            os.nice(-priority)

    return subprocess.Popen(command, env=env, preexec_fn=pin)


def sandbox_workers(server: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The server's sandbox workers: children of its multiprocessing fork server."""
    found = []
    for child in psutil.Process(server.pid).children():
        if "forkserver" in " ".join(child.cmdline()):
            found += [w for w in child.children() if w.status() != psutil.STATUS_ZOMBIE]
    return found


def kill_busiest_worker(server: subprocess.Popen[bytes]) -> str:
    def cpu(worker: psutil.Process) -> float:
        try:
            return float(sum(worker.cpu_times()[:2]))
        except psutil.NoSuchProcess:
            return -1.0  # replaced since: not a candidate

    workers = sandbox_workers(server)
    before = {w.pid: cpu(w) for w in workers}
    time.sleep(0.2)
    busy = max(workers, key=lambda w: cpu(w) - before[w.pid], default=None)
    if busy is None:
        return "no sandbox worker found"
    try:
        os.kill(busy.pid, signal.SIGKILL)
    except ProcessLookupError:
        return f"sandbox worker {busy.pid} ended before the SIGKILL"
    return f"SIGKILL sandbox worker {busy.pid} (of {len(workers)})"


async def client(
    http: aiohttp.ClientSession,
    rng: random.Random,
    phase: Phase,
    until: float,
    hostile_share: float,
    counter: list[int],
) -> None:
    while time.monotonic() < until:
        counter[0] += 1
        make: Callable[[random.Random, int], Request]
        make = hostile if rng.random() < hostile_share else ordinary
        kind, path, body = make(rng, counter[0])
        kwargs: dict[str, Any]
        if isinstance(body, dict):
            kwargs = {"json": body}
        else:
            kwargs = {"data": body, "headers": {"content-type": "application/json"}}
        phase.sent += 1
        sent_at = time.monotonic()
        start = time.perf_counter()
        try:
            async with http.post(path, **kwargs) as reply:
                answer = await reply.read()
                status = reply.status
            if kind in ("verify", "runaway") and status == 200:
                verdict = json.loads(answer)["results"][0]
                outcome = verdict["status"]
                if outcome != "ok":
                    outcome += f" ({verdict['reason']})"
                if kind == "verify":
                    phase.verdicts[outcome] += 1
                else:
                    phase.runaways[outcome] += 1
                    if outcome.startswith("timeout") and "CPU" in outcome:
                        phase.timed_out.append(body)
        except (aiohttp.ClientError, TimeoutError) as error:
            status = 0
            phase.errors[f"{kind}: {type(error).__name__}: {error}"[:160]] += 1
        phase.samples.append(Sample(kind, status, time.perf_counter() - start, sent_at))


async def run_phase(
    url: str,
    server_pid: int,
    phase: Phase,
    clients: int,
    seconds: float,
    hostile_share: float,
    seed: int,
) -> None:
    # aiohttp, not httpx: at 64 connections httpx's pool costs ~6 ms of client CPU per request
    # (aiohttp ~0.2 ms), which on 2 shared cores would measure the client, not the server.
    # Idle connections: the client lets go first (10 s < the server's 30 s keep-alive).
    connector = aiohttp.TCPConnector(limit=clients, keepalive_timeout=10.0)
    timeout = aiohttp.ClientTimeout(total=180.0)
    counter = [0]
    server_before, client_before = tree_cpu_s(server_pid), time.process_time()
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as http:
        phase.started = time.monotonic()
        until = phase.started + seconds
        await asyncio.gather(
            *(
                client(http, random.Random(seed + i), phase, until, hostile_share, counter)
                for i in range(clients)
            )
        )
    phase.server_cpu_s = tree_cpu_s(server_pid) - server_before
    phase.client_cpu_s = time.process_time() - client_before


async def faults(
    server: subprocess.Popen[bytes], redis: RedisServer, seconds: float, log: list[str]
) -> None:
    """SIGKILL a sandbox worker at 1/4 and 5/8; Redis down from 3/8 to 5/8 of the phase."""
    start = time.monotonic()

    async def at(fraction: float) -> None:
        await asyncio.sleep(max(0.0, start + fraction * seconds - time.monotonic()))

    def note(what: str) -> None:
        log.append(f"t={time.monotonic() - start:5.1f}s  {what}")

    await at(0.25)
    note(await asyncio.to_thread(kill_busiest_worker, server))
    await at(0.375)
    await asyncio.to_thread(redis.stop)
    note("Redis SIGKILLed")
    await at(0.625)
    await asyncio.to_thread(redis.start)
    note("Redis started again (empty)")
    note(await asyncio.to_thread(kill_busiest_worker, server))


# -- report ----------------------------------------------------------------------------------


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _row(label: str, samples: list[Sample]) -> str:
    seconds = [s.seconds for s in samples]
    answered = [s for s in samples if s.status]
    client_errors = sum(400 <= s.status < 500 and s.status != 429 for s in answered)
    return (
        f"| {label} | {len(samples)} | {_quantile(seconds, 0.5) * 1000:.0f} | "
        f"{_quantile(seconds, 0.99) * 1000:.0f} | {max(seconds, default=0) * 1000:.0f} | "
        f"{client_errors} | {sum(s.status == 429 for s in answered)} | "
        f"{sum(s.status >= 500 for s in answered)} | {len(samples) - len(answered)} |"
    )


ORDINARY = {"verify", "reward", "get_reward"}


def report(
    phases: list[Phase], fault_log: list[str], metrics: str, args: argparse.Namespace
) -> None:
    cores = len(os.sched_getaffinity(0))
    print(
        f"# load: {args.clients} clients, {os.cpu_count()} CPUs ({cores} usable), server on "
        f"{args.server_cores or 'all'}, priority nice -{args.priority}; "
        f"load average before {args.load_before}, "
        f"after {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    print("| phase / requests | n | p50 ms | p99 ms | max ms | 4xx | 429 | >=500 | unanswered |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    cpu_notes: list[str] = []
    for phase in phases:
        ordinary_samples = [s for s in phase.samples if s.kind in ORDINARY]
        print(_row(f"{phase.name}: ordinary single-item, all", ordinary_samples))
        print(
            _row(
                f"{phase.name}: ordinary /v1/verify",
                [s for s in ordinary_samples if s.kind == "verify"],
            )
        )
        by_kind: dict[str, list[Sample]] = defaultdict(list)
        for sample in phase.samples:
            if sample.kind not in ORDINARY:
                by_kind[sample.kind].append(sample)
        for kind in sorted(by_kind):
            print(_row(f"{phase.name}: hostile {kind}", by_kind[kind]))
        answered = sum(1 for s in phase.samples if s.status)
        per_request = f"{1000 * phase.server_cpu_s / max(1, phase.sent):.1f}"
        client_cpu = f"{1000 * phase.client_cpu_s / max(1, phase.sent):.1f}"
        cpu_notes.append(
            f"{phase.name}: server {per_request} ms CPU per request (sandbox included), "
            f"load client {client_cpu} ms"
        )
        print(
            f"| {phase.name}: every request | {phase.sent} sent, {answered} answered | | | | | | "
            f"{sum(s.status >= 500 for s in phase.samples)} | {phase.sent - answered} |"
        )
    print()
    for line in cpu_notes + fault_log:
        print(f"- {line}")
    for phase in phases:
        statuses = ", ".join(f"{n} {status}" for status, n in phase.verdicts.most_common())
        print(f"- {phase.name}: ordinary /v1/verify verdicts: {statuses}")
        if phase.runaways:
            statuses = ", ".join(f"{n} {status}" for status, n in phase.runaways.most_common())
            print(f"- {phase.name}: runaway verdicts: {statuses}")
        for error, count in phase.errors.most_common():
            print(f"- {phase.name}: no answer x{count}: {error}")
    wanted = re.compile(
        r"^(mmreward_sandbox_jobs_total|mmreward_cache_errors_total|mmreward_cache_up)"
    )
    for line in metrics.splitlines():
        if wanted.match(line) and not line.startswith("#") and "_created" not in line:
            print(f"- server: {line}")


def write_samples(path: Path, phases: list[Phase]) -> None:
    with path.open("w") as out:
        for phase in phases:
            for s in phase.samples:
                t = round(s.sent_at - phase.started, 4)
                line = {"phase": phase.name, "t": t, "kind": s.kind, "status": s.status}
                out.write(json.dumps({**line, "seconds": round(s.seconds, 4)}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60.0, help="hostile phase length")
    parser.add_argument("--baseline-seconds", type=float, default=20.0)
    parser.add_argument("--hostile", type=float, default=0.10, help="share of hostile requests")
    parser.add_argument(
        "--server-cores", default="", help="pin the server to these CPUs, e.g. 0,1 (default: all)"
    )
    parser.add_argument(
        "--priority",
        type=int,
        default=0,
        help="run server and clients this much above the machine's other work (nice -N, needs "
        "root): on a shared machine, an approximation of cores of their own",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--samples", type=Path, help="also write every request as a JSONL line (latency over time)"
    )
    args = parser.parse_args()
    args.load_before = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    cores = {int(c) for c in args.server_cores.split(",") if c} or None

    redis = RedisServer()
    redis.start()
    port = free_port()
    server = start_server(port, redis.url, cores, args.priority)
    if args.priority:
        os.nice(-args.priority)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("server did not become ready")
            time.sleep(0.2)
        # Warm-up: the first request of a path pays for its imports.
        httpx.post(f"{url}/v1/verify", json=ordinary(random.Random(1), 0)[2], timeout=60)
        baseline, loaded = Phase("baseline"), Phase("hostile+faults")
        asyncio.run(
            run_phase(
                url, server.pid, baseline, args.clients, args.baseline_seconds, 0.0, args.seed
            )
        )
        fault_log: list[str] = []

        async def hostile_phase() -> None:
            await asyncio.gather(
                run_phase(
                    url, server.pid, loaded, args.clients, args.seconds, args.hostile, args.seed + 1
                ),
                faults(server, redis, args.seconds, fault_log),
            )

        asyncio.run(hostile_phase())
        # The runaways that used their own CPU budget, sent again: answered from the memory.
        again = [
            httpx.post(f"{url}/v1/verify", json=body, timeout=60).json()["results"][0]
            for body in loaded.timed_out[:20]
        ]
        metrics = httpx.get(f"{url}/metrics", timeout=30).text
        report([baseline, loaded], fault_log, metrics, args)
        remembered = sum("remembered" in verdict["reason"] for verdict in again)
        print(f"- runaways that timed out, sent again: {remembered} of {len(again)} remembered")
        if args.samples:
            write_samples(args.samples, [baseline, loaded])
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        redis.stop()


if __name__ == "__main__":
    main()
