"""A relabeling job from end to end: check, score chunk by chunk (here or on Ray), assemble.

Order of work, chosen so that no failure can harm the input or leave a half-written output:
paths and columns are checked before anything is created; scored chunks go to checkpointed
parts (`checkpoint.py`); the output is assembled in the parts directory and renamed onto the
target only when complete.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from tqdm import tqdm

from mmreward.jobs.checkpoint import Checkpoint, checkpoint_directory, fsync_dir, write_atomic
from mmreward.jobs.chunks import Chunk, iter_chunks
from mmreward.jobs.formats import (
    Format,
    JobError,
    Source,
    detect_format,
    output_table,
    write_dataset,
    write_jsonl,
    write_parquet,
)
from mmreward.jobs.kinds import Columns
from mmreward.jobs.selection import PASS_RATE, group_key, keep_rows, pass_rates
from mmreward.jobs.spec import RelabelSpec
from mmreward.jobs.summary import Summary, summarize
from mmreward.settings import Settings

_SAMPLE_ROWS = 1000
"""JSONL rows whose columns are checked against the mapping before any scoring."""


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide the Ray Data job runs."""

    address: str = "local"
    actors: int = 2
    num_cpus: float = 0.5
    num_gpus: float | None = None


ChunkSink = Callable[[int, list[Columns]], None]


