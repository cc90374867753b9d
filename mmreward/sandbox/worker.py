"""The sandbox worker: its process main loop, and the parent's handle on one worker.

Importing this module (the fork server does, once) loads sympy and the verifier modules whose
functions jobs name, so a forked worker starts ready to run its first item.
"""

from __future__ import annotations

import gc
import os
import resource
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

# Preloaded for every worker. `sympy.simplify` imports the units package on its first call
# (0.27 s of CPU): paid inside a fresh worker's first job, it counted against that item's
# fast-lane budget (0.25 s) and sent the item to the slow lane.
import sympy
import sympy.physics.units
import sympy.sets.setexpr  # noqa: F401

# Job functions live here (symbolic is what the math jobs import lazily).
import mmreward.verifiers.math
import mmreward.verifiers.symbolic  # noqa: F401

_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")


def serve(conn: Connection, memory_bytes: int) -> None:
    """Run jobs from `conn` until it closes; every job answers one message, whatever happens."""
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # What the fork server preloaded lives as long as the worker: a full collection would walk
    # it (and un-share its pages) for nothing.
    gc.freeze()
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        except Exception as error:  # a job that does not unpickle here
            conn.send(("failed", f"job did not load: {type(error).__name__}: {error}"))
            continue
        message: tuple[str, Any]
        try:
            message = ("done", job.run_inline())
        except MemoryError:
            message = ("memory", None)
        except Exception as error:
            message = ("failed", f"{type(error).__name__}: {error}")
        conn.send(message)


@dataclass(eq=False)
class Worker:
    """Parent-side state of one worker process."""

    process: BaseProcess
    conn: Connection
    ready: bool = False
    job: Any = None
    slow: bool = False
    """Running an item past the fast budget; such a worker is retired when the item ends."""
    started: float = 0.0
    cpu_at_start: float = 0.0
    slept: float = 0.0
    checked: float = 0.0
    spawned: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def _stat(self) -> list[bytes]:
        """The fields of /proc/<pid>/stat after the command name (empty when it is gone)."""
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as stat:
                return stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            return []

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (0 when it is already gone)."""
        fields = self._stat()
        return (int(fields[11]) + int(fields[12])) * _TICK_S if fields else 0.0

    def mark_start(self, now: float) -> None:
        self.started = self.checked = now
        self.cpu_at_start = self.cpu_seconds()
        self.slept = 0.0

    def job_cpu_seconds(self) -> float:
        return self.cpu_seconds() - self.cpu_at_start

    def job_slept_seconds(self, now: float) -> float:
        """Time the job spent asleep of its own accord (state S), sampled at each check: not
        computing, not waiting for a CPU, not waiting for the disk (state D), whose length is
        the machine's load, not the item's."""
        fields = self._stat()
        if fields and fields[0] == b"S":
            self.slept += now - self.checked
        self.checked = now
        return self.slept
