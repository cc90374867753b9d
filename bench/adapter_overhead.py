"""Per-sample cost of each framework adapter over the bare client it scores through, one table.

Every adapter is called one sample per call, the way its framework calls it (verl's reward loop,
verifiers' `Task.score`, AReaL's reward function, slime's `--custom-rm-path` function; TRL,
OpenRLHF and EasyR1 batch in real runs, here they get one sample to compare alike), through
`LocalClient` (in-process) and `RewardClient` (a server in its own process on this machine).
The baseline is the bare client's own 1-item call (`verify`, or the async client's `verify`
for the coroutine adapters). Verdicts are cached after a warm-up, so the figures are the cost of
the path, not of sympy. Rounds alternate over the adapters so machine load hits all alike;
each cell is the median over rounds of the mean per sample.

    python bench/adapter_overhead.py --samples 200 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
import weakref
from argparse import Namespace
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from request_overhead import _server

from mmreward import AsyncLocalClient, AsyncRewardClient, LocalClient, RewardClient
from mmreward.clients import _adapt, areal, easyr1, slime, trl, verl
from mmreward.clients import verifiers as vf_adapter
from mmreward.clients.openrlhf import reward_func
from mmreward.items import VerifyItem
from mmreward.settings import Settings

CASES = [
    ("The answer is \\boxed{5}.", "5"),
    ("#### 1,234", "1234"),
    ("so it is \\boxed{6}", "5"),
    ("\\boxed{\\frac{1}{2}}", "0.5"),
]
CHAT = "<|im_start|>user\nQuestion?<|im_end|>\n<|im_start|>assistant\n"


def _verifiers_task(client: Any, direct: bool = False) -> Callable[[str, str], Awaitable[float]]:
    """verifiers' own `Task.score` over a trace, or (`direct`) our reward function alone."""
    import verifiers.v1 as vf
    from verifiers.v1.graph import MessageNode
    from verifiers.v1.trace import ModelCall, TraceTask

    class Data(vf.TaskData):
        answer: str

    class MathTask(vf.Task[Data]):
        pass

    rewards = vf_adapter.rubric(client, verifier="math")
    rewards.attach(MathTask)
    [func] = rewards.funcs

    def rollout(response: str, reference: str) -> tuple[Any, Any]:
        task = MathTask(Data(prompt="Question?", answer=reference))
        trace = vf.Trace(
            task=TraceTask(type="MathTask", data=task.data),
            agent=vf.AgentInfo(config=vf.AgentConfig()),
            nodes=[
                MessageNode(message=vf.UserMessage(content="Question?")),
                MessageNode(parent=0, message=vf.AssistantMessage(content=response), sampled=True),
            ],
            calls=[ModelCall(node=1, finish_reason="stop")],
        )
        return task, trace

    rollouts = {case: rollout(*case) for case in CASES}  # built before timing, as a rollout is

    async def score(response: str, reference: str) -> float:
        task, trace = rollouts[(response, reference)]
        if direct:
            return await func(task.data, trace)
        await task.score(trace)
        return float(trace.reward)

    return score


def _callers(sync: Any, asynchronous: Any) -> dict[str, tuple[bool, Callable[..., Any]]]:
    """Name -> (is a coroutine, call(response, reference))."""
    trl_fn = trl.trl_reward_func(sync)
    areal_fn = areal.AReaLReward(client=sync)
    args = Namespace(custom_rm_path="mmreward.clients.slime.reward", group_rm=False)

    def sample(response: str, reference: str) -> Any:
        return SimpleNamespace(
            prompt="Question?", response=response, label=reference, metadata={}, status=None
        )

    return {
        "bare client `verify`, 1 item": (
            False,
            lambda r, a: sync.verify([VerifyItem(response=r, reference=a)]),
        ),
        "bare async client `verify`, 1 item": (
            True,
            lambda r, a: asynchronous.verify([VerifyItem(response=r, reference=a)]),
        ),
        "verl `compute_score` (reward loop, async)": (
            True,
            lambda r, a: verl.compute_score("math", r, a, {}, client=asynchronous),
        ),
        "verl `compute_score_sync` (legacy managers)": (
            False,
            lambda r, a: verl.compute_score_sync("math", r, a, {}, client=sync),
        ),
        "TRL `trl_reward_func`": (False, lambda r, a: trl_fn(["Question?"], [r], solution=[a])),
        "OpenRLHF `reward_func`": (False, lambda r, a: reward_func([CHAT + r], [CHAT], [a])),
        "EasyR1 `compute_score`": (
            False,
            lambda r, a: easyr1.compute_score(
                [{"response": r, "response_length": 8, "ground_truth": a}], client=sync
            ),
        ),
        "verifiers `Task.score` (rubric)": (True, _verifiers_task(asynchronous)),
        "verifiers rubric function alone": (True, _verifiers_task(asynchronous, direct=True)),
        "AReaL `AReaLReward`": (False, lambda r, a: areal_fn("Question?", r, [1], [2], answer=a)),
        "slime `reward` (async)": (True, lambda r, a: slime.reward(args, sample(r, a))),
    }


