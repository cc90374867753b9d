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
