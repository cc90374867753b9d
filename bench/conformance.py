"""Math verification against other graders' own test suites: mmreward and math-verify side by side.

    python bench/conformance.py PATH.jsonl [--timeout 2.0] [--show-misses]

Each JSONL row holds `response`, `reference` and `expected` (a bool), and optionally `source`
(the suite it came from) and `debatable` (the label is a judgement call). Both graders run in
one process on the same rows:

- mmreward: `verify_math`, deferred comparisons through a `Sandbox` (the production path, with
  its per-item time limit);
- math-verify: `verify(parse(reference), parse(response))`, the way its README shows.

Prints, per source and in total, how many rows each grader gets right on the non-debatable and
on the debatable rows, and the false accepts (expected false, judged correct), which matter
most: a policy learns whatever is rewarded. `--show-misses` lists every row mmreward gets wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from mmreward.sandbox import Sandbox
from mmreward.verifiers.deferred import Deferred
from mmreward.verifiers.math import verify_math
from mmreward.verifiers.verdict import Verdict


@dataclass(frozen=True, slots=True)
class Row:
    source: str
    response: str
    reference: Any
    expected: bool
    debatable: bool
    label: str


def load(path: Path) -> list[Row]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        raw = json.loads(line)
        rows.append(
            Row(
                source=str(raw.get("source", "-")).split(":")[0],
                response=str(raw["response"]),
                reference=raw["reference"],
                expected=bool(raw["expected"]),
                debatable=bool(raw.get("debatable", False)),
                label=str(raw.get("id", f"line {number}")),
            )
        )
    return rows


def run_mmreward(rows: list[Row], sandbox: Sandbox) -> tuple[list[Verdict], float]:
    start = time.perf_counter()
    outcomes = [verify_math(row.response, row.reference) for row in rows]
    deferred = [o for o in outcomes if isinstance(o, Deferred)]
    results = iter(sandbox.run_many(deferred))
    verdicts = [next(results) if isinstance(o, Deferred) else o for o in outcomes]
    return verdicts, time.perf_counter() - start


def run_math_verify(rows: list[Row]) -> tuple[list[bool], float]:
    from math_verify import parse, verify

    start = time.perf_counter()
    judged = []
    for row in rows:
        try:
            judged.append(bool(verify(parse(f"${row.reference}$"), parse(row.response))))
        except Exception:
            judged.append(False)
    return judged, time.perf_counter() - start


@dataclass
class Tally:
    rows: int = 0
    right: int = 0
    debatable: int = 0
    debatable_right: int = 0
    false_accepts: int = 0

    def add(self, row: Row, accepted: bool) -> None:
        right = accepted == row.expected
        if row.debatable:
            self.debatable += 1
            self.debatable_right += right
        else:
            self.rows += 1
            self.right += right
        self.false_accepts += accepted and not row.expected


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--timeout", type=float, default=2.0, help="sandbox limit per item (s)")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()

    rows = load(args.path)
    sandbox = Sandbox(workers=1, timeout_s=args.timeout)
    try:
        sandbox.run(verify_math("\\boxed{\\sqrt{2}}", "1.41"))  # type: ignore[arg-type]
        verdicts, mm_seconds = run_mmreward(rows, sandbox)
        timeouts = sandbox.timeouts
    finally:
        sandbox.close()
    run_math_verify(rows[:5])  # import and warm up outside the clock
    mv_judged, mv_seconds = run_math_verify(rows)

    mm: dict[str, Tally] = defaultdict(Tally)
    mv: dict[str, Tally] = defaultdict(Tally)
    for row, verdict, other in zip(rows, verdicts, mv_judged, strict=True):
        for key in (row.source, "total"):
            mm[key].add(row, verdict.correct is True)
            mv[key].add(row, other)

    print(
        f"{args.path.name}: {len(rows)} rows; mmreward {version('mmreward')}, "
        f"math-verify {version('math-verify')}; sandbox limit {args.timeout:g} s, "
        f"{timeouts} time-outs"
    )
    header = f"{'source':<30}{'rows':>6}{'mmreward':>10}{'math-verify':>13}"
    header += f"{'debatable':>11}{'mm':>5}{'mv':>5}{'false acc. mm/mv':>18}"
    print(header)
    for key in [*sorted(k for k in mm if k != "total"), "total"]:
        a, b = mm[key], mv[key]
        print(
            f"{key:<30}{a.rows:>6}{a.right:>10}{b.right:>13}{a.debatable:>11}"
            f"{a.debatable_right:>5}{b.debatable_right:>5}{a.false_accepts:>12}/{b.false_accepts}"
        )
    print(f"seconds: mmreward {mm_seconds:.2f}, math-verify {mv_seconds:.2f}")
    for name, accepted in (
        ("mmreward", [v.correct is True for v in verdicts]),
        ("math-verify", mv_judged),
    ):
        wrong = [row for row, ok in zip(rows, accepted, strict=True) if ok and not row.expected]
        print(f"false accepts by {name}: {len(wrong)}")
        for row in wrong:
            flag = " (debatable)" if row.debatable else ""
            print(f"  {row.label}{flag}: {row.response[-60:]!r} for {row.reference!r}")
    if args.show_misses:
        for row, verdict in zip(rows, verdicts, strict=True):
            if (verdict.correct is True) != row.expected:
                flag = " (debatable)" if row.debatable else ""
                print(
                    f"\n{row.label}{flag}: expected {row.expected}, got {verdict.status}/"
                    f"{verdict.correct} {verdict.reason}\n  reference: {row.reference!r}\n"
                    f"  extracted: {verdict.extracted!r}\n  response: {row.response[-300:]!r}"
                )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
