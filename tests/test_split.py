"""The one keep-score-merge helper behind every per-item rule."""

import asyncio

from pydantic import BaseModel

from mmreward.errors import InvalidInputError
from mmreward.split import Split


class _Item(BaseModel):
    n: int


def _make(value: object) -> _Item:
    if value == "bad":
        raise InvalidInputError("bad item")
    return _Item.model_validate({"n": value})


def test_refused_entries_get_their_reason_in_place_and_the_rest_are_scored_once():
    calls = []

    def score(items: list[_Item]) -> list[str]:
        calls.append(items)
        return [f"scored {item.n}" for item in items]

    split = Split.made([1, "bad", 2, "x"], _make)
    assert split.items == [_Item(n=1), _Item(n=2)]
    assert split.refused[1] == "bad item"
    assert split.refused[3].startswith("n: ")  # a validation error names the field
    out = split.score(score, lambda reason: f"failed: {reason}")
    assert out[:3] == ["scored 1", "failed: bad item", "scored 2"]
    assert out[3].startswith("failed: n: ")
    assert calls == [[_Item(n=1), _Item(n=2)]]


def test_nothing_is_scored_when_every_item_is_refused():
    def score(items: list[int]) -> list[int]:
        raise AssertionError("called with nothing to score")

    split = Split.where([1, 2], lambda item: "no")
    assert split.score(score, lambda reason: -1) == [-1, -1]


def test_the_async_twin_merges_the_same_way():
    async def score(items: list[int]) -> list[int]:
        return [item * 10 for item in items]

    split = Split.where([1, 2, 3], lambda item: "even" if item % 2 == 0 else None)
    assert asyncio.run(split.ascore(score, lambda reason: 0)) == [10, 0, 30]
