import json
import threading

import pytest
import redis

from mmreward.engine import Engine
from mmreward.jobs import RelabelQueue, RelabelSpec, StreamWorker, relabel_file
from mmreward.jobs.records import item_from_record
from mmreward.settings import Settings

RECORDS = [
    {"id": 1, "response": "\\boxed{\\frac{3}{4}}", "reference": "0.75"},
    {"id": 2, "response": "the answer is 5", "reference": "6"},
    {"id": 3, "response": "no idea", "reference": "6"},
    {"id": 4, "reference": "1"},
]


@pytest.fixture(scope="module")
def engine():
    engine = Engine(Settings(sandbox_workers=1, cache_size=0))
    yield engine
    engine.close()


def _write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def _check(target):
    out = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["id"] for r in out] == [1, 2, 3, 4]
    assert [r["reward"] for r in out] == [1.0, 0.0, 0.0, 0.0]
    assert [r["reward_verdict"]["status"] for r in out] == ["ok", "ok", "no_answer", "no_answer"]
    assert out[0]["response"] == RECORDS[0]["response"]


def test_item_from_record_uses_the_spec_columns():
    spec = RelabelSpec(verifier="chart", response_field="pred", reference_field="gt")
    item = item_from_record({"pred": "12", "gt": "12", "options": "not a list"}, spec)
    assert (item.verifier, item.response, item.reference, item.options) == (
        "chart",
        "12",
        "12",
        None,
    )


def test_relabel_in_process(tmp_path, engine):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(source, RECORDS)
    stats = relabel_file(engine.verify_batch, source, target, RelabelSpec(), chunk_size=3)
    assert stats.records == 4
    assert stats.by_status == {"ok": 2, "no_answer": 2}
    _check(target)


def test_relabel_through_redis_stream_workers(tmp_path, engine, redis_url):
    stream = "mmreward:test:relabel"
    redis.Redis.from_url(redis_url).delete(stream)
    stop = threading.Event()
    workers = [
        StreamWorker(redis_url, engine.verify_batch, stream=stream, name=f"w{i}") for i in range(2)
    ]
    threads = [threading.Thread(target=w.run, args=(stop,)) for w in workers]
    for thread in threads:
        thread.start()
    try:
        queue = RelabelQueue(redis_url, stream=stream, batch_size=1, timeout_s=60)
        source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
        _write(source, RECORDS)
        relabel_file(queue.judge, source, target, RelabelSpec(), progress=False)
        _check(target)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)


def test_abandoned_batch_is_taken_over(redis_url, engine):
    stream = "mmreward:test:claim"
    client = redis.Redis.from_url(redis_url)
    client.delete(stream)
    queue = RelabelQueue(redis_url, stream=stream, timeout_s=30)
    items = [item_from_record(r, RelabelSpec()) for r in RECORDS[:2]]
    batch = queue.submit(items)
    crashed = StreamWorker(redis_url, engine.verify_batch, stream=stream, name="crashed")
    assert crashed._next(block_ms=100) is not None  # read, then "dies" without acking
    rescuer = StreamWorker(
        redis_url, engine.verify_batch, stream=stream, name="rescuer", claim_idle_ms=0
    )
    assert rescuer.run(max_batches=1) == 1
    assert [v.correct for v in queue.collect(batch)] == [True, False]
    assert client.xpending(stream, "mmreward-workers")["pending"] == 0
