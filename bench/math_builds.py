"""The math verifier of several builds side by side, in-process: CPU per item and verdicts.

    python bench/math_builds.py [REV ...] [--rounds 5] [--items 1200] [--cases PATH.jsonl ...]

Each git revision (and the working tree, last) runs in its own worker process, from its own
directory (`servers.unpack`). Each round generates a fresh corpus (bench/math_corpus.py, every
item distinct, so the verdict cache never answers) and every worker judges it through
`Engine.verify` in batches of `--batch`, one after the other: the builds are interleaved round by
round, so a load that comes and goes on a shared machine reaches them alike. The figure is the
worker's CPU time per item (`time.process_time`), and the ratios to the first build and to the
build listed before it are taken per round, then the median: with one revision per change, the
second ratio is what that change bought.

Then every build judges the same cases once: four corpus seeds, tests/helpers' two labelled math
suites, the adversarial benchmark's rows (bench/adversarial.py) and any `--cases` JSONL (rows of
`response`, `reference`), and the table counts the verdicts (status, correct, reward, reason,
extracted answer, details) that differ from the first build's. A comparison the caller defers
is compared by its job (the function and its arguments), not run: the sandbox's sympy is no part
of this comparison.

HTTP, JSON and validation are left out: `math_verify_vs_peer.py` measures the whole server.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def worker() -> None:
    """Answer commands on stdin (`time SEED ITEMS BATCH`, `verdicts PATHS`), one JSON line each."""
    import time

    from math_corpus import generate

    from mmreward.engine import Engine
    from mmreward.items import VerifyItem

    engine = Engine()

    def items_of(seed: int, n: int) -> tuple[list[VerifyItem], list[bool]]:
        corpus = generate(n, seed=seed)
        items = [VerifyItem(response=i.response, reference=i.reference) for i in corpus]
        return items, [i.correct for i in corpus]

    warm, _ = items_of(-2, 400)
    engine.verify(warm)
    for line in sys.stdin:
        command, *rest = line.split()
        if command == "time":
            seed, n, batch = map(int, rest)
            items, labels = items_of(seed, n)
            cpu = time.process_time()
            verdicts = [v for k in range(0, n, batch) for v in engine.verify(items[k : k + batch])]
            cpu = time.process_time() - cpu
            agreed = sum((v.correct is True) == y for v, y in zip(verdicts, labels, strict=True))
            answer: Any = {"cpu": cpu, "agreed": agreed}
        else:
            answer = [_summary(*case) for case in _cases([Path(p) for p in rest])]
        print(json.dumps(answer), flush=True)
    engine.close()


def _cases(paths: list[Path]) -> list[tuple[str, str, Any, dict[str, Any]]]:
    """(verifier, response, reference, params) of every case compared between builds."""
    sys.path.insert(0, str(ROOT / "tests" / "helpers"))
    import adversarial
    import heldout_math_cases
    import math_suite
    from math_corpus import generate

    cases: list[tuple[str, str, Any, dict[str, Any]]] = [
        ("math", item.response, item.reference, {}) for s in range(4) for item in generate(seed=s)
    ]
    cases += [("math", c.response, c.reference, {}) for c in math_suite.CASES]
    cases += [("math", c.response, c.reference, {}) for c in heldout_math_cases.CASES]
    cases += [
        (c.verifier, c.response, c.reference, c.params) for _, c in adversarial.generate(seed=0)
    ]
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                cases.append(("math", str(row["response"]), row["reference"], {}))
    return cases


def _summary(verifier: str, response: str, reference: Any, params: dict[str, Any]) -> str:
    from mmreward.verifiers.deferred import Deferred
    from mmreward.verifiers.registry import VERIFIERS

    try:
        outcome = VERIFIERS[verifier](response, reference, **params)
    except Exception as error:
        return f"raised {type(error).__name__}: {error}"
    if isinstance(outcome, Deferred):
        return f"deferred {outcome.fn.__qualname__}{outcome.args!r}"
    return json.dumps(
        [
            outcome.status,
            outcome.correct,
            outcome.reward,
            outcome.reason,
            outcome.extracted,
            outcome.details,
        ],
        sort_keys=True,
        default=str,
    )


class Build:
    def __init__(self, name: str, source: Path) -> None:
        self.name = name
        env = dict(os.environ, PYTHONPATH=str(source), MMREWARD_SANDBOX_WORKERS="1")
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker"],
            cwd=source,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, command: str) -> Any:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("revs", nargs="*", help="git revisions served before the working tree")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--items", type=int, default=1200, help="distinct items per round")
    parser.add_argument("--batch", type=int, default=200, help="items per Engine.verify call")
    parser.add_argument("--cases", nargs="*", default=[], help="JSONL rows also compared")
    args = parser.parse_args()

    from servers import unpack

    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    with tempfile.TemporaryDirectory() as tmp:
        sources = {rev: unpack(rev, Path(tmp) / f"build{k}") for k, rev in enumerate(args.revs)}
        builds = [
            Build(name, source) for name, source in [*sources.items(), ("working tree", ROOT)]
        ]
        try:
            cpu: dict[str, list[float]] = {b.name: [] for b in builds}
            agreed: dict[str, int] = dict.fromkeys(cpu, 0)
            for r in range(args.rounds):
                for build in builds if r % 2 == 0 else builds[::-1]:
                    answer = build.ask(f"time {100 + r} {args.items} {args.batch}")
                    cpu[build.name].append(answer["cpu"])
                    agreed[build.name] += answer["agreed"]
            paths = " ".join(str(Path(p).resolve()) for p in args.cases)
            verdicts = {b.name: b.ask(f"verdicts {paths}") for b in builds}
        finally:
            for build in builds:
                build.close()

    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    first = builds[0].name
    total = args.items * args.rounds
    print(f"{os.cpu_count()} cores; load {load_before} -> {load}; {args.rounds} rounds of "
          f"{args.items} distinct items, batches of {args.batch}; "
          f"{len(verdicts[first])} cases compared")  # fmt: skip
    print()
    print(f"| build | CPU ms per item | CPU vs {first} (median; each round) | CPU vs the build "
          f"above (median) | items per CPU-second | agreement with labels | verdicts differing "
          f"from {first} |")  # fmt: skip
    print("|---|---:|---|---:|---:|---:|---:|")
    previous = first
    for name, times in cpu.items():
        ratios = [t / b for t, b in zip(times, cpu[first], strict=True)]
        step = statistics.median(t / b for t, b in zip(times, cpu[previous], strict=True))
        differ = sum(a != b for a, b in zip(verdicts[name], verdicts[first], strict=True))
        print(
            f"| {name} | {1e3 * sum(times) / total:.3f} | {statistics.median(ratios):.3f} "
            f"({', '.join(f'{x:.2f}' for x in ratios)}) | {step:.3f} | "
            f"{total / sum(times):,.0f} | {agreed[name]}/{total} | {differ} |"
        )
        previous = name


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        worker()
    else:
        main()
