"""Per-request server overhead for per-sample callers, before and after, in one run.

OpenRLHF posts one sample per request and verl's naive manager scores one sample per call, so
what a server spends on a 1-item request beyond judging it is paid once per sample. Two servers
run side by side: `--baseline REV` (the code at a git revision, unpacked with `git archive`) and
the working tree. Requests alternate between them in rounds, so load on the machine hits both
alike. Verdicts are cached after the first request: the figures are the cost of the request
path, not of sympy. A second table times the TRL adapter per item over a GRPO-sized batch:
in-process (`LocalClient`), over HTTP (`RewardClient`), against a bare `httpx` post of the same
items to the same server. A third times OpenRLHF 0.11's own request code on both servers
(installed as for the tests: `tests/frameworks-nodeps.txt`).

    python bench/request_overhead.py --baseline 4c99798 --after 0526e06
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import cpu_seconds, serve, unpack

ROOT = Path(__file__).resolve().parent.parent
FLOOR = "GET /healthz (no work)"
VERIFY = {"items": [{"verifier": "math", "response": "so \\boxed{5}", "reference": "5"}]}
CHAT = "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n"
GET_REWARD = {
    "query": [
        "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n\\boxed{5}<|im_end|>"
    ],
    "prompts": ["<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n"],
    "labels": ["5"],
}


def _timed(fn: Callable[[], object], n: int) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


class _RawHTTP:
    """HTTP/1.1 over one kept-alive TCP_NODELAY socket: the request path without a client
    library, so what remains is the server's time and the loopback round trip."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def get(self, path: str) -> bytes:
        return self._send(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())

    def post(self, path: str, json: object) -> bytes:
        body = orjson.dumps(json)
        head = f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        return self._send(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)

    def _send(self, request: bytes) -> bytes:
        self.sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            data += self.sock.recv(65536)
        head, body = data.split(b"\r\n\r\n", 1)
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(body) < length:
            body += self.sock.recv(65536)
        return body

    def close(self) -> None:
        self.sock.close()


def _requests(
    servers: dict[str, tuple[httpx.Client, _RawHTTP, int]], rounds: int, per_round: int
) -> dict[tuple[str, str], tuple[float, float, float]]:
    """(median ms through httpx, median ms on a raw socket, server CPU ms per request)."""
    calls: dict[str, Callable[[Any], object]] = {
        FLOOR: lambda c: c.get("/healthz"),
        "POST /v1/verify": lambda c: c.post("/v1/verify", json=VERIFY),
        "POST /get_reward": lambda c: c.post("/get_reward?verifier=math", json=GET_REWARD),
    }
    library: dict[tuple[str, str], list[float]] = {}
    raw: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], float] = {}
    for client, sock, _ in servers.values():
        for call in calls.values():
            _timed(lambda call=call, client=client: call(client), 20)  # warm-up, cache fill
            _timed(lambda call=call, sock=sock: call(sock), 20)
    for _ in range(rounds):
        for row, call in calls.items():
            for side, (client, sock, pid) in servers.items():
                key = (row, side)
                start = cpu_seconds(pid)
                library.setdefault(key, []).extend(
                    _timed(lambda call=call, client=client: call(client), per_round)
                )
                raw.setdefault(key, []).extend(
                    _timed(lambda call=call, sock=sock: call(sock), per_round)
                )
                cpu[key] = cpu.get(key, 0.0) + cpu_seconds(pid) - start
    n = 2 * rounds * per_round
    return {
        key: (statistics.median(t) * 1e3, statistics.median(raw[key]) * 1e3, cpu[key] / n * 1e3)
        for key, t in library.items()
    }


