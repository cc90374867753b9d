"""The one check where items enter the engine: text, depth and size of every item."""

import asyncio
import threading

from mmreward import encodable
from mmreward.encodable import MAX_VALUES, EncodableSplit, unencodable_reason
from mmreward.items import VerifyItem


def test_paths_name_where_the_bad_text_sits():
    assert unencodable_reason({"a": [{"b": "x\ud800"}]}) == (
        "`a[0]['b']` is not valid Unicode: lone surrogate U+D800 at character 1"
    )
    assert unencodable_reason({"\udc00": 1}).startswith("` key` is not valid Unicode")
    assert unencodable_reason("ok \U0001f600") is None


def test_an_item_at_the_value_bound_is_kept_and_one_over_it_refused():
    # The item, its response, verifier, options, params, truncated and the reference list
    # itself are 7.
    at_bound = VerifyItem(response="x", reference=list(range(MAX_VALUES - 7)))
    over = VerifyItem(response="x", reference=list(range(MAX_VALUES - 6)))
    split = EncodableSplit([at_bound, over])
    assert split.items == [at_bound]
    assert split.refused == {
        1: f"`reference` holds more than {MAX_VALUES} values (strings, numbers, lists and objects)"
    }


def test_nested_values_count_toward_the_bound():
    rows = [[str(i), i, None] for i in range(MAX_VALUES // 4)]  # 4 values a row
    [reason] = EncodableSplit([VerifyItem(response="x", params={"table": rows})]).refused.values()
    assert reason.startswith("`params` holds more than")


def test_rows_outside_the_engine_have_no_value_bound():
    assert unencodable_reason({"input_ids": list(range(100_000))}) is None


def test_a_large_batch_is_walked_off_the_event_loop_with_the_same_result(monkeypatch):
    walkers: set[str] = set()
    visit = encodable._Walk.visit

    def recording(self, value, depth):
        walkers.add(threading.current_thread().name)
        return visit(self, value, depth)

    monkeypatch.setattr(encodable._Walk, "visit", recording)
    items = [VerifyItem(response="x", reference=list(range(5_000))) for _ in range(8)]
    items.append(VerifyItem(response="\ud800"))
    loop_thread = threading.current_thread().name
    split = asyncio.run(EncodableSplit.of(items))
    assert walkers - {loop_thread}, "the walk never left the event loop's thread"
    inline = EncodableSplit(items)
    assert split.items == inline.items
    assert split.refused == inline.refused == {8: inline.refused[8]}
    assert split.values == inline.values > encodable.INLINE_VALUES

    walkers.clear()
    small = asyncio.run(EncodableSplit.of(items[:1]))
    assert walkers == {threading.current_thread().name}
    assert small.items == items[:1]
