"""Checkpointed parts of a job: one file of reward columns per chunk, next to the output.

Part `k` holds the added columns of input rows `[k * chunk_rows, (k + 1) * chunk_rows)`. It is
written to a temporary name, fsynced and renamed, so a part either exists whole or not at all,
whatever stops the process (SIGINT, SIGKILL, power loss). A re-run with the same arguments
scores only the missing parts; the output is assembled from the input and the parts, so it is
the same bytes however many runs it took.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mmreward.jobs.formats import JobError

_MANIFEST = "job.json"
_LOCK = "lock"


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable: without it a power loss can undo the rename."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """`path` holds `data` or its old content, never a torn file.

    The temporary file is new (`O_EXCL`): a fixed name such as `path.tmp` would be opened
    through whatever link stood there."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def checkpoint_directory(target: Path) -> Path:
    """The parts directory of the job writing `target`: deleted when that job ends."""
    return target.parent / f".{target.name}.relabel"


class Checkpoint:
    """The parts directory of one job; its manifest ties it to the arguments and the input."""

    def __init__(self, target: Path, manifest: dict[str, Any]) -> None:
        self.directory = checkpoint_directory(target)
        self.manifest = manifest
        self._lock: int | None = None

    def open(self, *, restart: bool) -> None:
        """Create the directory, or reuse it when it belongs to the same job.

        A lock held for the run keeps a second run of the same job out; the kernel drops it
        when the process dies, however it dies, so a re-run can resume. A directory that is a
        symbolic link (or not a directory) is refused: `--restart` and the end of the job
        delete its files, which would be the files of wherever it points."""
        if self.directory.is_symlink() or (self.directory.exists() and not self.directory.is_dir()):
            kind = "a symbolic link" if self.directory.is_symlink() else "not a directory"
            raise JobError(
                f"checkpoint folder {self.directory} is {kind}; relabel deletes its files, so "
                "it must be a real directory: remove it and run again"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = os.open(
            self.directory / _LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644
        )
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            self._lock = None
            raise JobError(f"another run is writing {self.directory}; wait for it") from None
        if restart:
            for stale in self.directory.iterdir():
                if stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale)
                elif stale.name != _LOCK:
                    stale.unlink()  # a link itself, never what it points to
        path = self.directory / _MANIFEST
        if path.exists():
            found = json.loads(path.read_text())
            if found != self.manifest:
                self.release()
                raise JobError(
                    f"{self.directory} holds the checkpoint of another job (other arguments, or "
                    "the input changed); re-run with the same arguments, or pass --restart"
                )
            return
        write_atomic(path, json.dumps(self.manifest, sort_keys=True).encode())

    def _part(self, index: int) -> Path:
        return self.directory / f"part-{index:06d}.jsonl"

    def done(self, index: int) -> bool:
        return self._part(index).exists()

    def write(self, index: int, columns: list[dict[str, Any]]) -> None:
        lines = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in columns)
        write_atomic(self._part(index), lines.encode())

    def read(self, index: int) -> list[dict[str, Any]]:
        with self._part(index).open(encoding="utf-8") as lines:
            return [json.loads(line) for line in lines]

    def output_path(self, name: str) -> Path:
        """Where the output is assembled before its rename onto the target (same filesystem)."""
        return self.directory / f"output-{name}"

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
        self.release()

    def release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
