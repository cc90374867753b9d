"""Chart and VQA short answers, judged more carefully than ChartQA's relaxed accuracy.

The answer is the marked final answer (`\\boxed{}`, `<answer>`, "the answer is", "Answer:") after
the last `</think>`, else the whole response when it is short; a long unmarked response is
`no_answer` (we never pick a number out of reasoning). Then, against the reference:

- numbers (the reference is one number, maybe with sign, currency, scale word, `%` and a unit):
  relative tolerance `tolerance` (default 5%); units as the math verifier reads them
  (`units.py`): written on both sides, they convert (`180 minutes` for `3 hours`) or, for
  another dimension, currency or noun, never match (`12 kg` for `12 lb`); on one side only, the
  numbers are compared as written; a reference that is an integer in 1000-2100 (a
  year, usually) and a reference of 0 need an exact match; `45%` equals `45` and `0.45`; a scale
  word on one side only is matched with and without it (`1.2 million` vs a chart labelled in
  millions, `1.2`), scale words on both sides are compared as values (lower-case `m`/`b` are
  scales only after a currency: `£1.2m`, not `12m`); `a/b` is a fraction; `a:b` is a ratio, and
  a ratio reference needs an exact match, and `h:mm` is a time of day, never a ratio
  (`3:15 pm` is `15:15`, not `3:15 am`; `3:10` is not `9:30`); a number in words counts
  ("There are three bars.");
  an answer with several numbers is `no_answer`, except that years beside one other number are
  context ("In 2015 it was 45") unless the reference itself is a year, when the one year is the
  answer ("2019, with 45 units"); a bound ("more than 45", "at least 45") is not the value;
- text: case, articles, punctuation and spacing do not count; a yes/no reference reads the first
  word of the answer (`true`/`false` are yes/no), and "yes or no" is hedging; other names of one
  entity are the same answer ("USA" / "United States", "UK" / "Britain": `aliases.py`, a table in
  the package that the `aliases` param extends per item or recipe);
- a list reference (a JSON list, or a list) matches an unordered comma/"and"-separated answer
  with the same number of items, each matched under the rules above ("and" may also sit
  inside one item: "Serbia, Bosnia and Herzegovina");
- with (non-empty) `options`, the item is multiple choice and the `choice` verifier judges it.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from mmreward.errors import InvalidInputError
from mmreward.verifiers.aliases import Groups, parse_groups, same_entity
from mmreward.verifiers.choice import judge_choice
from mmreward.verifiers.extract import clean_answer, extract_final_answer
from mmreward.verifiers.quantity import AMBIGUOUS, Quantity, parse_quantity, parse_time
from mmreward.verifiers.text import CORRECTION, after_reasoning, normalize_text
from mmreward.verifiers.units import Mismatch, convert
from mmreward.verifiers.verdict import Verdict

DEFAULT_TOLERANCE = 0.05
SHORT_CHARS = 100
"""An unmarked response up to this long is read as the answer itself."""
MAX_LIST_ITEMS = 64
MAX_REFERENCE_CHARS = 10_000

_EXACT = 1e-9
# A comma splits items unless it is a thousands separator (a digit before, three digits after).
_ITEM_SEPARATOR = re.compile(r"((?<!\d),|,(?!\d{3}(?!\d))|;|&|\band\b|\n)")
_SOFT = frozenset({"and", "&"})
MAX_SOFT_SEPARATORS = 4
_YES_NO = frozenset({"yes", "no"})
_TRUTH_WORDS = {"true": "yes", "false": "no"}
"""A yes/no question answered "True"/"False" (FigureQA-style) is answered yes/no."""
_CORRECTED = re.compile(rf"\b(?:{CORRECTION})\b")


class _SeveralNumbers(Exception):
    """The answer names several numbers where one is expected."""


def verify_chart(
    response: str,
    reference: Any,
    *,
    options: list[str] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    aliases: Any = None,
    **params: Any,
) -> Verdict:
    """Judge a chart/VQA answer (see the module docstring for the rules)."""
    if params:
        raise InvalidInputError(f"unknown chart settings: {', '.join(sorted(params))}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float):
        raise InvalidInputError("tolerance must be a number")
    if not 0 <= tolerance < 1:
        raise InvalidInputError(f"tolerance must be in [0, 1) (got {tolerance})")
    if options:
        return judge_choice(response, reference, options).with_details(delegated_to="choice")
    extra = parse_groups(aliases) if aliases is not None else ()
    references = _reference_items(reference)
    if references is None:
        return Verdict.failed("unparsable_reference", "reference must be text, a number or a list")
    found = final_answer(response)
    if found is None:
        return Verdict.failed("no_answer", "no marked answer and the response is not short")
    answer, where = found
    try:
        if len(references) == 1:
            correct, how = _match_one(answer, references[0], tolerance, extra)
        else:
            correct, how = _match_list(answer, references, tolerance, extra)
    except _SeveralNumbers as error:
        return Verdict.failed("no_answer", str(error), extracted=answer, where=where)
    reason = how if correct else f"{how}: no match"
    return Verdict.judged(correct, answer, reason, where=where)


def final_answer(response: str) -> tuple[str, str] | None:
    """(answer, where it was found), or None for a long response with no marked answer."""
    text = after_reasoning(response)
    extraction = extract_final_answer(text)
    if extraction is not None and extraction.marked:
        return extraction.text, extraction.marker
    whole = clean_answer(text)
    if whole and len(whole) <= SHORT_CHARS:
        return whole, "whole_response"
    return None


def _reference_items(reference: Any) -> list[str] | None:
    """The reference as one or more answer strings; a JSON-list string is a list."""
    if isinstance(reference, bool) or reference is None:
        return None
    if isinstance(reference, int):
        return [str(reference)]
    if isinstance(reference, float):
        # Positional notation: `1e-09` would read as two numbers.
        return [format(Decimal(repr(reference)), "f")] if math.isfinite(reference) else None
    if isinstance(reference, str):
        text = reference.strip()
        if not text or len(text) > MAX_REFERENCE_CHARS:
            return None
        if text.startswith("[") and text.endswith("]"):
            try:
                reference = json.loads(text)
            except (ValueError, RecursionError):
                return [text]
        else:
            return [text]
    if isinstance(reference, list) and 0 < len(reference) <= MAX_LIST_ITEMS:
        if any(isinstance(item, list | dict) for item in reference):
            return None
        items = [_reference_items(item) for item in reference]
        if all(item is not None and len(item) == 1 for item in items):
            return [item[0] for item in items if item is not None]
    return None


def _match_one(
    answer: str, reference: str, tolerance: float, extra: Groups = ()
) -> tuple[bool, str]:
    time = parse_time(reference, strict=True)
    if isinstance(time, tuple):
        given = parse_time(answer, strict=False)
        if given is AMBIGUOUS:
            raise _SeveralNumbers("the answer holds several times")
        return given == time, "time"
    expected = parse_quantity(reference, strict=True)
    if isinstance(expected, Quantity):
        got = parse_quantity(
            answer,
            strict=False,
            years_are_context=not expected.year_like,
            year_wanted=expected.year_like,
        )
        if got is AMBIGUOUS:
            raise _SeveralNumbers("the answer holds several numbers")
        if not isinstance(got, Quantity):
            return False, "number expected"
        if got.bound:
            return False, "a bound (more than, at least, ...), not a value"
        if got.negated:
            return False, "a value ruled out (not 45), not the answer"
        return numbers_match(got, expected, tolerance), "number"
    said, wanted = normalize_text(answer), normalize_text(reference)
    wanted = _TRUTH_WORDS.get(wanted, wanted)
    if wanted in _YES_NO:
        corrected = _CORRECTED.split(said)
        if len(corrected) > 1 and _YES_NO.intersection(corrected[-1].split()[:2]):
            said = corrected[-1].strip()  # "Yes. Actually, no.": the last committed answer
        words = [_TRUTH_WORDS.get(word, word) for word in said.split(" ", 3)]
        hedged = len(words) > 2 and words[1] in ("and", "or") and words[2] in _YES_NO
        return words[0] == wanted and not hedged, "yes/no"
    # "North-East" and "north east" are one name: spacing left by punctuation does not count.
    said, wanted = said.replace(" ", ""), wanted.replace(" ", "")
    if said != wanted and same_entity(said, wanted, extra):
        return True, "alias"
    return said == wanted, "text"


def numbers_match(got: Quantity, expected: Quantity, tolerance: float) -> bool:
    """Equal within `tolerance` relative to the reference, under the readings listed above."""
    wanted = [expected.value]
    given = [got.value]
    if (expected.percent and got.unit is not None) or (got.percent and expected.unit is not None):
        return False  # `45 kg` is not `45%`
    if got.unit is not None and expected.unit is not None:
        conversion = convert(got.unit, expected.unit)
        if isinstance(conversion, Mismatch):
            return False
        scale, offset = float(conversion.scale), float(conversion.offset)
        given = [scale * got.value + offset]
        if conversion.offset:
            return abs(given[0] - expected.value) <= max(tolerance, _EXACT) * abs(expected.value)
    if expected.scale != 1.0 and got.scale == 1.0:
        wanted.append(expected.mantissa)
    if got.scale != 1.0 and expected.scale == 1.0:
        given.append(got.mantissa)
    if expected.percent and not got.percent:
        wanted += [value / 100 for value in wanted]
    if got.percent and not expected.percent:
        given += [value / 100 for value in given]
    allowed = _EXACT if expected.year_like or expected.ratio else max(tolerance, _EXACT)
    return any(abs(g - w) <= allowed * abs(w) for g in given for w in wanted)


def _match_list(
    answer: str, references: list[str], tolerance: float, extra: Groups
) -> tuple[bool, str]:
    """Unordered: a perfect matching between answer items and reference items.

    "and"/"&" may separate items or belong to one ("Bosnia and Herzegovina"): each way of
    reading them is tried while there are few of them, else every one separates.
    """

    @functools.cache
    def matches(part: str, ref: str) -> bool:
        try:
            return _match_one(part, ref, tolerance, extra)[0]
        except _SeveralNumbers:
            return False

    for parts in _list_readings(answer):
        if len(parts) != len(references):
            continue
        candidates = [
            [j for j, part in enumerate(parts) if matches(part, ref)] for ref in references
        ]
        if _perfect_matching(candidates, len(parts)):
            return True, f"list of {len(references)}"
    return False, f"list of {len(references)}"


def _list_readings(answer: str) -> Iterator[list[str]]:
    """The answer's items, first with every separator splitting, then with some "and"s kept."""
    tokens = _ITEM_SEPARATOR.split(answer)  # text, separator, text, ..., text
    soft = [i for i in range(1, len(tokens), 2) if tokens[i].strip().casefold() in _SOFT]
    if len(soft) > MAX_SOFT_SEPARATORS:
        soft = []
    for mask in range(1 << len(soft)):
        kept = {soft[k] for k in range(len(soft)) if mask >> k & 1}
        items, current = [], tokens[0]
        for i in range(1, len(tokens), 2):
            if i in kept:
                current += tokens[i] + tokens[i + 1]
            else:
                items.append(current)
                current = tokens[i + 1]
        items.append(current)
        cleaned = (clean_answer(item).strip("[]\"' ") for item in items)
        yield [item for item in cleaned if item]


def _perfect_matching(candidates: list[list[int]], size: int) -> bool:
    """Kuhn's augmenting paths; lists are at most MAX_LIST_ITEMS long."""
    owner = [-1] * size

    def assign(ref: int, seen: set[int]) -> bool:
        for part in candidates[ref]:
            if part in seen:
                continue
            seen.add(part)
            if owner[part] < 0 or assign(owner[part], seen):
                owner[part] = ref
                return True
        return False

    return all(assign(ref, set()) for ref in range(len(candidates)))
