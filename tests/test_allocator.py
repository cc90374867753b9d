"""Freed activation memory stays mapped after `retain_freed_memory` (glibc only)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import ctypes, resource, sys
import torch
from mmreward.allocator import retain_freed_memory
if sys.argv[1] == "retain":
    ok = retain_freed_memory()
else:  # glibc's documented defaults, held fixed: its adaptive thresholds vary run to run
    mallopt = ctypes.CDLL("libc.so.6").mallopt
    ok = bool(mallopt(-3, 128 << 10)) and bool(mallopt(-1, 128 << 10))
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def forward():  # activation buffers alive together, then all freed
    live = [torch.ones(1 << 20) for _ in range(4)]
    del live
for _ in range(2):
    forward()
before = faults()
for _ in range(3):
    forward()
print(ok, faults() - before)
"""


def _faults(mode: str) -> tuple[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True
    ).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_buffers_are_reused_without_page_faults() -> None:
    state, retained = _faults("retain")
    default_state, default = _faults("default")
    pages = 3 * 4 * (4 << 20) // 4096
    assert state == default_state == "True"
    assert default > pages // 2  # glibc hands big blocks back and faults them in again
    assert retained < pages // 4


IDEMPOTENT = """
from mmreward.allocator import retain_freed_memory
print(retain_freed_memory(), retain_freed_memory(), retain_freed_memory.cache_info().misses)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_thresholds_are_set_once_per_process_and_stay_in_force() -> None:
    out = subprocess.run(
        [sys.executable, "-c", IDEMPOTENT], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["True", "True", "1"]