def _trl(url: str, batch: int, rounds: int) -> dict[str, float]:
    from mmreward import LocalClient, RewardClient
    from mmreward.clients.adapters import trl_reward_func
    from mmreward.settings import Settings

    completions = [f"so the answer is \\boxed{{{i % 7}}}" for i in range(batch)]
    solutions = [str(i % 5) for i in range(batch)]
    items = [
        {"verifier": "math", "response": c, "reference": s}
        for c, s in zip(completions, solutions, strict=True)
    ]
    prompts = ["p"] * batch
    with LocalClient(Settings(sandbox_workers=1)) as local, RewardClient(url) as http:
        modes: dict[str, Callable[[], object]] = {
            "bare httpx post of the items + json (no adapter)": lambda: [
                r["reward"] for r in raw.post("/v1/verify", json={"items": items}).json()["results"]
            ],
            "TRL adapter, RewardClient (HTTP)": lambda: http_fn(
                prompts, completions, solution=solutions
            ),
            "TRL adapter, LocalClient (in-process)": lambda: local_fn(
                prompts, completions, solution=solutions
            ),
        }
        with httpx.Client(base_url=url) as raw:
            http_fn, local_fn = trl_reward_func(http), trl_reward_func(local)
            for fn in modes.values():
                _timed(fn, 5)
            times: dict[str, list[float]] = {name: [] for name in modes}
            for _ in range(rounds):
                for name, fn in modes.items():
                    times[name].extend(_timed(fn, 5))
    return {name: statistics.median(t) / batch * 1e6 for name, t in times.items()}


def _clients(url: str, rounds: int, per_round: int) -> dict[str, tuple[float, float]]:
    """A per-sample caller's client, 1-item `POST /v1/verify` (verdict cached): median wall ms
    and client CPU ms per request. `RewardClient` (urllib3 underneath) against the same call
    through httpx, its previous transport, with the same encoding, retry wrapper and parsing."""
    from tenacity import Retrying

    from mmreward import RewardClient
    from mmreward.clients._http import _encode
    from mmreward.verifiers.verdict import Verdict

    items = VERIFY["items"]
    reward = RewardClient(url)
    raw = httpx.Client(base_url=url)
    retry_args = reward._retry_args

    def via_httpx() -> list[Verdict]:
        for attempt in Retrying(**retry_args):
            with attempt:
                answer = raw.post(
                    "/v1/verify",
                    content=_encode(VERIFY),
                    headers={"content-type": "application/json"},
                )
                answer.raise_for_status()
                return [Verdict.model_validate(r) for r in answer.json()["results"]]
        raise AssertionError("unreachable")

    modes: dict[str, Callable[[], object]] = {
        "httpx (the previous RewardClient transport)": via_httpx,
        "RewardClient (urllib3 pool)": lambda: reward.verify(items),
    }
    for fn in modes.values():
        _timed(fn, 50)
    wall: dict[str, list[float]] = {name: [] for name in modes}
    cpu = dict.fromkeys(modes, 0.0)
    for _ in range(rounds):
        for name, fn in modes.items():
            start = time.process_time()
            wall[name].extend(_timed(fn, per_round))
            cpu[name] += time.process_time() - start
    reward.close()
    raw.close()
    n = rounds * per_round
    return {name: (statistics.median(wall[name]) * 1e3, cpu[name] / n * 1e3) for name in modes}


def _openrlhf(servers: dict[str, str], rounds: int) -> dict[str, float]:
    """OpenRLHF 0.11's own request path: `SingleTurnAgentExecutor._fetch_rewards_via_http`
    (a new aiohttp session, hence a new connection, per sample), median ms per sample."""
    import asyncio

    from openrlhf.utils.agent import SingleTurnAgentExecutor

    args = (GET_REWARD["query"], GET_REWARD["prompts"], GET_REWARD["labels"])
    executors = {
        side: SingleTurnAgentExecutor(f"{url}/get_reward?verifier=math")
        for side, url in servers.items()
    }

    async def timed(executor: Any) -> float:
        start = time.perf_counter()
        await executor._fetch_rewards_via_http(*args)
        return time.perf_counter() - start

    async def run() -> dict[str, float]:
        times: dict[str, list[float]] = {side: [] for side in executors}
        for _ in range(rounds):
            for side, executor in executors.items():
                times[side] += [await timed(executor) for _ in range(10)]
        return {side: statistics.median(t) * 1e3 for side, t in times.items()}

    return asyncio.run(run())


