"""The same job on Ray Data: read chunks -> `map_batches` over an actor pool -> parts.

Read tasks each read one chunk straight from the input (a byte offset into JSONL, a row range
of Parquet or a `datasets` directory: nodes need the same path), so the driver holds no rows.
Each actor holds one engine. Ray Data restarts an actor that dies and retries its tasks, and
every row carries its (chunk, position) key, so the driver places each result in its slot: a
killed worker loses no rows and duplicates none. The driver writes a chunk's part when all of its
rows are back, in any order; backpressure is Ray Data's (streaming execution). Actors ask for a
fraction of a CPU so that on a small machine the read tasks still get one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from ray.data import Datasource, ReadTask
from ray.data.block import BlockMetadata

from mmreward.jobs.chunks import prepare_chunk
from mmreward.jobs.formats import Format, JobError, Source, Start
from mmreward.jobs.spec import RelabelSpec
from mmreward.settings import Settings

if TYPE_CHECKING:
    from ray.data import DataContext

    from mmreward.jobs.runner import RayOptions


def read_block(path: Path, fmt: Format, spec_json: str, index: int, start: Start) -> pa.Table:
    """Chunk `index` of the input as a block: its key columns and each row's prepared item."""
    spec = RelabelSpec.model_validate_json(spec_json)
    chunk = prepare_chunk(index, Source(path, fmt).read_chunk(start, spec.chunk_rows), spec)
    size = len(chunk.prepared)
    return pa.table(
        {
            "chunk": pa.array([index] * size, type=pa.int64()),
            "pos": pa.array(range(size), type=pa.int64()),
            "item": [json.dumps(p, ensure_ascii=False) for p in chunk.prepared],
            "label": chunk.labels,
        }
    )


class ChunkSource(Datasource):
    """One read task per pending chunk, in chunk order."""

    def __init__(self, spec: RelabelSpec, source: Source, todo: dict[int, Start]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.spec_json = spec.model_dump_json()
        self.path, self.format = source.path, source.format
        self.todo = todo

    def estimate_inmemory_data_size(self) -> int | None:
        return None

    def get_read_tasks(
        self,
        parallelism: int,
        per_task_row_limit: int | None = None,
        data_context: DataContext | None = None,
    ) -> list[ReadTask]:
        return [self._task(index, start, per_task_row_limit) for index, start in self.todo.items()]

    def _task(self, index: int, start: Start, limit: int | None) -> ReadTask:
        path, fmt, spec_json = self.path, self.format, self.spec_json
        metadata = BlockMetadata(
            num_rows=None, size_bytes=None, exec_stats=None, input_files=(str(path),)
        )
        return ReadTask(
            lambda: [read_block(path, fmt, spec_json, index, start)],
            metadata,
            per_task_row_limit=limit,
        )


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


def score_on_ray(
    spec: RelabelSpec,
    settings: Settings,
    source: Source,
    todo: dict[int, Start],
    options: RayOptions,
    sink: Callable[[int, list[dict[str, Any]]], None],
) -> None:
    """Score the chunks in `todo` on a Ray cluster (joined, or started when `local`)."""
    import ray
    import ray.data

    started = False
    if not ray.is_initialized():
        ray.init(address=None if options.address == "local" else options.address)
        started = True
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        num_gpus = options.num_gpus
        if num_gpus is None:
            resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
            has_gpu = resources.get("GPU", 0) >= 1
            num_gpus = 1.0 if has_gpu and spec.kind.model_backed else 0.0
        # One block per chunk: Ray would otherwise split reads into more, smaller blocks, and a
        # model scoring part of a chunk batches it differently (last-bit float differences).
        read = ray.data.read_datasource(
            ChunkSource(spec, source, todo), override_num_blocks=len(todo)
        )
        dataset = read.map_batches(
            EngineActor,
            fn_constructor_kwargs={"spec_json": spec.model_dump_json(), "settings": settings},
            batch_size=None,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=options.actors),
            num_cpus=options.num_cpus,
            num_gpus=num_gpus,
        )
        total = source.count()
        sizes = {k: min(spec.chunk_rows, total - k * spec.chunk_rows) for k in todo}
        _collect(dataset.iter_batches(batch_size=None, batch_format="pyarrow"), sizes, sink)
    finally:
        if started:
            ray.shutdown()


def _collect(
    batches: Iterable[pa.Table],
    sizes: dict[int, int],
    sink: Callable[[int, list[dict[str, Any]]], None],
) -> None:
    """Slot each returned row by its key; hand a chunk to `sink` once every row is back."""
    slots: dict[int, list[dict[str, Any] | None]] = {k: [None] * n for k, n in sizes.items()}
    missing = dict(sizes)
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
