"""What a response claims about an image: object mentions, counts, absences, boxes.

Pure functions over text. A mention is a vocabulary noun plus what precedes it: a quantifier
("two", "3", "a", "no", "only one", "a pair of"), colour and size adjectives, and a negation
("there aren't any circles", "without triangles", "no circles or squares"). Mentions become claims
per class (and colour): explicit numbers are exact counts, indefinite articles add up
("a red circle and a blue circle" claims at least two circles), negations claim absence.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mmreward.grounding.vocab import ANY_OBJECT, Vocabulary, outside_forms
from mmreward.verifiers.quantity import NUMBER_WORDS
from mmreward.verifiers.units import singular

MentionKind = Literal["exact", "absent", "indefinite", "present", "at_most", "more", "asked"]
Relation = Literal["==", ">=", "<="]
Box = tuple[float, float, float, float]

_ANSWER_OPEN = re.compile(r"<answer>", re.IGNORECASE)
_ANSWER_CLOSE = re.compile(r"</answer>", re.IGNORECASE)
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+(?:'[a-z]+)?|[^\sa-z\d]")
_NUMBER = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_N = rf"\s*({_NUMBER})\s*"
# `[x1, y1, x2, y2]`, `(x1, y1, x2, y2)`, and Qwen-VL's corner pairs `(x1,y1),(x2,y2)`.
_BOX = re.compile(
    rf"\[{_N},{_N},{_N},{_N}\]|\({_N},{_N},{_N},{_N}\)|\({_N},{_N}\)\s*(?:,|to|-)?\s*\({_N},{_N}\)"
)

_NUMBERS = {**NUMBER_WORDS, "dozen": 12}
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
_SENTENCE_ENDS = frozenset({".", "!", "?", ";"})
_BOUNDARIES = _STOPS | _SENTENCE_ENDS | {",", ":", "(", ")"}
_NEGATION_REACH = 4
"""Words between a negation and the quantifier it governs: "doesn't contain any squares"."""
_PREPOSITIONS = frozenset({"to", "of", "from", "in", "on", "at", "by", "near", "next", "beside",
                           "above", "below", "under", "over", "behind", "like"})  # fmt: skip
"""A negation before these is about a relation, not the object: "not next to a square"."""
_STATED = frozenset({":", "=", "is", "are", "was", "were", "equals"})
_COUNT_NOUNS = frozenset({"number", "count", "total"})
_PAIRED_NOUNS = frozenset({"skis", "scissors", "glasses", "pants", "trousers", "jeans", "shorts",
                           "binoculars", "headphones"})  # fmt: skip
"""Nouns one object of which is "a pair of ..." (COCO labels a pair of skis once)."""
_MARKUP = frozenset({"*", "_", "`"})


@dataclass(frozen=True)
class Mention:
    """One noun phrase naming a class; `count` is exact, a lower bound, or 0 for absence."""

    cls: str
    kind: MentionKind
    count: int
    colour: str | None
    text: str
    noun: str = ""
    refers_back: bool = False
    """A definite count ("the two men", "both circles") restates, it adds no new objects."""


@dataclass(frozen=True)
class Claim:
    """A checkable statement: the number of `cls` objects (of `colour`) `relation` `count`."""

    cls: str
    relation: Relation
    count: int
    colour: str | None = None
    text: str = ""

    def holds(self, observed: int) -> bool:
        if self.relation == "<=":
            return observed <= self.count
        return observed == self.count if self.relation == "==" else observed >= self.count

    def describe(self) -> str:
        noun = self.cls if self.cls != ANY_OBJECT else "objects"
        colour = f"{self.colour} " if self.colour else ""
        return f"{colour}{noun} {self.relation} {self.count}"


MAX_ANSWER_CHARS = 16384
"""Longer answers are refused: claim parsing costs ~10 us a character, and captions are short."""


def answer_text(response: str) -> str:
    """Text inside the last `<answer>...</answer>` when present, else the whole response.

    Two linear scans for the tags: one lazy regex over a response full of `<answer>` tags is
    quadratic.
    """
    close = _last(_ANSWER_CLOSE, response, len(response))
    start = _last(_ANSWER_OPEN, response, close.start()) if close is not None else None
    return response[start.end() : close.start()] if start and close else response


def _last(tag: re.Pattern[str], text: str, before: int) -> re.Match[str] | None:
    last = deque(tag.finditer(text, 0, before), maxlen=1)
    return last.pop() if last else None


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
    value = _NUMBERS.get(first)
    if value is None:
        return None
    following = _NUMBERS.get(words[1], 10) if len(words) > 1 else 10
    return (value + following, 2) if value >= 20 and following < 10 else (value, 1)


def _number_ending_at(words: Sequence[str], end: int) -> tuple[int, int] | None:
    """(value, first index) of a number whose last word is `words[end]`."""
    if end >= 1:
        two = parse_number(words[end - 1 : end + 1])
        if two is not None and two[1] == 2:
            return two[0], end - 1
    one = parse_number(words[end : end + 1])
    return (one[0], end) if one is not None else None


def _count_after(
    words: Sequence[str], start: int, end: int, vocab: Vocabulary, starts: set[int]
) -> int | None:
    """A count written after the noun: "circles: 3", "circle x2", "the number of circles is 3".

    None when the number opens the next phrase ("Objects: 2 circles" counts circles, not objects).
    """
    k = _skip(words, end, _MARKUP)
    if k >= len(words):
        return None
    link = words[k]
    counted_noun = start >= 2 and words[start - 1] == "of" and words[start - 2] in _COUNT_NOUNS
    if not (link in (":", "=", "x", "×") or (link in _STATED and counted_noun)):
        return None
    k = _skip(words, k + 1, _MARKUP)
    if k < len(words) and words[k] in _ABSENT and link not in ("x", "×"):
        return 0
    number = parse_number(words[k : k + 2])
    if number is None:
        return None
    after = k + number[1]
    while after < len(words) and (words[after] in vocab.colours or words[after] in _MODIFIERS):
        after += 1
    return None if after in starts else number[0]


def _skip(words: Sequence[str], k: int, skipped: frozenset[str]) -> int:
    while k < len(words) and words[k] in skipped:
        k += 1
    return k


def _is_negation(word: str) -> bool:
    return word in _NEGATIONS or word.endswith("n't")


def _negated_within(words: Sequence[str], j: int, floor: int) -> bool:
    """A negation at most a few words before index `j` (inclusive), in the same clause."""
    for k in range(j, max(floor, j - _NEGATION_REACH, -1), -1):
        if words[k] in _BOUNDARIES or words[k] in _PREPOSITIONS:
            return False
        if _is_negation(words[k]):
            return True
    return False


def _in_questions(text: str, tokens: Sequence[_Token]) -> list[bool]:
    """Per token: whether its sentence ends with "?" (an echoed question claims nothing)."""
    flags = [False] * len(tokens)
    begin = 0
    for k, token in enumerate(tokens):
        last = k + 1 == len(tokens)
        ends = token.text in _SENTENCE_ENDS or last or "\n" in text[token.end : tokens[k + 1].start]
        if ends:
            if token.text == "?":
                flags[begin : k + 1] = [True] * (k + 1 - begin)
            begin = k + 1
    return flags


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
    starts = {s[0] for s in spans}
    asked = _in_questions(text, tokens)

    mentions: list[Mention] = []
    previous_end, previous_negated = 0, False
    for start, end, cls in spans:
        phrase = _read_phrase(words, start, end, cls, vocab, floor=previous_end - 1)
        if phrase is None:
            previous_end, previous_negated = end, False
            continue
        kind, count, colour, first = phrase.kind, phrase.count, phrase.colour, phrase.first
        stated = _count_after(words, start, end, vocab, starts)
        label = _skip(words, end, _MARKUP)
        if stated is None and kind == "present" and first == start and words[label:][:1] == [":"]:
            # A label ("Objects: 2 circles, 1 square") heads the claims, it is not one.
            previous_end, previous_negated = end, False
            continue
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
        if asked[start]:
            kind = "asked"
        text_span = text[tokens[first].start : tokens[end - 1].end]
        noun = " ".join(words[start:end])
        mentions.append(Mention(cls, kind, count, colour, text_span, noun, phrase.refers_back))
        previous_end, previous_negated = end, kind == "absent"
    return mentions


@dataclass(frozen=True, slots=True)
class Phrase:
    """What the words before a noun say: the kind of mention, its count and colour, where the
    phrase starts (`first`, a word index) and whether a definite count refers back."""

    kind: MentionKind
    count: int
    colour: str | None
    first: int
    refers_back: bool = False


def _bound(words: Sequence[str], first: int, value: int, floor: int) -> Phrase | None:
    """Comparatives in front of a number: "at least 2", "no more than 3", "fewer than 4"."""
    w3, w2, w1 = (
        words[k] if k > floor and k >= 0 else "" for k in (first - 3, first - 2, first - 1)
    )
    if (w2, w1) == ("at", "least"):
        return Phrase("present", value, None, first - 2)
    if (w2, w1) in (("at", "most"), ("up", "to")):
        return Phrase("at_most", value, None, first - 2)
    if w1 == "than" and w2 in ("more", "greater"):
        if w3 in ("no", "not"):
            return Phrase("at_most", value, None, first - 3)
        return Phrase("present", value + 1, None, first - 2)
    if w1 == "than" and w2 in ("fewer", "less"):
        if w3 in ("no", "not"):
            return Phrase("present", value, None, first - 3)
        return Phrase("at_most", value - 1, None, first - 2) if value > 1 else None
    if w1 == "over":
        return Phrase("present", value + 1, None, first - 1)
    return None


def _read_phrase(
    words: Sequence[str], start: int, end: int, cls: str, vocab: Vocabulary, *, floor: int
) -> Phrase | None:
    """Scan left from a noun over adjectives to its quantifier; None for "no other circles"."""
    colour: str | None = None
    additive = single = False
    j = start - 1
    while j > floor and j >= 0:
        word = words[j]
        if word in vocab.colours:
            colour = colour or vocab.colours[word]
        elif word in _ADDITIVE:
            additive = True
        elif word not in _MODIFIERS:
            break
        single = single or word in ("single", "only", "sole")
        j -= 1
    first = j + 1
    generic = cls == ANY_OBJECT
    if j <= floor or j < 0:
        return Phrase("present", 1, colour, first)
    word = words[j]
    before = words[j - 1] if j >= 1 and j - 1 > floor else ""
    negated = before != "" and _is_negation(before)
    if word in ("many", "much") and before == "how":
        return Phrase("asked", 0, colour, j - 1)
    if word in ("x", "×") and before.isdigit() and len(before) <= 6:
        return Phrase("exact", int(before), colour, j - 1)  # "2x circle", "3 × triangle"
    number = _number_ending_at(words, j)
    if number is not None and (number[1] > floor):
        value, first = number
        before = words[first - 1] if first >= 1 and first - 1 > floor else ""
        if value == 0:
            return Phrase("absent", 0, colour, first)
        bound = _bound(words, first, value, floor)
        if bound is not None:
            kind = "absent" if bound.count == 0 else bound.kind
            return Phrase(kind, bound.count, colour, bound.first)
        if before in ("a", "an") and words[first] == "dozen":
            first -= 1
        if additive:
            return Phrase("more", value, colour, first)
        return Phrase("exact", value, colour, first, before in _DEFINITE)
    if word in _ABSENT:
        if additive:
            return Phrase("more", 0, colour, j) if generic else None
        return Phrase("absent", 0, colour, j)
    if word == "of" and j >= 1:
        lead = words[j - 1]
        if lead in ("pair", "pairs", "couple") and j - 1 > floor:
            # "a pair of squares" is two squares, "a pair of skis" one pair of skis.
            per = 1 if lead != "couple" and " ".join(words[start:end]) in _PAIRED_NOUNS else 2
            number = _number_ending_at(words, j - 2) if j - 2 > floor and j >= 2 else None
            if number is not None and number[1] > floor:
                return Phrase("exact", number[0] * per, colour, number[1])
            if lead == "pairs":
                return Phrase("present", 2 * per, colour, j - 1)
            pair: MentionKind = "indefinite" if per == 1 else "exact"
            return Phrase(pair, per, colour, max(j - 2, floor + 1))
        if lead == "none":
            return Phrase("absent", 0, colour, j - 1)
        return Phrase("present", 1, colour, first)
    if word in _INDEFINITE:
        if negated or _negated_within(words, j - 1, floor):
            return Phrase("absent", 0, colour, j - 1) if not additive else None
        if generic and (additive or word == "another"):
            return Phrase("more", 1, colour, j)
        if single or before == "only":
            return Phrase("exact", 1, colour, j)  # "a single square", "only a circle"
        return Phrase("indefinite", _INDEFINITE[word], colour, j)
    if word in _VAGUE:
        if negated or (word == "any" and _negated_within(words, j - 1, floor)):
            return Phrase("absent", 0, colour, j - 1) if not additive else None
        if word == "few" and before not in ("a", "quite"):
            return Phrase("present", 1, colour, j)
        return Phrase("present", _VAGUE[word], colour, j)
    if word in _DEFINITE:
        if before == "of" and j >= 2 and j - 2 > floor and words[j - 2] == "none":
            return Phrase("absent", 0, colour, j - 2)
        if word == "both":
            return Phrase("exact", 2, colour, j, True)
        if word == "the" and single:
            return Phrase("exact", 1, colour, j)  # "the only shape is a circle"
        return Phrase("present", 1, colour, j)
    if _is_negation(word) and word not in _STOPS:
        return Phrase("absent", 0, colour, j) if not additive else None
    if _negated_within(words, j, floor) and not additive:
        return Phrase("absent", 0, colour, j)  # "I don't see triangles"
    return Phrase("present", 1, colour, first)


def build_claims(mentions: Sequence[Mention], *, use_colours: bool) -> list[Claim]:
    """Turn mentions into claims, one per class (and colour) and kind of statement."""
    groups: dict[tuple[str, str | None], list[Mention]] = defaultdict(list)
    for m in mentions:
        if m.kind != "asked" and not (m.cls == ANY_OBJECT and m.kind == "more"):
            groups[(m.cls, m.colour if use_colours else None)].append(m)

    claims: list[Claim] = []
    bounds: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for (cls, colour), group in groups.items():
        out: list[Claim] = []
        exact = [m for m in group if m.kind == "exact"]
        positive = [m for m in group if m.kind in ("indefinite", "present", "more")]
        # Counts of differently named parts of one class add up: "two men and three women",
        # "two black dogs and a white dog". A restated count ("the two men") adds nothing.
        parts: dict[tuple[str | None, str], int] = {}
        for m in exact:
            if not m.refers_back:
                key = (m.colour, m.noun)
                parts[key] = max(parts.get(key, 0), m.count)
        extra = sum(
            m.count
            for m in positive
            if m.kind == "more" or (m.kind == "indefinite" and (m.colour, m.noun) not in parts)
        )
        for m in group:
            if m.kind == "absent":
                out.append(Claim(cls, "==", 0, colour, m.text))
        summed = sum(m.count for m in positive if m.kind in ("indefinite", "more"))
        floor = max([summed, *(m.count for m in positive)], default=0)
        exact_total = max((m.count for m in exact), default=0)
        if parts and (len(parts) > 1 or extra):
            exact_total = sum(parts.values()) + extra
            texts = "; ".join(m.text for m in group if m.kind != "absent")
            out.append(Claim(cls, ">=", exact_total, colour, texts))
        else:
            for m in exact:
                out.append(Claim(cls, "==", m.count, colour, m.text))
            if positive and not exact:
                texts = "; ".join(dict.fromkeys(m.text for m in positive))
                out.append(Claim(cls, ">=", max(1, floor), colour, texts))
        for m in group:
            if m.kind == "at_most":
                out.append(Claim(cls, "<=", m.count, colour, m.text))
        # One claim per statement: a restated count is checked once.
        unique: dict[tuple[Relation, int], Claim] = {}
        for c in out:
            unique.setdefault((c.relation, c.count), c)
        claims.extend(unique.values())
        bounds[cls].append((max(exact_total, floor if positive else 0), colour is None))

    # "a red circle and a blue circle" also claims two circles in all.
    for cls, parts_of in bounds.items():
        if cls == ANY_OBJECT or len(parts_of) < 2:
            continue
        total = sum(b for b, _ in parts_of)
        exact_uncoloured = any(
            c.cls == cls and c.colour is None and c.relation == "==" for c in claims
        )
        if total > max(b for b, _ in parts_of) and not exact_uncoloured:
            claims.append(Claim(cls, ">=", total, None, f"{total} {cls} in all"))
    claims.extend(_other_objects(mentions, bounds))
    return claims


def _other_objects(
    mentions: Sequence[Mention], bounds: dict[str, list[tuple[int, bool]]]
) -> list[Claim]:
    """Objects in all for "one circle and two other shapes" (three) or "and no other shapes"."""
    more = [m for m in mentions if m.cls == ANY_OBJECT and m.kind == "more"]
    if not more:
        return []
    named = [m for m in mentions if m.cls != ANY_OBJECT and m.kind != "asked"]
    known = all(m.kind in ("exact", "absent", "indefinite") for m in named)
    total = sum(m.count for m in more)
    for cls, parts in bounds.items():
        if cls != ANY_OBJECT:
            whole = max((b for b, uncoloured in parts if uncoloured), default=0)
            total += max(whole, sum(b for b, uncoloured in parts if not uncoloured))
    if not known and total == 0:
        return []
    text = "; ".join(m.text for m in more)
    return [Claim(ANY_OBJECT, "==" if known else ">=", total, None, text)]


def parse_claims(response: str, vocab: Vocabulary) -> list[Claim]:
    """Claims of the answer part of a response."""
    return build_claims(
        find_mentions(answer_text(response), vocab), use_colours=vocab.check_colours
    )


_NOT_OBJECTS = frozenset({
    "background", "image", "picture", "photo", "scene", "canvas", "color", "colour", "shade",
    "tone", "hue", "area", "region", "side", "corner", "part", "center", "centre", "edge",
    "border", "top", "bottom", "left", "right", "middle", "one", "ones", "outline", "fill",
    "light", "shadow", "space", "half", "section", "portion", "tint", "shape", "shapes",
})  # fmt: skip
"""Words after a colour adjective that are not objects ("a white background", "the red one")."""


_KNOWN = "\0known"


def unverifiable_claims(response: str, vocab: Vocabulary) -> list[Claim]:
    """Claims about objects `vocab` cannot see: object nouns outside it (a shapes detector and
    "a dog"), and any noun a colour adjective picks out ("a purple zorb"). Read with the same
    grammar as `parse_claims`, so "no dogs" is an absence and "two dogs" a count."""
    text = answer_text(response)
    forms = dict(outside_forms(vocab))
    words = [t.text for t in _tokens(text)]
    for word, following in itertools.pairwise(words):
        if word in vocab.colours and following.isalpha() and len(following) > 2:
            known = following in vocab.forms or following in vocab.colours
            ignored = following in _NOT_OBJECTS or following in _MODIFIERS or following in _STOPS
            if not (known or ignored or following in _PREPOSITIONS or following in _NUMBERS):
                forms.setdefault(following, singular(following))
    # The detector's own nouns are read too, so "a square table" (a COCO table) or "a dog bed"
    # is one object, named by its last noun, as `find_mentions` reads noun pairs.
    own = {form: _KNOWN for form in vocab.forms}
    combined = Vocabulary(classes=(), forms={**own, **forms})
    mentions = [m for m in find_mentions(text, combined) if m.cls != _KNOWN]
    return build_claims(mentions, use_colours=False)


def parse_count(
    response: str, vocab: Vocabulary, cls: str | None, colour: str | None = None
) -> int | None:
    """The count a response answers for `cls` (of `colour`); None: the first count it states.

    Counts given per colour add up ("2 red circles and 1 blue circle" answers 3 circles); a bare
    number ("3", "three") is the answer when the text states no count of any object.
    """
    text = answer_text(response)
    mentions = find_mentions(text, vocab)
    counted = [m for m in mentions if m.kind in ("exact", "absent")]
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
        if per_colour:
            return sum(per_colour.values())
    # "There is a circle." answers one circle.
    single = [
        m.count
        for m in mentions
        if m.cls == cls and m.kind == "indefinite" and colour in (None, m.colour)
    ]
    if single:
        return sum(single)
    if counted:
        return None
    words = [t.text for t in _tokens(text)]
    for i, word in enumerate(words):
        if word in ("no", "none", "zero") and (i + 1 == len(words) or not words[i + 1].isalpha()):
            return 0
        number = parse_number(words[i : i + 2])
        if number is not None:
            return number[0]
    return None


def question_classes(question: str | None, vocab: Vocabulary) -> list[str]:
    """Every class a question names ("How many circles or squares?" -> circle, square)."""
    if not question:
        return []
    found = [m.cls for m in find_mentions(question, vocab) if m.cls != ANY_OBJECT]
    return list(dict.fromkeys(found))


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
    """Every box in the answer part, in order (at most `limit`): `[x1, y1, x2, y2]`,
    `(x1, y1, x2, y2)` or Qwen-VL's `(x1,y1),(x2,y2)`; coordinates kept as written."""
    boxes: list[Box] = []
    for match in _BOX.finditer(answer_text(response)):
        values = tuple(float(v) for v in match.groups() if v is not None)
        if all(abs(v) < 1e7 for v in values):
            boxes.append((values[0], values[1], values[2], values[3]))
        if len(boxes) >= limit:
            break
    return boxes
