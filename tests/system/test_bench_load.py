"""`bench/load.py`, short: the real server and Redis, hostile items, a worker SIGKILL and a Redis
outage mid-run. Asserts what must hold on any machine (every request answered, none >= 500,
hostile bodies refused with 4xx); latency is the benchmark's to print, not this test's."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "load.py"


@pytest.mark.slow
@pytest.mark.redis
def test_a_short_load_run_answers_every_request_through_the_faults(tmp_path):
    samples = tmp_path / "samples.jsonl"
    command = [sys.executable, str(BENCH), "--clients", "8", "--baseline-seconds", "2"]
    command += ["--seconds", "8", "--hostile", "0.3", "--samples", str(samples)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "SIGKILL sandbox worker" in run.stdout
    assert "Redis started again" in run.stdout

    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    phases = Counter(row["phase"] for row in rows)
    assert set(phases) == {"baseline", "hostile+faults"}
    assert all(row["status"] != 0 for row in rows), "a request went unanswered"
    assert all(row["status"] < 500 for row in rows), "a request got a 5xx"
    kinds = {row["kind"] for row in rows if row["phase"] == "hostile+faults"}
    assert {"verify", "runaway"} <= kinds
    for row in rows:
        # A surrogate and a 200,000-number reference are errors for their items: 200.
        answered = {"verify", "reward", "get_reward", "runaway", "surrogate"}
        if row["kind"] in answered | {"reference of 200,000 numbers"}:
            assert row["status"] == 200, row
        elif row["kind"] == "200,000 items (9 MB)":
            assert row["status"] == 422, row
        elif row["kind"] in {"17 MB body", "chunked 20 MB"}:
            assert row["status"] == 413, row
