"""The same job on Ray Data: chunks -> `map_batches` over an actor pool -> parts on the driver.

Each actor holds one engine. Ray Data restarts an actor that dies and retries its tasks, and
every row carries its (chunk, position) key, so the driver places each result in its slot: a
killed worker loses no rows and duplicates none. The driver writes a chunk's part when all of its
rows are back, in any order; backpressure is Ray Data's (streaming execution). Actors ask for a
fraction of a CPU so that on a small machine the read tasks still get one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from mmreward.jobs.formats import JobError
from mmreward.jobs.spec import RelabelSpec
from mmreward.settings import Settings

if TYPE_CHECKING:
    from mmreward.jobs.relabel import Chunk, RayOptions

_MODEL_CAPABILITIES = frozenset({"prm", "orm", "grounding"})


class EngineActor:
    """One engine per Ray actor; scores one block (a chunk) per call."""

    def __init__(self, spec_json: str, settings: Settings) -> None:
        from mmreward.engine import Engine
        from mmreward.jobs.scoring import ChunkScorer

        self.engine = Engine(settings)
        self.scorer = ChunkScorer(RelabelSpec.model_validate_json(spec_json), self.engine)

    def __call__(self, batch: pa.Table) -> pa.Table:
        prepared = [json.loads(entry) for entry in batch.column("item").to_pylist()]
        labels = batch.column("label").to_pylist()
        columns = self.scorer.score(prepared, labels)
        return pa.table(
            {
                "chunk": batch.column("chunk"),
                "pos": batch.column("pos"),
                "columns": [json.dumps(c, ensure_ascii=False) for c in columns],
            }
        )


def _block(chunk: Chunk) -> pa.Table:
    size = len(chunk.prepared)
    return pa.table(
        {
            "chunk": pa.array([chunk.index] * size, type=pa.int64()),
            "pos": pa.array(range(size), type=pa.int64()),
            "item": [json.dumps(p, ensure_ascii=False) for p in chunk.prepared],
            "label": chunk.labels,
        }
    )


def score_on_ray(
    spec: RelabelSpec,
    settings: Settings,
    pending: Sequence[Chunk],
    options: RayOptions,
    sink: Callable[[int, list[dict[str, Any]]], None],
) -> None:
    """Score `pending` chunks on a Ray cluster (joined, or started when `local`)."""
    import ray
    import ray.data

    started = False
    if not ray.is_initialized():
        ray.init(address=None if options.address == "local" else options.address)
        started = True
    try:
        if not pending:
            return
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        num_gpus = options.num_gpus
        if num_gpus is None:
            resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
            has_gpu = resources.get("GPU", 0) >= 1
            num_gpus = 1.0 if has_gpu and spec.capability in _MODEL_CAPABILITIES else 0.0
        dataset = ray.data.from_arrow([_block(chunk) for chunk in pending]).map_batches(
            EngineActor,
            fn_constructor_kwargs={"spec_json": spec.model_dump_json(), "settings": settings},
            batch_size=None,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=options.actors),
            num_cpus=options.num_cpus,
            num_gpus=num_gpus,
        )
        _collect(dataset.iter_batches(batch_size=None, batch_format="pyarrow"), pending, sink)
    finally:
        if started:
            ray.shutdown()


def _collect(
    batches: Any, pending: Sequence[Chunk], sink: Callable[[int, list[dict[str, Any]]], None]
) -> None:
    """Slot each returned row by its key; hand a chunk to `sink` once every row is back."""
    slots: dict[int, list[dict[str, Any] | None]] = {
        c.index: [None] * len(c.prepared) for c in pending
    }
    missing = {c.index: len(c.prepared) for c in pending}
    for batch in batches:
        keys = zip(batch.column("chunk").to_pylist(), batch.column("pos").to_pylist(), strict=True)
        for (chunk, pos), text in zip(keys, batch.column("columns").to_pylist(), strict=True):
            slot = slots.get(chunk)
            if slot is None:
                continue  # a retried block whose chunk is already written
            if slot[pos] is None:
                missing[chunk] -= 1
            slot[pos] = json.loads(text)
            if missing[chunk] == 0:
                sink(chunk, [c for c in slot if c is not None])
                del slots[chunk]
    if slots:
        raise JobError(f"Ray returned no result for {len(slots)} chunk(s); re-run to resume")
