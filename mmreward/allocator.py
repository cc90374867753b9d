"""Keep freed memory inside the process, so CPU forwards stop page-faulting their activations.

glibc serves blocks over 128 KiB with ``mmap`` and returns them, and any free memory at the top
of the heap, to the kernel as soon as they are freed. A forward pass on CPU frees and allocates
the same activation buffers layer after layer, so every forward faults its pages in again:
measured here, ~4,700 minor page faults per 2,048-token PRM forward, a quarter of its time.
Raising the mmap and trim thresholds keeps those pages mapped (the behaviour jemalloc and
tcmalloc give, which PyTorch's CPU tuning guide recommends preloading) at the price of holding
the process's peak heap until exit. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
"""glibc's ceiling for the mmap threshold on 64-bit: blocks below it come from the heap."""
TRIM_THRESHOLD = 1 << 30
"""Free heap top kept rather than returned to the kernel."""


@functools.cache
def retain_freed_memory() -> bool:
    """Set glibc's thresholds once per process; whether they are in force."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
    except OSError:
        mallopt = None
    if mallopt is None:
        log.info("no glibc mallopt: freed memory goes back to the system as usual")
        return False
    ok = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    if not ok:
        log.warning("mallopt refused the allocator thresholds; CPU forwards will page-fault")
    return ok


@functools.cache
def _malloc_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


def return_freed_memory() -> None:
    """Give the kernel back the free heap memory of every arena, now.

    `retain_freed_memory` keeps up to `TRIM_THRESHOLD` free; after decoding images that is the
    decoded pixels of a request (PIL allocates them in heap blocks under the mmap threshold),
    which 40 image bombs made 4.9 GB held for good. Called after each batch of images; the
    next forward pays its page faults once. Elsewhere than glibc this does nothing.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
