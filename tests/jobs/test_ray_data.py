"""The relabel job on a real local Ray cluster, with one actor's worker process SIGKILLed."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import psutil
import pytest

from mmreward.jobs import RayOptions, RelabelSpec, relabel
from mmreward.settings import Settings

ROWS = 20_000
CHUNK = 500
SPEC = RelabelSpec(columns={"response": "completion", "reference": "answer"}, chunk_rows=CHUNK)
SETTINGS = Settings(sandbox_workers=1, cache_size=0)


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield ray
    ray.shutdown()


def _actor_processes() -> list[psutil.Process]:
    """Ray Data's map actors among this test's own descendants (the cluster it started)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "MapWorker" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            continue
    return found


def _kill_one_actor_after_first_part(parts, state: dict) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        written = len(list(parts.glob("part-*.jsonl")))
        actors = _actor_processes()
        if written >= 1 and actors:
            state["parts_at_kill"] = written
            state["killed"] = actors[0].pid
            os.kill(actors[0].pid, signal.SIGKILL)
            return
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning:ray")
def test_a_killed_ray_worker_loses_and_duplicates_no_rows(tmp_path, ray_cluster):
    source = tmp_path / "in.jsonl"
    with source.open("w") as out:
        for i in range(ROWS):
            reference = str(i) if i % 4 else str(i + 1)
            row = {"id": i, "completion": f"so \\boxed{{{i}}}", "answer": reference}
            out.write(json.dumps(row) + "\n")
    here = tmp_path / "local.jsonl"
    relabel(SPEC, source, here, settings=SETTINGS, progress=False)

    target = tmp_path / "ray.jsonl"
    state: dict = {}
    killer = threading.Thread(
        target=_kill_one_actor_after_first_part, args=(tmp_path / ".ray.jsonl.relabel", state)
    )
    killer.start()
    options = RayOptions(actors=2, num_cpus=0.5)
    summary = relabel(SPEC, source, target, settings=SETTINGS, ray=options, progress=False)
    killer.join(timeout=60)

    assert "killed" in state, "no actor was killed"
    assert state["parts_at_kill"] < ROWS // CHUNK, "the job had finished before the kill"
    assert not psutil.pid_exists(state["killed"]) or psutil.Process(state["killed"]).status() == (
        psutil.STATUS_ZOMBIE
    )
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["id"] for r in rows] == list(range(ROWS))
    assert target.read_bytes() == here.read_bytes()
    assert summary.rows == ROWS
    assert summary.by_status == {"ok": ROWS}


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning:ray")
def test_ray_reads_parquet_row_groups_into_the_same_chunks_as_a_local_run(tmp_path, ray_cluster):
    """Chunks of 10 rows over row groups of 7: most chunks span two groups."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        {"id": i, "completion": f"\\boxed{{{i}}}", "answer": str(i if i % 3 else -i)}
        for i in range(55)
    ]
    source = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), source, row_group_size=7)
    spec = SPEC.model_copy(update={"chunk_rows": 10})
    here, there = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    relabel(spec, source, here, settings=SETTINGS, progress=False)
    options = RayOptions(actors=2, num_cpus=0.5)
    relabel(spec, source, there, settings=SETTINGS, ray=options, progress=False)
    assert there.read_bytes() == here.read_bytes()
    assert [json.loads(line)["id"] for line in there.read_text().splitlines()] == list(range(55))
