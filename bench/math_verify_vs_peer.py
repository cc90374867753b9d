"""Math verification throughput and label agreement: mmreward against math-verify, one core.

    python bench/math_verify_vs_peer.py [--items 2400] [--seed 0] [--core 0]

Both run on the same generated corpus (bench/math_corpus.py) in one run, pinned to one CPU core:

- mmreward: the full safe path, `verify_math` in this process and every deferred comparison
  through `Sandbox(workers=1).run_many` (a spawned worker: pickling, the process hop and the
  2 s / 1 GiB limits included). The worker inherits the pinning, so caller and worker share
  the one core.
- math-verify: `verify(parse(reference), parse(response))` in this process, the way its README
  shows; parsed references are cached for it too (the same fair trick mmreward uses).

Prints one table: verifications/s, speed-up, agreement with the corpus labels.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import Counter
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from math_corpus import Item, generate

from mmreward.sandbox import Sandbox
from mmreward.verifiers.deferred import Deferred
from mmreward.verifiers.math import verify_math
from mmreward.verifiers.verdict import Verdict


def run_mmreward(items: list[Item], sandbox: Sandbox) -> tuple[float, list[bool], Counter[str]]:
    start = time.perf_counter()
    outcomes = [verify_math(item.response, item.reference) for item in items]
    deferred = [o for o in outcomes if isinstance(o, Deferred)]
    results = iter(sandbox.run_many(deferred))
    verdicts: list[Verdict] = [next(results) if isinstance(o, Deferred) else o for o in outcomes]
    elapsed = time.perf_counter() - start
    paths = Counter("sandbox" if isinstance(o, Deferred) else "caller" for o in outcomes)
    paths.update(f"status:{v.status}" for v in verdicts)
    return elapsed, [v.correct is True for v in verdicts], paths


def run_math_verify(items: list[Item]) -> tuple[float, list[bool]]:
    from math_verify import parse, verify

    references: dict[str, Any] = {}
    verdicts = []
    start = time.perf_counter()
    for item in items:
        gold = references.get(item.reference)
        if gold is None:
            gold = references[item.reference] = parse(f"${item.reference}$")
        try:
            verdicts.append(bool(verify(gold, parse(item.response))))
        except Exception:
            verdicts.append(False)
    return time.perf_counter() - start, verdicts


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--core", type=int, default=0, help="CPU core to pin both runs to")
    args = parser.parse_args()

    os.sched_setaffinity(0, {args.core})  # before the sandbox spawns: the worker inherits it
    items = generate(args.items, seed=args.seed)
    kinds = Counter(item.kind for item in items)
    long_items = sum(len(item.response) > 2000 for item in items)

    sandbox = Sandbox(workers=1, timeout_s=2.0)
    try:
        sandbox.run(verify_math("\\boxed{\\sqrt{2}}", "1.41"))  # type: ignore[arg-type]
        mm_seconds, mm_verdicts, paths = run_mmreward(items, sandbox)
    finally:
        sandbox.close()
    run_math_verify(items[:20])  # import and warm up outside the clock
    mv_seconds, mv_verdicts = run_math_verify(items)

    labels = [item.correct for item in items]
    mm_agree = sum(v == label for v, label in zip(mm_verdicts, labels, strict=True))
    mv_agree = sum(v == label for v, label in zip(mv_verdicts, labels, strict=True))
    n = len(items)
    print(f"machine: {_cpu_name()}, pinned to core {args.core}; Python {platform.python_version()}")
    print(
        f"versions: mmreward {version('mmreward')}, math-verify {version('math-verify')}, "
        f"sympy {version('sympy')}, latex2sympy2_extended {version('latex2sympy2_extended')}"
    )
    print(
        f"corpus: {n} distinct items, {len(set(i.reference for i in items))} references, "
        f"{long_items} long responses (>2 KB); "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    )
    print(f"mmreward paths: {dict(sorted(paths.items()))}")
    print()
    print(f"{'':<14}{'seconds':>10}{'verif/s':>10}{'speed-up':>10}{'agree w/ labels':>18}")
    for name, seconds, agree in (
        ("math-verify", mv_seconds, mv_agree),
        ("mmreward", mm_seconds, mm_agree),
    ):
        print(
            f"{name:<14}{seconds:>10.2f}{n / seconds:>10.1f}{mv_seconds / seconds:>9.1f}x"
            f"{agree:>10}/{n} {100 * agree / n:5.1f}%"
        )
    wrong = Counter(
        item.kind for item, v in zip(items, mm_verdicts, strict=True) if v != item.correct
    )
    mv_wrong = Counter(
        item.kind for item, v in zip(items, mv_verdicts, strict=True) if v != item.correct
    )
    print()
    print(
        f"disagreements with labels by kind: mmreward {dict(wrong)}; math-verify {dict(mv_wrong)}"
    )


if __name__ == "__main__":
    main()
