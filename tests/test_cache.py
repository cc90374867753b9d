import subprocess
import sys

import pytest
import redis
from pydantic import ValidationError

from mmreward.cache import MemoryCache, RedisCache, cache_key
from mmreward.engine import Engine
from mmreward.items import VerifyItem
from mmreward.sandbox import Sandbox
from mmreward.settings import Settings
from mmreward.verifiers import Verdict


def test_key_depends_on_every_field():
    base = VerifyItem(verifier="math", response="1", reference="1")
    variants = [
        base.model_copy(update={"verifier": "chart"}),
        base.model_copy(update={"response": "2"}),
        base.model_copy(update={"reference": "2"}),
        base.model_copy(update={"options": ["1"]}),
        base.model_copy(update={"params": {"tolerance": 0.1}}),
    ]
    keys = {cache_key(v) for v in variants}
    assert len(keys) == len(variants)
    assert cache_key(base) not in keys
    assert cache_key(base) == cache_key(VerifyItem(verifier="math", response="1", reference="1"))


def test_memory_cache_evicts_least_recently_used():
    cache = MemoryCache(max_entries=2)
    a, b, c = (Verdict.judged(True, x, "r") for x in "abc")
    cache.set_many({"a": a, "b": b})
    assert cache.get_many(["a"]) == [a]
    cache.set_many({"c": c})
    assert cache.get_many(["a", "b", "c"]) == [a, None, c]


def test_redis_cache_round_trips_verdicts(redis_url):
    cache = RedisCache(redis_url)
    verdict = Verdict.judged(False, "3", "numeric mismatch", expected="4")
    cache.set_many({"mmreward:test:1": verdict})
    assert cache.get_many(["mmreward:test:1", "mmreward:test:missing"]) == [verdict, None]
    assert redis.Redis.from_url(redis_url).ttl("mmreward:test:1") > 0


def test_unreachable_redis_degrades_to_misses():
    cache = RedisCache("redis://127.0.0.1:1/0")
    cache.set_many({"k": Verdict.judged(True, "1", "r")})
    assert cache.get_many(["k"]) == [None]
    assert cache.ping() is False


def test_engine_shares_verdicts_through_redis(redis_url):
    sandbox = Sandbox(workers=1)
    try:
        settings = Settings(redis_url=redis_url)
        first, second = Engine(settings, sandbox=sandbox), Engine(settings, sandbox=sandbox)
        item = VerifyItem(response="\\boxed{\\sqrt{2}/2}", reference="\\frac{1}{\\sqrt{2}}")
        [verdict] = first.verify([item])
        assert verdict.correct is True
        assert redis.Redis.from_url(redis_url).exists(cache_key(item))
        assert second.cache is not None
        assert second.cache.get_many([cache_key(item)]) == [verdict]
        assert second.verify([item]) == [verdict]
    finally:
        sandbox.close()


def test_a_cached_verdict_cannot_be_changed_by_any_caller():
    cache = MemoryCache(max_entries=4)
    cache.set_many({"k": Verdict.judged(True, "1", "r", found=["1"])})
    first, second = cache.get_many(["k", "k"])
    assert first == second
    assert first is not second
    with pytest.raises(TypeError):
        first.details["found"] = ["2"]
    with pytest.raises(ValidationError):
        first.reward = 0.0
    first.details["found"].append("2")  # a nested value of one copy...
    assert cache.get_many(["k"])[0].details["found"] == ["1"]  # ...is not the cache's


def test_engine_verdicts_are_immutable_and_cache_hits_equal_misses():
    with Engine(Settings(sandbox_workers=1)) as engine:
        item = VerifyItem(verifier="math", response="\\boxed{3}", reference="3")
        [miss] = engine.verify([item])
        [hit] = engine.verify([item])
        assert hit == miss
        with pytest.raises(TypeError):
            miss.details.clear()
        assert engine.verify([item]) == [miss]


def test_choice_delegation_marks_a_new_verdict_not_a_shared_one():
    with Engine(Settings(sandbox_workers=1, cache_size=0)) as engine:
        item = VerifyItem(verifier="math", response="(B)", reference="B", options=["x", "y"])
        verdicts = engine.verify([item, item])
        assert [v.details["delegated_to"] for v in verdicts] == ["choice", "choice"]


def test_an_over_long_response_keeps_its_tail_and_says_how_much_went():
    with Engine(Settings(sandbox_workers=1, max_response_chars=40)) as engine:
        response = "x" * 100 + " so the answer is \\boxed{4}"
        [verdict] = engine.verify([VerifyItem(response=response, reference="4")])
        assert verdict.correct is True
        assert verdict.details["clipped_chars"] == len(response) - 40
        [short] = engine.verify([VerifyItem(response="\\boxed{4}", reference="4")])
        assert "clipped_chars" not in short.details


def test_the_default_in_process_cache_never_reads_as_an_outage():
    """`mmreward_cache_up 0` means Redis is unreachable; a fresh process on the default
    in-process cache (or none) reports 1 and names its backend."""
    script = """
from prometheus_client import generate_latest
from mmreward.engine import Engine
from mmreward.settings import Settings
import sys
with Engine(Settings(sandbox_workers=1, cache_size=int(sys.argv[1]))):
    print(generate_latest().decode())
"""
    for size, backend in (("100", "memory"), ("0", "off")):
        done = subprocess.run(
            [sys.executable, "-c", script, size], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
        lines = done.stdout.splitlines()
        assert "mmreward_cache_up 1.0" in lines
        assert f'mmreward_cache_backend{{backend="{backend}"}} 1.0' in lines