def _per_sample(loop: asyncio.AbstractEventLoop, coroutine: bool, fn: Any, n: int) -> float:
    """Mean seconds per sample over `n` calls."""
    cases = [CASES[i % len(CASES)] for i in range(n)]
    if coroutine:

        async def run() -> None:
            for response, reference in cases:
                await fn(response, reference)

        start = time.perf_counter()
        loop.run_until_complete(run())
    else:
        start = time.perf_counter()
        for response, reference in cases:
            fn(response, reference)
    return (time.perf_counter() - start) / n


def _measure(sync: Any, asynchronous: Any, samples: int, rounds: int) -> dict[str, float]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    callers = _callers(sync, asynchronous)
    for coroutine, fn in callers.values():  # warm-up: verdicts cached, imports done
        _per_sample(loop, coroutine, fn, len(CASES))
    runs: dict[str, list[float]] = {name: [] for name in callers}
    for _ in range(rounds):
        for name, (coroutine, fn) in callers.items():
            runs[name].append(_per_sample(loop, coroutine, fn, samples))
    if hasattr(asynchronous, "aclose"):
        loop.run_until_complete(asynchronous.aclose())
    loop.close()
    return {name: statistics.median(times) * 1e6 for name, times in runs.items()}


def _route_shared(url: str | None, sync: Any) -> None:
    """The module-level doors (OpenRLHF, slime) score through the process's shared clients."""
    if url:
        os.environ["MMREWARD_URL"] = url
    else:
        os.environ.pop("MMREWARD_URL", None)
    _adapt._shared.clear()
    _adapt._shared[(url, None)] = sync
    _adapt._shared_async = weakref.WeakKeyDictionary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=200, help="calls per cell and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.pop("MMREWARD_ADAPTER_RECIPE", None)
    os.environ.pop("MMREWARD_ADAPTER_VERIFIER", None)
    with LocalClient(Settings(sandbox_workers=1)) as local:
        _route_shared(None, local)
        in_process = _measure(
            local, AsyncLocalClient(engine=local.engine), args.samples, args.rounds
        )
    with _server(None) as (url, _pid), RewardClient(url) as http:
        _route_shared(url, http)
        over_http = _measure(http, AsyncRewardClient(url), args.samples, args.rounds)
    print(
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs;"
        f" {args.samples} samples x {args.rounds} rounds per cell, medians of per-sample means"
    )
    bare = ("bare client `verify`, 1 item", "bare async client `verify`, 1 item")
    print("\n| 1 sample per call | LocalClient us | overhead | RewardClient us | overhead |")
    print("|---|---|---|---|---|")
    async_names = {
        "bare async client `verify`, 1 item",
        "verl `compute_score` (reward loop, async)",
        "verifiers `Task.score` (rubric)",
        "verifiers rubric function alone",
        "slime `reward` (async)",
    }
    for name in in_process:
        base = bare[1] if name in async_names else bare[0]
        local_us, http_us = in_process[name], over_http[name]
        extra = (
            ("", "")
            if name in bare
            else (f"{local_us - in_process[base]:+.0f}", f"{http_us - over_http[base]:+.0f}")
        )
        print(f"| {name} | {local_us:.0f} | {extra[0]} | {http_us:.0f} | {extra[1]} |")


if __name__ == "__main__":
    main()
