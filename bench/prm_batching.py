"""PRM throughput: one forward per request vs fixed-size batches vs the token-budget batcher.

The same 1,000 requests of mixed lengths (synthetic chains, a third of them behind a preamble of
up to ``--preamble-words`` numbers) go through (a) one forward pass each, (b) padded batches of a
fixed size in arrival order, and (c) `TokenBudgetBatcher`, all submitted at once as concurrent
requests would be, on the engine's compute lanes (one per core, each single-threaded, a batch on
each at once; `mmreward.compute`). Rows (d) and (e) repeat (a) and (c) with the forward compiled
by ``torch.compile`` (the server's ``--compile-models``), after a timed warm-up that compiles it;
a compiled graph runs on one thread with every core, as the server runs it.
Each mode runs ``--repeats`` times, interleaved, and the fastest run counts (shared machines are
noisy). Scores of every mode are checked against (a).

    python bench/prm_batching.py [--model DIR] [--format token-cls] [--requests 1000]
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from collections.abc import Callable
from pathlib import Path

import torch
import transformers

from mmreward.batching import in_fresh_thread
from mmreward.compute import ComputeLanes, lanes_of
from mmreward.prm.batcher import TokenBudgetBatcher
from mmreward.prm.encoding import Encoded
from mmreward.prm.loading import LoadedPRM, load_prm
from mmreward.prm.synthetic import make_chain


def requests(model: LoadedPRM, n: int, seed: int, preamble_words: int) -> list[Encoded]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        chain = make_chain(rng)
        problem = chain.problem
        if i % 3 == 0 and preamble_words > 0:
            words = rng.randint(1, preamble_words)
            preamble = " ".join(str(rng.randint(0, 99)) for _ in range(words))
            problem = f"Context: {preamble}. {problem}"
        out.append(model.encode(problem, chain.steps))
    return out


Mode = Callable[[], list[list[float]]]


def best_of(modes: dict[str, Mode], repeats: int) -> dict[str, tuple[float, list[list[float]]]]:
    """Fastest of ``repeats`` interleaved runs of every mode, with its scores.

    Each run, like every warm-up, is on a thread of its own that ends with it: a thread left
    holding an OpenMP team would slow the batcher's owner thread (see `in_fresh_thread`).
    """
    best: dict[str, tuple[float, list[list[float]]]] = {}
    for _ in range(repeats):
        for name, fn in modes.items():
            start = time.perf_counter()
            scores = in_fresh_thread(fn)
            seconds = time.perf_counter() - start
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, scores)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, help="PRM checkpoint; the bundled one by default")
    parser.add_argument("--format", default=None, help="token-cls, qwen-prm or step-tag-lm")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--fixed-batch", type=int, default=64, help="batch size for (b)")
    parser.add_argument("--max-batch-tokens", type=int, help="budget for (c); device default")
    parser.add_argument(
        "--preamble-words", type=int, default=60, help="longest preamble on a third of requests"
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--lanes", type=int, help="compute lanes for (c); one per core by default")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3, help="runs per mode; the fastest counts")
    parser.add_argument("--no-compile", action="store_true", help="skip rows (d) and (e)")
    args = parser.parse_args()

    model = load_prm(args.model, args.format, device=args.device)
    items = requests(model, args.requests, args.seed, args.preamble_words)
    tokens = sum(len(it) for it in items)
    budget = args.max_batch_tokens or model.default_batch_tokens

    def one_by_one(scorer: LoadedPRM) -> Mode:
        return lambda: [scorer.score_batch([it])[0] for it in items]

    def fixed() -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(items), args.fixed_batch):
            out += model.score_batch(items[start : start + args.fixed_batch])
        return out

    def budgeted(scorer: LoadedPRM, compute: ComputeLanes | None) -> Mode:
        def run() -> list[list[float]]:
            batcher = TokenBudgetBatcher(
                scorer.score_batch,
                max_batch_tokens=budget,
                max_queue=len(items),
                compute=compute,
                lanes=lanes_of(compute, scorer.concurrent_forwards),
            )
            try:
                futures = [f for it in items for f in batcher.submit([it])]
                return [f.result() for f in futures]
            finally:
                batcher.close()

        return run

    lanes = ComputeLanes(1 if model.device.type == "cuda" else args.lanes)
    lanes_used = lanes_of(lanes, model.concurrent_forwards)

    modes = {
        "(a) one forward per request": one_by_one(model),
        f"(b) fixed batches of {args.fixed_batch}, arrival order": fixed,
        f"(c) token budget {budget}, sorted, {lanes_used} lane(s)": budgeted(model, lanes),
    }
    in_fresh_thread(lambda: model.score_batch(items[:8]))  # warm-up: kernels, allocator
    if not args.no_compile:
        compiled = load_prm(args.model, args.format, device=args.device, compile_model=True)
        start = time.perf_counter()
        warm_up = [items[:rows] for rows in (1, 2, 8)]  # as the server does, and a larger batch
        in_fresh_thread(lambda: [compiled.score_batch(batch) for batch in warm_up])
        compile_s = time.perf_counter() - start
        if not compiled.forward.compiled:
            print("torch.compile failed on this machine: rows (d) and (e) ran eagerly")
        modes["(d) as (a), compiled"] = one_by_one(compiled)
        modes[f"(e) token budget, compiled (warm-up {compile_s:.0f} s)"] = budgeted(compiled, None)
    runs = best_of(modes, args.repeats)
    lanes.shutdown()
    reference = runs["(a) one forward per request"][1]
    base = runs["(a) one forward per request"][0]

    cpu = platform.processor() or platform.machine()
    device = (
        torch.cuda.get_device_name(model.device)
        if model.device.type == "cuda"
        else f"CPU ({cpu}, {torch.get_num_threads()} threads)"
    )
    print(f"device: {device}; torch {torch.__version__}, transformers {transformers.__version__}")
    print(
        f"model: {args.model or 'bundled PRM'} ({model.format}, "
        f"{sum(p.numel() for p in model.model.parameters()) / 1e6:.2f}M params, "
        f"{model.model.dtype}); {len(items)} requests, {tokens} tokens, lengths "
        f"{min(len(i) for i in items)}..{max(len(i) for i in items)}"
    )
    print(f"{'mode':<48}{'seconds':>9}{'seq/s':>9}{'tokens/s':>11}{'speedup':>9}{'max |diff|':>12}")
    for name, (seconds, scores) in runs.items():
        pairs = zip(scores, reference, strict=True)
        diff = max(abs(x - y) for got, ref in pairs for x, y in zip(got, ref, strict=True))
        print(
            f"{name:<48}{seconds:>9.2f}{len(items) / seconds:>9.1f}{tokens / seconds:>11.0f}"
            f"{base / seconds:>8.1f}x{diff:>12.1e}"
        )
    if model.device.type == "cuda":
        print(f"peak GPU memory: {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()
