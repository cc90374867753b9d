"""Latency of hostile math answers through the full safe path (engine + sandbox).

Prints one row per input: verdict status, reason and seconds; then a mixed batch of 64 hostile
and 64 normal items. Run: `python bench/hostile.py`.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "system"))

from test_hostile import HOSTILE

from mmreward.engine import Engine
from mmreward.items import VerifyItem
from mmreward.settings import Settings


def main() -> None:
    engine = Engine(Settings(sandbox_workers=2, cache_size=0))
    engine.verify([VerifyItem(response="\\boxed{1}", reference="1")])
    machine = platform.processor() or platform.machine()
    print(f"# hostile inputs, {machine}, python {sys.version.split()[0]}")
    print(f"{'input':<48} {'status':<8} {'seconds':>8}  reason")
    for text in HOSTILE:
        start = time.perf_counter()
        [verdict] = engine.verify([VerifyItem(response=text, reference="3")])
        took = time.perf_counter() - start
        label = (text[:45] + "...") if len(text) > 48 else text
        print(f"{label!r:<48} {verdict.status:<8} {took:>8.3f}  {verdict.reason[:60]}")
    items = []
    for i in range(64):
        items.append(VerifyItem(response=HOSTILE[i % 7], reference="3"))
        items.append(VerifyItem(response=f"\\boxed{{{i}/2}}", reference=str(i / 2)))
    start = time.perf_counter()
    verdicts = engine.verify(items)
    took = time.perf_counter() - start
    right = sum(v.correct is True for v in verdicts[1::2])
    print(f"mixed batch: {len(verdicts)} verdicts, {right}/64 normal correct, {took:.2f}s")
    engine.close()


if __name__ == "__main__":
    main()
