"""Large JSON bodies are parsed in pieces that give the event loop back, to the same value."""

from __future__ import annotations

import asyncio
import json
import random

import pytest

from mmreward.service import json_body
from mmreward.service.json_body import TooManyMembers, parse_json

DOCUMENTS = [
    "{}",
    "[]",
    '{"a": []}',
    ' {"a" : [ 1 , 2 ] , "b": {"c": [{"d": 1}]}} ',
    '"x"',
    "1",
    "[1,[2,[3,[4]]]]",
    '{"items": [{"response": "\\ud800", "x": [1, {"y": null}]}], "a": true, "a": false}',
    '\n{"query": ["\\u00e9", "\\ud83d\\ude00"], "labels": [1.5e3, -0, null]}\n',
]
MALFORMED = [
    "",
    "{",
    '{"a":1,}',
    "[1,]",
    '{"a" 1}',
    "[1 2]",
    "{1: 2}",
    '{"a":1} x',
    "[",
    '{"a": [1, 2}',
    "nul",
    '{"a":[{"b":}]}',
    '{"a": [1] "b": 2}',
]


@pytest.fixture
def always_in_pieces(monkeypatch):
    monkeypatch.setattr(json_body, "INCREMENTAL_BYTES", 0)


def _random_value(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth < 5 and roll < 0.3:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if depth < 5 and roll < 0.6:
        return {rng.choice("abc"): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    return rng.choice([1, -2.5e3, 'q"\\\u00e9', None, True, False, "\ud800", 10**30])


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_same_value_as_json_loads(always_in_pieces, document):
    assert asyncio.run(parse_json(document.encode())) == json.loads(document)


def test_the_same_value_as_json_loads_on_random_documents(always_in_pieces):
    rng = random.Random(7)
    for _ in range(2000):
        text = json.dumps(
            _random_value(rng), indent=rng.choice([None, 1]), ensure_ascii=rng.random() < 0.5
        )
        body = text.encode("utf-8", "surrogatepass")
        assert asyncio.run(parse_json(body)) == json.loads(body), text


@pytest.mark.parametrize("document", MALFORMED)
def test_the_same_error_as_json_loads(always_in_pieces, document):
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(document)
    with pytest.raises(json.JSONDecodeError) as got:
        asyncio.run(parse_json(document.encode()))
    assert (got.value.msg, got.value.pos) == (expected.value.msg, expected.value.pos)


@pytest.mark.parametrize("incremental", [True, False])
@pytest.mark.parametrize(
    ("document", "in_list", "allowed"),
    [
        ({"items": [{}] * 11}, True, 11),
        ([1] * 11, True, 11),
        # The top-level object's members are fields: bounded apart from the items, never below
        # OBJECT_MEMBERS (a small max_items must not refuse a body for its few fields).
        ({f"k{i}": 1 for i in range(json_body.OBJECT_MEMBERS + 1)}, False, 65),
    ],
)
def test_more_members_than_allowed_end_the_parse(
    monkeypatch, incremental, document, in_list, allowed
):
    if incremental:
        monkeypatch.setattr(json_body, "INCREMENTAL_BYTES", 0)
    with pytest.raises(TooManyMembers) as refused:
        asyncio.run(parse_json(json.dumps(document).encode(), max_list=10))
    assert refused.value.in_list is in_list
    assert asyncio.run(parse_json(json.dumps(document).encode(), max_list=allowed)) == document


def test_a_16_mb_body_lets_other_tasks_run_while_it_is_parsed():
    """The attack: one 16 MB body held the event loop for its whole parse. Here other tasks run
    between its pieces (json.loads would let the ticker run 0 times during the parse)."""
    item = {"response": "x" * 15_000, "reference": list(range(100))}
    body = json.dumps({"items": [item] * 1024}).encode()
    assert len(body) > 15 << 20

    async def main() -> tuple[int, object]:
        ticks = 0
        parsing = True

        async def ticker() -> None:
            nonlocal ticks
            while parsing:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        ticks = 0
        value = await parse_json(body, max_list=1024)
        parsing = False
        await task
        return ticks, value

    ticks, value = asyncio.run(main())
    assert value == json.loads(body)
    assert ticks > 0