_IN_PROCESS = """
import time
from mmreward import LocalClient
try:  # the sync per-sample form; builds before the async reward-loop function named it so
    from mmreward.clients.adapters import compute_score_sync as compute_score
except ImportError:
    from mmreward.clients.adapters import compute_score
from mmreward.settings import Settings
with LocalClient(Settings(sandbox_workers=1)) as client:
    for _ in range(200):
        compute_score("math", "so \\\\boxed{5}", 5, client=client)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(__N__):
        compute_score("math", "so \\\\boxed{5}", 5, client=client)
    print((time.perf_counter() - start) / __N__ * 1e6, (time.process_time() - cpu) / __N__ * 1e6)
"""


def _in_process(source: Path | None, n: int) -> tuple[float, float]:
    """verl's per-sample sync call (legacy managers' threads), in-process over `LocalClient`
    (us wall, CPU)."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = str(source)
    code = _IN_PROCESS.replace("__N__", str(n))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[-2]), float(out[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default="4c99798", help="git revision to compare with")
    parser.add_argument("--after", default=None, help="git revision (default: working tree)")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--per-round", type=int, default=20)
    parser.add_argument("--batch", type=int, default=16, help="completions per TRL call")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        source = unpack(args.baseline, Path(tmp) / "before")
        changed = unpack(args.after, Path(tmp) / "after") if args.after else None
        with serve(source) as before, serve(changed) as after:
            servers = {
                side: (httpx.Client(base_url=url), _RawHTTP(url), pid)
                for side, (url, pid) in (("before", before), ("after", after))
            }
            medians = _requests(servers, args.rounds, args.per_round)
            for client, sock, _ in servers.values():
                client.close()
                sock.close()
            clients = _clients(after[0], args.rounds, args.per_round)
            openrlhf = _openrlhf({"before": before[0], "after": after[0]}, args.rounds)
            trl = _trl(after[0], args.batch, args.rounds)
        local = [(_in_process(source, 2000), _in_process(changed, 2000)) for _ in range(3)]

    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"httpx {httpx.__version__}; {args.baseline} vs {args.after or 'working tree'}; "
        f"{args.rounds * args.per_round} sequential requests per cell, alternating"
    )
    print(
        "\n| 1-item request | httpx ms, before | after | raw socket ms, before | after "
        "| server CPU ms, before | after |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in dict.fromkeys(key[0] for key in medians):
        lib_b, raw_b, cpu_b = medians[(row, "before")]
        lib_a, raw_a, cpu_a = medians[(row, "after")]
        print(
            f"| {row} | {lib_b:.2f} | {lib_a:.2f} | {raw_b:.2f} | {raw_a:.2f} "
            f"| {cpu_b:.2f} | {cpu_a:.2f} |"
        )
    print("\n| per-sample client, 1-item POST /v1/verify | median ms | client CPU ms |")
    print("|---|---|---|")
    for name, (median_ms, cpu_ms) in clients.items():
        print(f"| {name} | {median_ms:.2f} | {cpu_ms:.3f} |")
    print(f"\n| TRL reward function, {args.batch} completions per call | us per item |")
    print("|---|---|")
    for name, us in trl.items():
        print(f"| {name} | {us:.0f} |")
    print("\n| OpenRLHF's own request to /get_reward, 1 sample | ms, before | after |")
    print("|---|---|---|")
    before_ms, after_ms = openrlhf["before"], openrlhf["after"]
    print(f"| aiohttp, a new session per request | {before_ms:.2f} | {after_ms:.2f} |")

    def runs(side: int, part: int) -> str:
        return " / ".join(f"{pair[side][part]:.0f}" for pair in local)

    print("\n| in-process, 1 sample per call (3 alternating runs) | us, before | after |")
    print("|---|---|---|")
    print(f"| verl `compute_score` over LocalClient, wall | {runs(0, 0)} | {runs(1, 0)} |")
    print(f"| the same, CPU | {runs(0, 1)} | {runs(1, 1)} |")


if __name__ == "__main__":
    main()
