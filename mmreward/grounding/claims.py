"""What a response claims about an image: object mentions, counts, absences, boxes.

Pure functions over text. A mention is a vocabulary noun plus what precedes it: a quantifier
("two", "3", "a", "no", "only one", "a pair of"), colour and size adjectives, and a negation
("there aren't any circles", "without triangles", "no circles or squares"). Mentions become claims
per class (and colour): explicit numbers are exact counts, indefinite articles add up
("a red circle and a blue circle" claims at least two circles), negations claim absence.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mmreward.grounding.vocab import ANY_OBJECT, Vocabulary

MentionKind = Literal["exact", "absent", "indefinite", "present", "asked"]
Relation = Literal["==", ">="]
Box = tuple[float, float, float, float]

_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+(?:'[a-z]+)?|[^\sa-z\d]")
_NUMBER = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_BOX = re.compile(rf"\[\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*\]")

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "dozen": 12,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}  # fmt: skip
_INDEFINITE = {"a": 1, "an": 1, "another": 1}
_VAGUE = {"some": 1, "any": 1, "several": 2, "multiple": 2, "many": 2, "few": 2, "various": 2,
          "numerous": 2}  # fmt: skip
_DEFINITE = frozenset({"the", "this", "that", "these", "those", "each", "every", "all", "its",
                       "their", "both"})  # fmt: skip
_ABSENT = frozenset({"no", "zero", "none"})
_NEGATIONS = frozenset({"not", "no", "never", "without", "nor", "neither", "nothing", "none"})
_ADDITIVE = frozenset({"other", "more", "additional", "extra", "further", "else"})
_MODIFIERS = frozenset({
    "big", "bigger", "biggest", "small", "smaller", "smallest", "large", "larger", "largest",
    "tiny", "little", "huge", "medium", "sized", "size", "filled", "solid", "bright", "dark",
    "light", "pale", "deep", "single", "only", "exactly", "just", "precisely", "total",
    "identical", "similar", "different", "distinct", "separate", "equilateral", "isosceles",
    "upright", "regular", "perfect", "whole", "colored", "coloured", "saturated", "visible",
    "other", "more", "additional", "extra", "further", "individual", "plain", "flat", "simple",
})  # fmt: skip
_STOPS = frozenset({"and", "or", "but", "with", "than", "while", "whereas", "then", "plus",
                    "besides", "except"})  # fmt: skip


@dataclass(frozen=True)
class Mention:
    """One noun phrase naming a class; `count` is exact, a lower bound, or 0 for absence."""

    cls: str
    kind: MentionKind
    count: int
    colour: str | None
    text: str


@dataclass(frozen=True)
class Claim:
    """A checkable statement: the number of `cls` objects (of `colour`) `relation` `count`."""

    cls: str
    relation: Relation
    count: int
    colour: str | None = None
    text: str = ""

    def holds(self, observed: int) -> bool:
        return observed == self.count if self.relation == "==" else observed >= self.count

    def describe(self) -> str:
        noun = self.cls if self.cls != ANY_OBJECT else "objects"
        colour = f"{self.colour} " if self.colour else ""
        return f"{colour}{noun} {self.relation} {self.count}"


def answer_text(response: str) -> str:
    """Text inside the last `<answer>...</answer>` when present, else the whole response."""
    found = _ANSWER.findall(response)
    return found[-1] if found else response


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    lowered = text.lower().replace("-", " ")
    return [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(lowered)]


def parse_number(words: Sequence[str]) -> tuple[int, int] | None:
    """(value, words used) for a count at the start of `words`: "3", "three", "twenty one"."""
    if not words:
        return None
    first = words[0]
    if first.isdigit():
        return (int(first), 1) if len(first) <= 6 else None
    if first in _TENS:
        if len(words) > 1 and words[1] in _UNITS and _UNITS[words[1]] < 10:
            return _TENS[first] + _UNITS[words[1]], 2
        return _TENS[first], 1
    if first in _UNITS:
        return _UNITS[first], 1
    return None


def _number_ending_at(words: Sequence[str], end: int) -> tuple[int, int] | None:
    """(value, first index) of a number whose last word is `words[end]`."""
    if end >= 1:
        two = parse_number(words[end - 1 : end + 1])
        if two is not None and two[1] == 2:
            return two[0], end - 1
    one = parse_number(words[end : end + 1])
    return (one[0], end) if one is not None else None


def _count_after(words: Sequence[str], end: int) -> int | None:
    if end + 1 < len(words) and words[end] in (":", "="):
        if words[end + 1] in _ABSENT:
            return 0
        number = parse_number(words[end + 1 : end + 3])
        return number[0] if number is not None else None
    return None


def _is_negation(word: str) -> bool:
    return word in _NEGATIONS or word.endswith("n't")


def find_mentions(text: str, vocab: Vocabulary) -> list[Mention]:
    """Every vocabulary noun in `text`, with the quantifier, colour and negation in front of it."""
    tokens = _tokens(text)
    words = [t.text for t in tokens]
    spans: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words):
        for n in range(min(vocab.max_words, len(words) - i), 0, -1):
            form = " ".join(words[i : i + n])
            if form in vocab.forms:
                spans.append((i, i + n, vocab.forms[form]))
                i += n
                break
        else:
            i += 1
    # A noun right before another noun modifies it ("orange cat", "dog bed"): the last one counts.
    spans = [s for k, s in enumerate(spans) if k + 1 == len(spans) or spans[k + 1][0] != s[1]]

    mentions: list[Mention] = []
    previous_end, previous_negated = 0, False
    for start, end, cls in spans:
        mention = _read_phrase(words, start, cls, vocab, floor=previous_end - 1)
        if mention is None:
            previous_end, previous_negated = end, False
            continue
        kind, count, colour, first = mention
        # "circles: 3", "squares = none": a count written after the noun.
        stated = _count_after(words, end)
        if stated is not None and kind == "present":
            kind, count = ("exact", stated) if stated else ("absent", 0)
        # "no circles or squares": the negation carries over a bare coordinated noun.
        if (
            kind == "present"
            and previous_negated
            and first == start
            and start >= 1
            and words[start - 1] in ("or", "nor")
            and start - 1 == previous_end
        ):
            kind, count = "absent", 0
        text_span = text[tokens[first].start : tokens[end - 1].end]
        mentions.append(Mention(cls, kind, count, colour, text_span))
        previous_end, previous_negated = end, kind == "absent"
    return mentions


def _read_phrase(
    words: Sequence[str], start: int, cls: str, vocab: Vocabulary, *, floor: int
) -> tuple[MentionKind, int, str | None, int] | None:
    """Scan left from a noun over adjectives to its quantifier; None for "no other circles"."""
    colour: str | None = None
    additive = False
    j = start - 1
    while j > floor and j >= 0:
        word = words[j]
        if word in vocab.colours:
            colour = colour or vocab.colours[word]
        elif word in _ADDITIVE:
            additive = True
        elif word not in _MODIFIERS:
            break
        j -= 1
    first = j + 1
    if j <= floor or j < 0:
        return "present", 1, colour, first
    word = words[j]
    before = words[j - 1] if j >= 1 and j - 1 > floor else ""
    negated = before != "" and _is_negation(before)
    if word in ("many", "much") and before == "how":
        return "asked", 0, colour, j - 1
    number = _number_ending_at(words, j)
    if number is not None and (number[1] > floor):
        value, first = number
        before = words[first - 1] if first >= 1 and first - 1 > floor else ""
        if value == 0:
            return "absent", 0, colour, first
        if before in ("a", "an") and words[first] == "dozen":
            first -= 1
        if additive:
            return "indefinite", value, colour, first
        return "exact", value, colour, first
    if word in _ABSENT:
        return ("absent", 0, colour, j) if not additive else None
    if word == "of" and j >= 1:
        lead = words[j - 1]
        if lead in ("pair", "couple") and j - 1 > floor:
            exact = lead == "pair"
            return ("exact" if exact else "indefinite"), 2, colour, max(j - 2, floor + 1)
        if lead == "none":
            return "absent", 0, colour, j - 1
        return "present", 1, colour, first
    if word in _INDEFINITE:
        if negated:
            return ("absent", 0, colour, j - 1) if not additive else None
        return "indefinite", _INDEFINITE[word], colour, j
    if word in _VAGUE:
        if negated:
            return ("absent", 0, colour, j - 1) if not additive else None
        if word == "few" and before not in ("a", "quite"):
            return "present", 1, colour, j
        return "present", _VAGUE[word], colour, j
    if word in _DEFINITE:
        if before == "of" and j >= 2 and j - 2 > floor and words[j - 2] == "none":
            return "absent", 0, colour, j - 2
        if word == "both":
            return "exact", 2, colour, j
        return "present", 1, colour, j
    if _is_negation(word) and word not in _STOPS:
        return ("absent", 0, colour, j) if not additive else None
    return "present", 1, colour, first


def build_claims(mentions: Sequence[Mention], *, use_colours: bool) -> list[Claim]:
    """Turn mentions into claims, one per class (and colour) and kind of statement."""
    groups: dict[tuple[str, str | None], list[Mention]] = defaultdict(list)
    for m in mentions:
        if m.kind != "asked":
            groups[(m.cls, m.colour if use_colours else None)].append(m)

    claims: list[Claim] = []
    bounds: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for (cls, colour), group in groups.items():
        seen: set[tuple[Relation, int]] = set()
        exact = [m for m in group if m.kind in ("exact", "absent")]
        for m in exact:
            if ("==", m.count) not in seen:
                seen.add(("==", m.count))
                claims.append(Claim(cls, "==", m.count, colour, m.text))
        positive = [m for m in group if m.kind in ("indefinite", "present")]
        summed = sum(m.count for m in positive if m.kind == "indefinite")
        floor = max([summed, *(m.count for m in positive)], default=0)
        if positive and not any(m.kind == "exact" for m in exact):
            texts = "; ".join(dict.fromkeys(m.text for m in positive))
            claims.append(Claim(cls, ">=", max(1, floor), colour, texts))
        exact_total = max((m.count for m in exact if m.kind == "exact"), default=0)
        bounds[cls].append((max(exact_total, floor if positive else 0), colour is None))

    # "a red circle and a blue circle" also claims two circles in all.
    for cls, parts in bounds.items():
        if cls == ANY_OBJECT or len(parts) < 2:
            continue
        total = sum(b for b, _ in parts)
        exact_uncoloured = any(
            c.cls == cls and c.colour is None and c.relation == "==" for c in claims
        )
        if total > max(b for b, _ in parts) and not exact_uncoloured:
            claims.append(Claim(cls, ">=", total, None, f"{total} {cls} in all"))
    return claims


def parse_claims(response: str, vocab: Vocabulary) -> list[Claim]:
    """Claims of the answer part of a response."""
    return build_claims(
        find_mentions(answer_text(response), vocab), use_colours=vocab.check_colours
    )


def parse_count(
    response: str, vocab: Vocabulary, cls: str | None, colour: str | None = None
) -> int | None:
    """The count a response answers for `cls` (of `colour`); None: the first count it states.

    Counts given per colour add up ("2 red circles and 1 blue circle" answers 3 circles); a bare
    number ("3", "three") is the answer when the text states no count of any object.
    """
    text = answer_text(response)
    counted = [m for m in find_mentions(text, vocab) if m.kind in ("exact", "absent")]
    if counted:
        if cls is None:
            return counted[0].count
        of_class = [m for m in counted if m.cls == cls]
        for wanted in dict.fromkeys((colour, None)):
            for m in of_class:
                if m.colour == wanted:
                    return m.count
        if colour is not None:
            return None
        per_colour = {m.colour: m.count for m in reversed(of_class)}
        return sum(per_colour.values()) if per_colour else None
    words = [t.text for t in _tokens(text)]
    for i, word in enumerate(words):
        if word in ("no", "none", "zero") and (i + 1 == len(words) or not words[i + 1].isalpha()):
            return 0
        number = parse_number(words[i : i + 2])
        if number is not None:
            return number[0]
    return None


def question_target(question: str | None, vocab: Vocabulary) -> tuple[str | None, str | None]:
    """(class, colour) a question asks about: "How many red circles..." -> ("circle", "red")."""
    if not question:
        return None, None
    mentions = find_mentions(question, vocab)
    for m in mentions:
        if m.cls != ANY_OBJECT:
            return m.cls, m.colour
    if mentions:
        return ANY_OBJECT, mentions[0].colour
    words = [t.text for t in _tokens(question)]
    colour = next((vocab.colours[w] for w in words if w in vocab.colours), None)
    return None, colour


def parse_boxes(response: str, limit: int = 64) -> list[Box]:
    """Every `[x1, y1, x2, y2]` in the answer part, in order (at most `limit`)."""
    boxes: list[Box] = []
    for match in _BOX.finditer(answer_text(response)):
        values = tuple(float(v) for v in match.groups())
        if all(abs(v) < 1e7 for v in values):
            boxes.append((values[0], values[1], values[2], values[3]))
        if len(boxes) >= limit:
            break
    return boxes
