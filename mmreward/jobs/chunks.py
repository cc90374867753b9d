"""Chunks: the unit of scoring, checkpointing and Ray blocks (rows `[k * n, (k + 1) * n)`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from mmreward.jobs.formats import Source, SourceRow
from mmreward.jobs.rows import Prepared, prepare
from mmreward.jobs.spec import RelabelSpec


@dataclass(frozen=True)
class Chunk:
    """Rows of chunk `index`, prepared for the engine; `labels` name them in error reasons."""

    index: int
    prepared: list[Prepared]
    labels: list[str]


def prepare_chunk(index: int, rows: Sequence[SourceRow], spec: RelabelSpec) -> Chunk:
    prepared = [r.error if r.error is not None else prepare(r.data, spec, r.label) for r in rows]
    return Chunk(index, prepared, [r.label for r in rows])


def iter_chunks(source: Source, spec: RelabelSpec) -> Iterator[Chunk]:
    """Every chunk of the input, in order, in one streaming pass."""
    rows = source.rows()
    index = 0
    while batch := list(islice(rows, spec.chunk_rows)):
        yield prepare_chunk(index, batch, spec)
        index += 1
