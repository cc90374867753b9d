"""What a run leaves to read: `metrics.jsonl`, `samples.jsonl`, optionally TensorBoard.

`metrics.jsonl` has one line per step; `samples.jsonl` holds prompts with the responses the
policy wrote, their rewards and components (the greedy answers to a few held-out prompts at
every evaluation, sampled training groups at a chosen rate), so reward hacking shows in the
run directory itself. Both are cut back to the checkpoint's step on resume.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from mmreward.errors import InvalidInputError


class Logbook:
    def __init__(self, directory: Path, *, tensorboard: bool = False, resume_step: int = 0):
        self.metrics_path = directory / "metrics.jsonl"
        self.samples_path = directory / "samples.jsonl"
        self._writer: Any = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                raise InvalidInputError(
                    "tensorboard: true needs the tensorboard package "
                    "(pip install 'mmreward[tensorboard]')"
                ) from None
            # purge_step drops events a crashed run wrote after its checkpoint.
            self._writer = SummaryWriter(
                str(directory / "tensorboard"), purge_step=resume_step + 1 if resume_step else None
            )

    def metrics(self, line: dict[str, Any]) -> dict[str, Any]:
        _append(self.metrics_path, [line])
        if self._writer is not None:
            for key, value in line.items():
                if key != "step" and isinstance(value, int | float) and not isinstance(value, bool):
                    self._writer.add_scalar(key, value, line["step"])
            self._writer.flush()
        return line

    def samples(self, records: list[dict[str, Any]]) -> None:
        _append(self.samples_path, records)

    def truncate(self, step: int) -> None:
        """Drop lines written after `step`: a resumed run writes those steps again. Each file
        is rewritten as a new one renamed over the old, so a crash meanwhile leaves the old one
        whole; a line torn by the crash that stopped the run is dropped too."""
        for path in (self.metrics_path, self.samples_path):
            if path.exists():
                lines = path.read_text(encoding="utf-8").splitlines()
                kept = [line for line in lines if _step_of(line) <= step]
                rewritten = path.with_name(f".{path.name}.tmp")
                rewritten.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")
                os.replace(rewritten, path)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def _step_of(line: str) -> float:
    """A line's step; a line that does not parse (torn by a crash while it was appended)
    counts as after every step."""
    try:
        return float(json.loads(line)["step"])
    except (ValueError, KeyError, TypeError):
        return math.inf


def _append(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(json.dumps(record) + "\n" for record in records)
