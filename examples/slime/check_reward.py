"""Load mmreward's slime functions as `--custom-rm-path` does and score three samples.

python examples/slime/check_reward.py          # in-process engine, or MMREWARD_URL
MMREWARD_SLIME_SRC=/path/to/slime python examples/slime/check_reward.py   # slime's own code
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
from argparse import Namespace
from types import SimpleNamespace
from typing import Any

SAMPLES = [
    ("<think>7 * 6</think><answer>42</answer>", "42", "completed"),
    ("<think>9 - 4</think><answer>6</answer>", "5", "completed"),
    ("<think>2^10 = 1024</think><answer>1024", "1024", "truncated"),
]


def load_function(path: str) -> Any:
    module, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def samples() -> list[Any]:
    source = os.environ.get("MMREWARD_SLIME_SRC")
    if source:
        sys.path.insert(0, source)
        from slime.utils.types import Sample

        status = {"completed": Sample.Status.COMPLETED, "truncated": Sample.Status.TRUNCATED}
        return [Sample(prompt="Q?", response=r, label=a, status=status[s]) for r, a, s in SAMPLES]
    return [
        SimpleNamespace(
            prompt="Q?", response=r, label=a, metadata={}, status=SimpleNamespace(value=s)
        )
        for r, a, s in SAMPLES
    ]


async def main() -> None:
    os.environ.setdefault("MMREWARD_ADAPTER_RECIPE", "r1v")
    group = samples()
    single = load_function("mmreward.clients.slime.reward")
    args = Namespace(custom_rm_path="mmreward.clients.slime.reward", group_rm=False)
    each = [await single(args, sample) for sample in group]
    together = await load_function("mmreward.clients.slime.group_reward")(args, group)
    for (response, _, status), a, b in zip(SAMPLES, each, together, strict=True):
        print(f"{response!r:<48} {status:<10} per sample {a:.2f}  group {b:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
