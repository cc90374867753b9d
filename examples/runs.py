"""What the experiment drivers share: where a run lives, whether it reached its budget, and a
queue of runs started a few at a time."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from mmreward.rl.results import read_metrics


def run_dir(out: Path, name: str, seed: int) -> Path:
    return out / f"{name}-seed{seed}"


def finished(target: Path, steps: int) -> bool:
    """A run whose metrics reached the budget; anything less is resumed from its checkpoint."""
    path = target / "metrics.jsonl"
    return path.is_file() and read_metrics(path)[-1]["step"] >= steps


def run_queue(
    queue: list[tuple[str, int]],
    start: Callable[[str, int], subprocess.Popen[bytes]],
    parallel: int,
) -> None:
    """Start (name, seed) runs in order, at most `parallel` at once, until all have ended."""
    running: list[subprocess.Popen[bytes]] = []
    while queue or running:
        while queue and len(running) < parallel:
            name, seed = queue.pop(0)
            print(f"start {name} seed {seed}", flush=True)
            running.append(start(name, seed))
        time.sleep(5)
        running = [p for p in running if p.poll() is None]
