"""A relabel run SIGKILLed mid-way and run again writes the same bytes as an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

ROWS = 12_000
CHUNK = 300


def _command(source, target, summary) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mmreward.cli",
        "relabel",
        str(source),
        str(target),
        "--verifier",
        "math",
        "--map",
        "response=completion",
        "reference=answer",
        "--chunk-rows",
        str(CHUNK),
        "--sandbox-workers",
        "1",
        "--cache-size",
        "0",
        "--no-progress",
        "--summary-json",
        str(summary),
    ]


@pytest.mark.slow
def test_sigkill_then_rerun_gives_the_uninterrupted_output(tmp_path):
    source = tmp_path / "in.jsonl"
    with source.open("w") as out:
        for i in range(ROWS):
            answer = f"\\frac{{{i}}}{{{i % 7 + 1}}}"
            reference = str(i / (i % 7 + 1)) if i % 5 else str(i + 1)
            row = {"id": i, "completion": f"Thus \\boxed{{{answer}}}", "answer": reference}
            out.write(json.dumps(row) + "\n")

    whole = tmp_path / "whole.jsonl"
    subprocess.run(_command(source, whole, tmp_path / "s0.json"), check=True, timeout=600)

    target, summary = tmp_path / "out.jsonl", tmp_path / "s1.json"
    parts = tmp_path / ".out.jsonl.relabel"
    # A new session: the kill takes the sandbox workers too, as a power loss would.
    run = subprocess.Popen(_command(source, target, summary), start_new_session=True)
    deadline = time.monotonic() + 300
    while len(list(parts.glob("part-*.jsonl"))) < 3:
        assert run.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    done = len(list(parts.glob("part-*.jsonl")))
    assert 3 <= done < ROWS // CHUNK
    assert not target.exists()

    subprocess.run(_command(source, target, summary), check=True, timeout=600)
    assert target.read_bytes() == whole.read_bytes()
    assert json.loads(summary.read_text())["chunks_resumed"] >= done
    assert not parts.exists()
