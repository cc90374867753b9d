"""Module-level jobs for the sandbox tests (spawned workers import them by name)."""

from __future__ import annotations

import os
import time

from mmreward.verifiers.verdict import Verdict


def answer(value: int) -> Verdict:
    return Verdict.judged(value == 42, str(value), "compared")


def sleep_for(seconds: float) -> Verdict:
    time.sleep(seconds)
    return Verdict.judged(True, None, "woke up")


def allocate(megabytes: int) -> Verdict:
    block = bytearray(megabytes << 20)
    return Verdict.judged(True, str(len(block)), "allocated")


def die() -> Verdict:
    os._exit(3)


def pid() -> Verdict:
    return Verdict.judged(True, str(os.getpid()), "pid")


def spin(seconds: float) -> Verdict:
    """Burn CPU (not sleep) for `seconds` of wall-clock time."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return Verdict.judged(True, None, "spun")


def spin_forever(tag: str) -> Verdict:
    """A runaway item; `tag` makes distinct jobs."""
    while True:
        pass


def report_pid_and_spin(path: str) -> Verdict:
    with open(path, "w") as out:
        out.write(str(os.getpid()))
    return spin_forever(path)
