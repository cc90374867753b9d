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

import sympy  # noqa: F401  (preloaded for every worker)

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
    delay_at_start: float = 0.0
    spawned: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (0 when it is already gone)."""
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) * _TICK_S

    def run_delay_seconds(self) -> float:
        """Seconds the process spent runnable but waiting for a CPU (0 where not reported)."""
        try:
            with open(f"/proc/{self.pid}/schedstat", "rb") as stat:
                return int(stat.read().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            return 0.0

    def mark_start(self, now: float) -> None:
        self.started = now
        self.cpu_at_start = self.cpu_seconds()
        self.delay_at_start = self.run_delay_seconds()

    def job_cpu_seconds(self) -> float:
        return self.cpu_seconds() - self.cpu_at_start

    def job_own_seconds(self, now: float) -> float:
        """Wall-clock time of the job less the time it waited for a CPU: computing or sleeping
        on its own account, whatever the machine's load."""
        return now - self.started - (self.run_delay_seconds() - self.delay_at_start)
