"""Relabel a JSONL dataset through the engine, chunk by chunk, in this process."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from tqdm import tqdm

from mmreward.items import VerifyItem
from mmreward.jobs.records import RelabelSpec, annotate, item_from_record
from mmreward.verifiers.verdict import Verdict

Judge = Callable[[list[VerifyItem]], list[Verdict]]


@dataclass
class RelabelStats:
    records: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    reward_sum: float = 0.0

    def add(self, verdict: Verdict) -> None:
        self.records += 1
        self.by_status[verdict.status] = self.by_status.get(verdict.status, 0) + 1
        self.reward_sum += verdict.reward


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError(f"{path}:{number}: expected a JSON object per line")
                yield record


def chunked(records: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def relabel_file(
    judge: Judge,
    source: Path,
    target: Path,
    spec: RelabelSpec,
    *,
    chunk_size: int = 256,
    progress: bool = True,
) -> RelabelStats:
    """Write `target` as `source` with verdicts added; order and every other field kept.

    `judge` is any batch door: `Engine.verify_batch`, `LocalClient.verify`, `RewardClient.verify`
    or `RelabelQueue.judge` (Redis Streams workers).
    """
    stats = RelabelStats()
    with (
        target.open("w", encoding="utf-8") as out,
        tqdm(desc="relabel", unit="rec", disable=not progress) as bar,
    ):
        for chunk in chunked(read_jsonl(source), chunk_size):
            verdicts = judge([item_from_record(record, spec) for record in chunk])
            for record, verdict in zip(chunk, verdicts, strict=True):
                out.write(json.dumps(annotate(record, verdict, spec), ensure_ascii=False) + "\n")
                stats.add(verdict)
            bar.update(len(chunk))
    return stats
