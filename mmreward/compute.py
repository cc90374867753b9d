"""The threads an engine's models run on: one lane per core, each lane torch-single-threaded.

A small model's batched forward on CPU uses two intra-op threads at ~80% efficiency (every op
forks and joins an OpenMP team), and every thread that owns a team slows the others (see
`mmreward.batching.in_fresh_thread`). Lanes avoid both: each runs torch with one thread, and a
model that tolerates concurrent forwards (a transformers PRM/ORM in eager mode; the detector,
with one copy of its weights per lane) runs one batch per lane at once. Measured on 2 cores:
1,000 PRM items in 1.13 s on two lanes against 1.35 s on one thread with two intra-op threads.
A model that must not run concurrently (a compiled graph, anything on CUDA) uses one lane.

torch's thread count is per thread, but setting it also sets the count that threads started
later take. Lanes put that back, so the rest of the process (a training loop beside an
in-process client) keeps its threads.
"""

from __future__ import annotations

import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from mmreward.batching import in_fresh_thread

_pin_lock = threading.Lock()


@functools.cache
def resolve_device(device: str) -> str:
    """The one place `auto` is decided: the first CUDA device when there is one, else the CPU.

    The engine resolves its setting once, and every model and the lane count follow the answer.
    """
    if device != "auto":
        return device
    import torch

    return "cuda:0" if torch.cuda.is_available() else "cpu"


def on_cuda(device: str) -> bool:
    return device.startswith("cuda")


def usable_cores() -> int:
    """Cores this process may run on (its affinity mask, where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def threads_for_new_threads() -> int:
    """torch's intra-op thread count that a thread started now would take."""
    import torch

    return in_fresh_thread(torch.get_num_threads)


def pin_this_thread(threads: int, new_thread_default: int | None = None) -> None:
    """Give the calling thread ``threads`` torch threads, leaving later threads' default as it
    was (or at ``new_thread_default``, when something else changed it in between)."""
    import torch

    with _pin_lock:
        default = new_thread_default or threads_for_new_threads()
        torch.set_num_threads(threads)
        # A thread takes its count from the process default on its first parallel op: run one
        # now, while the default is ours, so the restore below cannot reach this thread.
        torch.ones(1 << 20).sum()
        in_fresh_thread(lambda: torch.set_num_threads(default))


class ComputeLanes(ThreadPoolExecutor):
    """``lanes`` worker threads; with more than one, each runs torch single-threaded."""

    def __init__(self, lanes: int | None = None) -> None:
        count = lanes or usable_cores()
        if count < 1:
            raise ValueError("lanes must be positive")
        super().__init__(
            count,
            thread_name_prefix="mmreward-lane",
            initializer=self._single_threaded if count > 1 else None,
        )
        self.lanes = count

    @staticmethod
    def _single_threaded() -> None:
        pin_this_thread(1)


def lanes_of(compute: object, concurrent: bool) -> int:
    """How many batches a model may run at once on ``compute``."""
    if concurrent and isinstance(compute, ComputeLanes):
        return compute.lanes
    return 1