def relabel(
    spec: RelabelSpec,
    source_path: Path,
    target_path: Path,
    *,
    settings: Settings | None = None,
    input_format: str | None = None,
    output_format: str | None = None,
    ray: RayOptions | None = None,
    restart: bool = False,
    progress: bool = True,
) -> Summary:
    """Write `target_path`: every input row, in order, with the reward columns added.

    Re-running after an interruption with the same arguments scores only what is missing.
    """
    settings = settings or Settings()
    check_paths(source_path, target_path)
    source = Source(source_path, detect_format(source_path, input_format, "--input-format"))
    out_format = detect_format(target_path, output_format, "--output-format")
    check_replaceable(target_path, out_format)
    check_scorable(spec, settings)
    check_columns(spec, source)
    total = source.count()
    checkpoint = Checkpoint(target_path, _manifest(spec, source, total))
    checkpoint.open(restart=restart)
    try:
        resumed = _score(spec, settings, source, checkpoint, total, ray, progress)
        n_chunks = -(-total // spec.chunk_rows)
        added = [columns for k in range(n_chunks) for columns in checkpoint.read(k)]
        if len(added) != total:
            reason = f"{len(added)} scored rows for {total} input rows; re-run with --restart"
            raise JobError(reason)
        keep = _select(spec, source, added)
        _assemble(source, out_format, checkpoint, target_path, added, keep)
        checkpoint.remove()
        return summarize(added, spec.output, spec.passing, sum(keep), resumed)
    finally:
        checkpoint.release()


def _score(
    spec: RelabelSpec,
    settings: Settings,
    source: Source,
    checkpoint: Checkpoint,
    total: int,
    ray: RayOptions | None,
    progress: bool,
) -> int:
    """Score every chunk without a part, behind a progress bar; returns the parts reused."""
    n_chunks = -(-total // spec.chunk_rows)
    resumed = sum(checkpoint.done(k) for k in range(n_chunks))
    with tqdm(
        total=total,
        initial=min(total, resumed * spec.chunk_rows),
        desc="relabel",
        unit="row",
        disable=not progress,
        dynamic_ncols=True,
    ) as bar:

        def sink(index: int, columns: list[Columns]) -> None:
            checkpoint.write(index, columns)
            bar.update(len(columns))

        if resumed < n_chunks:  # else an earlier run stopped while assembling the output
            _score_missing(spec, settings, source, checkpoint, ray, sink)
    return resumed


def write_summary(path: Path, summary: Summary) -> None:
    write_atomic(path, (summary.model_dump_json(indent=2) + "\n").encode())


def check_paths(source: Path, target: Path, output: Path | None = None) -> None:
    """Refuse anything that could write over the input, before anything is created.

    `target` is the job's output; `output` (default: `target`) is the file about to be written
    (the output, or `--summary-json`)."""
    output = target if output is None else output
    if str(source) == "-" or str(output) == "-":
        raise JobError(
            "relabel reads and writes files (a run must be resumable); `-` (stdin/stdout) is "
            "not supported"
        )
    if not source.exists():
        raise JobError(f"input {source} does not exist")
    parts = checkpoint_directory(target)
    if _inside(source, parts):
        raise JobError(
            f"input {source} is inside {parts}, the checkpoint folder of this output, which "
            "relabel deletes when the job ends; move the input out of it"
        )
    real_source, real_target = source.resolve(), output.resolve()
    same = real_source == real_target or (output.exists() and os.path.samefile(source, output))
    if same:
        raise JobError(f"output {output} is the input {source}; choose another output path")
    if real_target.is_relative_to(real_source) or real_source.is_relative_to(real_target):
        raise JobError(f"output {output} and input {source} contain one another")
    check_writable(output, parts)
    if not real_target.parent.is_dir():
        raise JobError(f"output directory {output.parent} does not exist")


def check_writable(output: Path, parts: Path) -> None:
    """An output is built as a new file and renamed onto its path, so that path must be a
    regular file (or a directory, for `datasets`) or nothing: a symbolic link would be replaced
    by the file rather than written through (as root, an output of `/dev/stdout` replaced
    `/dev/stdout`), and so would a FIFO or a device. Nothing is written inside the checkpoint
    folder `parts`, which is deleted when the job ends."""
    try:
        mode = os.lstat(output).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise JobError(f"output {output} cannot be inspected: {error}") from None
    if mode is not None and stat.S_ISLNK(mode):
        raise JobError(
            f"output {output} is a symbolic link; relabel replaces a file and will not replace "
            "a link: give the path it points to, or another path"
        )
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise JobError(
            f"output {output} is {_kind(mode)}, not a regular file; relabel writes files only"
        )
    if _inside(output, parts):
        raise JobError(
            f"output {output} is inside {parts}, the checkpoint folder of this job, which "
            "relabel deletes when the job ends"
        )


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _inside(path: Path, folder: Path) -> bool:
    """`path` is `folder` or below it, as written or once links are followed."""
    written = Path(os.path.abspath(path)).is_relative_to(os.path.abspath(folder))
    return written or path.resolve().is_relative_to(folder.resolve())


def check_replaceable(target: Path, fmt: Format) -> None:
    """An existing output is replaced only by its own kind: a file by a file, a `datasets`
    directory by a `datasets` directory, never any other directory."""
    if not target.exists():
        return
    if target.is_dir() != (fmt == "hf"):
        kind = "a directory" if target.is_dir() else "a file"
        raise JobError(f"output {target} is {kind}; a {fmt} output cannot replace it")
    if target.is_dir() and not (target / "state.json").is_file():
        raise JobError(f"output {target} is a directory but not a `datasets` one; not replacing it")


def check_scorable(spec: RelabelSpec, settings: Settings) -> None:
    """Unknown verifier or recipe, or an ORM job without a model: an error before any work."""
    spec.kind.check(spec, settings)


def check_columns(spec: RelabelSpec, source: Source) -> None:
    """A mapped column absent from the input is an error, not a dataset of silent zeros."""
    present = source.columns()
    if present is None:
        sample = [r.data for r in islice(source.rows(), _SAMPLE_ROWS) if r.error is None]
        if not sample:
            return
        present = list(dict.fromkeys(name for data in sample for name in data))
    for names in spec.needed_columns():
        if not set(names) & set(present):
            wanted = " or ".join(repr(n) for n in names)
            raise JobError(
                f"column {wanted} is not in {source.path} (columns: {', '.join(present)}); "
                "name the right one with --map FIELD=COLUMN"
            )


def _manifest(spec: RelabelSpec, source: Source, total: int) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: the job and the exact input it read."""
    files = [source.path] if source.path.is_file() else sorted(source.path.rglob("*"))
    stats = [f.stat() for f in files if f.is_file()]
    return {
        "spec": json.loads(spec.model_dump_json()),
        "input": str(source.path.resolve()),
        "input_format": source.format,
        "input_bytes": sum(s.st_size for s in stats),
        "input_mtime_ns": max((s.st_mtime_ns for s in stats), default=0),
        "rows": total,
    }


def _score_missing(
    spec: RelabelSpec,
    settings: Settings,
    source: Source,
    checkpoint: Checkpoint,
    ray: RayOptions | None,
    sink: ChunkSink,
) -> None:
    if ray is None:
        pending = (c for c in iter_chunks(source, spec) if not checkpoint.done(c.index))
        _score_here(spec, settings, pending, sink)
        return
    from mmreward.jobs.ray_data import score_on_ray

    starts = source.chunk_starts(spec.chunk_rows)
    todo = {k: start for k, start in enumerate(starts) if not checkpoint.done(k)}
    score_on_ray(spec, settings, source, todo, ray, sink)


def _score_here(
    spec: RelabelSpec, settings: Settings, pending: Iterator[Chunk], sink: ChunkSink
) -> None:
    from mmreward.engine import Engine
    from mmreward.jobs.scoring import ChunkScorer

    engine = Engine(settings)
    try:
        scorer = ChunkScorer(spec, engine)
        for chunk in pending:
            sink(chunk.index, scorer.score(chunk.prepared, chunk.labels))
    finally:
        engine.close()


def _select(spec: RelabelSpec, source: Source, added: list[Columns]) -> list[bool]:
    """Adds `pass_rate` when rows are grouped; returns which rows the output keeps."""
    rewards = [float(c[spec.output]) for c in added]
    groups = None
    if spec.group_by is not None:
        groups = [group_key(row.data.get(spec.group_by)) for row in source.rows()]
        scored = [c[f"{spec.output}_status"] != "error" for c in added]
        for columns, rate in zip(
            added, pass_rates(groups, rewards, scored, spec.passing), strict=True
        ):
            columns[PASS_RATE] = rate
    return keep_rows(rewards, groups=groups, best_of=spec.keep_best_of, min_reward=spec.min_reward)


def _assemble(
    source: Source,
    fmt: Format,
    checkpoint: Checkpoint,
    target: Path,
    added: list[Columns],
    keep: list[bool],
) -> None:
    """Build the output beside the parts, then rename it onto the target in one step."""
    built = checkpoint.output_path(target.name)
    if built.is_dir() and not built.is_symlink():
        shutil.rmtree(built)
    else:  # a file left by a stopped run, or a link: written through otherwise
        built.unlink(missing_ok=True)
    if fmt == "jsonl":
        write_jsonl(built, source, added, keep)
    elif fmt == "parquet":
        write_parquet(built, source, added, keep)
    else:
        write_dataset(built, output_table(source, added, keep), source)
    if target.is_dir():
        old = checkpoint.output_path("replaced")
        os.replace(target, old)
        os.replace(built, target)
        shutil.rmtree(old)
    else:
        os.replace(built, target)
    fsync_dir(target.parent)
