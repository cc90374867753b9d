"""A relabel run stopped mid-way (SIGKILL, or Ctrl-C's SIGINT) and run again writes the same
bytes as an uninterrupted run.

Where the run is when the signal comes does not depend on timing: one row of chunk
`BLOCKING_CHUNK` needs sympy for as long as the sandbox lets it run, and the first run lets it
run for an hour of CPU, so that run is still scoring that chunk, with exactly the chunks before
it written, whenever the signal arrives. The other runs use the default CPU budget, where that
row is a `timeout` like any other runaway (the CPU budget is an engine setting, not part of the
job: a rerun with another one resumes the same job).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

ROWS = 8_000
CHUNK = 250
BLOCKING_CHUNK = 3
RUNAWAY = "Thus \\boxed{\\sum_{k=1}^{\\infty} \\frac{\\sin(k)}{k^{2}+\\ln(3 k)}}"


def _command(source, target, summary, *settings: str) -> list[str]:
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
        *settings,
    ]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The input and the output of a run that nothing stopped."""
    root = tmp_path_factory.mktemp("whole")
    source = root / "in.jsonl"
    with source.open("w") as out:
        for i in range(ROWS):
            answer = f"\\frac{{{i}}}{{{i % 7 + 1}}}"
            reference = str(i / (i % 7 + 1)) if i % 5 else str(i + 1)
            row = {"id": i, "completion": f"Thus \\boxed{{{answer}}}", "answer": reference}
            if i == BLOCKING_CHUNK * CHUNK + 7:
                row = {"id": i, "completion": RUNAWAY, "answer": "0.2"}
            out.write(json.dumps(row) + "\n")
    whole = root / "whole.jsonl"
    subprocess.run(_command(source, whole, root / "summary.json"), check=True, timeout=600)
    return source, whole.read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["sigkill", "sigint"])
def test_stop_then_rerun_gives_the_uninterrupted_output(tmp_path, uninterrupted, stop):
    source, whole = uninterrupted

    target, summary = tmp_path / "out.jsonl", tmp_path / "s1.json"
    parts = tmp_path / ".out.jsonl.relabel"
    # A new session: the signal reaches the sandbox workers too, as a power loss or a Ctrl-C
    # in a terminal would.
    blocked = _command(source, target, summary, "--sandbox-timeout-s", "3600")
    run = subprocess.Popen(blocked, start_new_session=True, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300  # a hang guard: the run cannot get past the blocking row
    while len(list(parts.glob("part-*.jsonl"))) < BLOCKING_CHUNK:
        assert run.poll() is None, run.communicate()[1].decode()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(run.pid, stop)
    _, err = run.communicate(timeout=60)
    if stop == signal.SIGINT:
        assert run.returncode == 130
        assert b"run the same command again to continue" in err
    else:
        assert run.returncode == -signal.SIGKILL
    done = len(list(parts.glob("part-*.jsonl")))
    assert done == BLOCKING_CHUNK
    assert not target.exists()

    subprocess.run(_command(source, target, summary), check=True, timeout=600)
    assert target.read_bytes() == whole
    assert json.loads(summary.read_text())["chunks_resumed"] >= done
    assert not parts.exists()
