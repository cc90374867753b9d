"""Multiple choice: which option did the response pick, by letter or by the option's text?

Where the answer is read, strongest first (after the last `</think>` when there is one):
1. every `\\boxed{}`: they must all name the same choice, else the response hedged;
2. otherwise the marked answer of `extract_final_answer` (`<answer>`, "the answer is", "Answer:");
3. otherwise the whole response when it is short, or its last line when that is short;
4. otherwise a first line that is nothing but a letter ("B" followed by an explanation).
A letter counts as `(C)`, `[C]`, `C.`, `C)`, `C:`, a bare capital `C` standing alone, or
`Option C` (and "(C)" or "I choose C" anywhere in a short last line); an article ("A triangle
has...") is not a letter, and "not A but B" chooses B. Without a letter, the option whose text
the answer names is the choice, then the one numeric option whose value it states exactly
(`5/4` for `1.25`, `0.5` for `50%`). "A or B" is hedging (reward 0); an answer naming no
option is `no_answer`. We never guess an option.

Options are a list (labels such as `"B. 15"` that match their position are dropped) or a
mapping from letters to texts; the reference is a letter, an option's text, the labelled
option, or an integer 0-based index (ScienceQA, A-OKVQA).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mmreward.errors import InvalidInputError
from mmreward.verifiers.extract import clean_answer, extract_final_answer, last_boxed
from mmreward.verifiers.quantity import Quantity, parse_quantity
from mmreward.verifiers.text import (
    CORRECTION,
    after_reasoning,
    normalize_text,
    strip_latex_wrappers,
)
from mmreward.verifiers.verdict import Verdict

Options = list[str] | Mapping[str, str]
LETTERS = string.ascii_uppercase
SHORT_CHARS = 80
"""An unmarked response (or last line) up to this long is read as the answer itself."""
MAX_BOXES = 16

_LEAD_IN = re.compile(
    r"(?i:(?:the\s+)?(?:correct\s+|final\s+|best\s+)?(?:option|choice|answer)\s*(?:is\s*)?[:\-]?\s*)"
)
_TOKEN = r"(?:[(\[][A-Za-z][)\]]|[A-Z])"
_LETTER_LIST = re.compile(rf"{_TOKEN}(?:\s*(?:,|/|&|\bor\b|\band\b)\s*{_TOKEN})+[.\s]*")
_LIST_LETTER = re.compile(r"[(\[]([A-Za-z])[)\]]|([A-Z])")
_BRACKETED = re.compile(r"[(\[]([A-Za-z])[)\]]")
_BARE = re.compile(r"([A-Z])(?:\s*$|[.):,](?:\s|$)|\s+(?:is\b|[-–(]))")
_LONE_LOWER = re.compile(r"([a-z])\.?\s*")
_LONE_LETTER = re.compile(r"[(\[]?([A-Z])[)\]]?[.:]?")
_EXPLICIT_ANYWHERE = re.compile(
    r"[(\[]([A-Z])[)\]]|\b(?i:option|choice|choose|pick|select|go with)\s+([A-Z])\b"
)
# "not A but B", "not (A), but rather (B)": the rejected letter is no choice.
_NOT_BUT = re.compile(
    rf"\b(?i:not)\s+(?i:option\s+|choice\s+)?{_TOKEN}[.,;]?\s+(?i:but)\s+(?i:rather\s+)?"
)
_OPTION_PREFIX = re.compile(r"\s*[(\[]?([A-Za-z])[)\].:]\s+")
# Commitment: corrections and negations around the letters a span names.
_CORRECTION = re.compile(
    rf"(?i:\b(?:{CORRECTION}|rather|instead|but|however|so|therefore|thus|hence|final(?:ly)?|"
    r"in\s+the\s+end|now)\b|;)"
)
_NEGATION_WORDS = (
    r"not|never|n't|no|isn't|cannot|can't|rule\s+out|ruled\s+out|eliminate|exclude|reject|"
    r"except|neither|nor"
)
_CUE = re.compile(
    rf"(?i:\b(?:{_NEGATION_WORDS}|either|neither|wrong|incorrect|false)\b|n't\b)"
    rf"|{_CORRECTION.pattern}"
)
_NEGATION_BEFORE = re.compile(
    rf"(?i:(?:\b(?:{_NEGATION_WORDS})|n't)\s+(?:(?:the\s+)?(?:answer|option|choice)\s+)?"
    r"(?:(?:is|be|was)\s+)?)$"
)
_NEGATION_AFTER = re.compile(
    r"(?i:\s*(?:is|are|was|seems|looks)\s+(?:not\b|wrong|incorrect|false|impossible|out\b))"
)
_MENTION = re.compile(
    r"[(\[]([A-J])[)\]]"
    r"|\b(?i:option|choice)\s+\(?([A-Ja-j])\)?(?![\w'])"
    r"|(?<![\w'’-])([A-J])(?=\s*$|\s*[.,;:!?)](?!\w)|\s+(?i:is|or|and|no|nor|but|seems|looks|"
    r"would|could|should|must|was|then|instead|rather|because|since)\b)"
)


@dataclass(frozen=True)
class Reading:
    """What the response chose: one letter, several (hedged), or nothing found."""

    letters: tuple[str, ...]
    text: str
    how: str
    where: str


def verify_choice(
    response: str, reference: Any, *, options: Options | None = None, **params: Any
) -> Verdict:
    """Judge a multiple-choice response; `reference` is a letter, one option's text, or (an
    integer) a 0-based option index as ScienceQA and A-OKVQA store it."""
    if params:
        raise InvalidInputError(f"choice takes no settings (got {', '.join(sorted(params))})")
    return judge_choice(response, reference, options)


def judge_choice(response: str, reference: Any, options: Options | None) -> Verdict:
    """`verify_choice` without the registry's calling convention, for verifiers that delegate."""
    texts = option_texts(options)
    reference_letter = _reference_letter(reference, texts)
    if reference_letter is None:
        known = f"a letter A-{LETTERS[len(texts) - 1]} or an option's text" if texts else "a letter"
        return Verdict.failed("unparsable_reference", f"reference must be {known}")
    reading = read_choice(response, texts)
    if reading is None:
        return Verdict.failed("no_answer", "no choice found in the response")
    if not reading.letters:
        return Verdict.failed("no_answer", "the only choice named is ruled out", text=reading.text)
    details = {"how": reading.how, "where": reading.where, "reference_choice": reference_letter}
    if len(reading.letters) > 1:
        picked = ", ".join(reading.letters)
        return Verdict.judged(False, reading.text, f"hedged between {picked}", **details)
    letter = reading.letters[0]
    if texts is not None and LETTERS.index(letter) >= len(texts):
        return Verdict.judged(False, letter, f"{letter} is not one of the {len(texts)} options")
    correct = letter == reference_letter
    reason = f"chose {letter}" + ("" if correct else f", reference is {reference_letter}")
    return Verdict.judged(correct, letter, reason, **details)


def option_texts(options: Options | None) -> list[str] | None:
    """Options without a leading label that matches their position (`"B. Paris"` -> `Paris`).

    A mapping from letters to texts (`{"A": "Paris", "B": "London"}`) is read in letter order.
    """
    if options is None:
        return None
    if not options:
        raise InvalidInputError("options must not be empty (leave them out for letters only)")
    if isinstance(options, Mapping):
        options = _lettered(options)
    if len(options) > len(LETTERS):
        raise InvalidInputError(f"at most {len(LETTERS)} options (got {len(options)})")
    texts = []
    for letter, option in zip(LETTERS, options, strict=False):
        label = _OPTION_PREFIX.match(option)
        if label is not None and label.group(1).upper() == letter:
            option = option[label.end() :]
        texts.append(option.strip())
    return texts


def _lettered(options: Mapping[str, str]) -> list[str]:
    letters = [str(key).strip().strip("().").upper() for key in options]
    if letters != list(LETTERS[: len(letters)]):
        raise InvalidInputError("option keys must be the letters A, B, C, ... in order")
    return [str(text) for text in options.values()]


def read_choice(response: str, texts: list[str] | None) -> Reading | None:
    """The choice the response names in its final-answer position (see the module docstring)."""
    text = after_reasoning(response)
    boxes = _boxed_readings(text, texts)
    if boxes is not None:
        return _agreeing(boxes)
    extraction = extract_final_answer(text)
    if extraction is not None and extraction.marked:
        reading = _read_span(extraction.text, texts, extraction.marker)
        if reading is not None:
            return reading
    whole = clean_answer(text)
    if len(whole) <= SHORT_CHARS:
        return _read_span(whole, texts, "whole_response") or _explicit_letter(whole)
    last_line = clean_answer(text.rstrip().rsplit("\n", 1)[-1])
    if len(last_line) <= SHORT_CHARS:
        reading = _read_span(last_line, texts, "last_line") or _explicit_letter(last_line)
        if reading is not None:
            return reading
    first_line = clean_answer(text.lstrip().split("\n", 1)[0])
    letter = _LONE_LETTER.fullmatch(strip_latex_wrappers(first_line).strip("*").strip())
    if letter is not None:
        return Reading((letter.group(1).upper(),), first_line, "letter", "first_line")
    return None


def _boxed_readings(text: str, texts: list[str] | None) -> list[Reading] | None:
    """What each box names (last box first); None when the text has no box at all."""
    readings: list[Reading] = []
    end = len(text)
    for count in range(MAX_BOXES):
        box = last_boxed(text[:end])
        if box is None:
            return readings if count else None
        reading = _read_span(box.text, texts, "boxed")
        if reading is not None:
            readings.append(reading)
        end = box.start - 1
    return readings


def _agreeing(readings: list[Reading]) -> Reading | None:
    """Boxes naming different choices are hedging; boxes naming none leave no answer."""
    if not readings:
        return None
    letters = tuple(sorted({letter for reading in readings for letter in reading.letters}))
    if len(letters) > 1:
        shown = " | ".join(reading.text for reading in reversed(readings))
        return Reading(letters, shown, "letter", "boxed")
    return readings[0]


def _read_span(span: str, texts: list[str] | None, where: str) -> Reading | None:
    """A letter (or a hedged list of letters) at the start of `span`, else an option's text."""
    span = strip_latex_wrappers(span).strip().strip("*'\"`").strip()
    lead = _LEAD_IN.match(span)
    body = span[lead.end() :] if lead is not None else span
    committed = _committed(body, span, where)
    if committed is not None:
        return committed
    rejected = _NOT_BUT.search(body)
    if rejected is not None:
        body = body[rejected.end() :]
    listed = _LETTER_LIST.fullmatch(body)
    if listed is not None:
        found = _LIST_LETTER.findall(listed.group())
        letters = tuple(sorted({(a or b).upper() for a, b in found}))
        return Reading(letters, span, "letter", where)
    for pattern in (_BRACKETED, _BARE, _LONE_LOWER):
        match = pattern.fullmatch(body) if pattern is _LONE_LOWER else pattern.match(body)
        if match is not None:
            return Reading((match.group(1).upper(),), span, "letter", where)
    if texts is None:
        return None
    return _option_named(span, texts, where)


def _option_named(span: str, texts: list[str], where: str) -> Reading | None:
    """The one option whose text the span is, or contains as whole words."""
    said = normalize_text(span)
    if not said:
        return None
    normalized = [normalize_text(text) for text in texts]
    exact = [i for i, text in enumerate(normalized) if text and text == said]
    if len(exact) == 1:
        return Reading((LETTERS[exact[0]],), span, "option_text", where)
    padded = f" {said} "
    named = [i for i, text in enumerate(normalized) if text and f" {text} " in padded]
    # "dark red" names the option "dark red", not also the option "red".
    named = [i for i in named if not any(normalized[i] in normalized[j] for j in named if j != i)]
    # "not Paris but London", "London, not Paris": an option ruled out is not chosen.
    kept = [i for i in named if not _negated_text(normalized[i], padded)]
    if named and not kept:
        return Reading((), span, "option_text", where)
    named = kept
    if len(named) == 1:
        return Reading((LETTERS[named[0]],), span, "option_text", where)
    return _option_valued(span, texts, where)


def _negated_text(option: str, said: str) -> bool:
    """Whether every mention of `option` in `said` follows a negation ("not paris")."""
    mentions = list(re.finditer(rf"(?<= ){re.escape(option)}(?= )", said))
    return bool(mentions) and all(
        _NEGATION_BEFORE.search(said[max(0, m.start() - 30) : m.start()]) for m in mentions
    )


def _option_valued(span: str, texts: list[str], where: str) -> Reading | None:
    """The one numeric option whose value the span states (`1.250` or `5/4` for `1.25`, `0.5`
    for `50%`); exact, since options are discrete."""
    said = parse_quantity(span, strict=False)
    if not isinstance(said, Quantity):
        return None
    values = _readings(said)
    valued = []
    for i, text in enumerate(texts):
        option = parse_quantity(text, strict=True)
        if isinstance(option, Quantity) and any(
            abs(o - v) <= 1e-9 * max(1.0, abs(o)) for o in _readings(option) for v in values
        ):
            valued.append(i)
    if len(valued) == 1:
        return Reading((LETTERS[valued[0]],), span, "option_value", where)
    return None


def _readings(quantity: Quantity) -> tuple[float, ...]:
    """`50%` stands for 50 and for 0.5."""
    if quantity.percent:
        return quantity.value, quantity.value / 100
    return (quantity.value,)


def _committed(body: str, span: str, where: str) -> Reading | None:
    """The choice a span commits to when it corrects or rules out letters: the letters named
    and not negated ("not (A)", "(A) is wrong") after the last correction that names one ("A,
    no wait, D", "I first leaned to (B); on reflection it is (C)", "not A but B"; "B is right;
    A is not" keeps B) are the answer; several are a hedge ("either A or B"); none, where some
    were ruled out, is a Reading without letters. None when the span has no such cue."""
    if not _CUE.search(body):
        return None
    cuts = [0, *(m.end() for m in _CORRECTION.finditer(body))]
    segments = [_mentions(body[a:b]) for a, b in zip(cuts, [*cuts[1:], len(body)], strict=True)]
    if not any(segments):
        return None
    ruled_out: set[str] = set()
    for mentions in reversed(segments):
        kept = {letter for letter, negated in mentions if not negated} - ruled_out
        if kept:
            return Reading(tuple(sorted(kept)), span, "letter", where)
        ruled_out |= {letter for letter, negated in mentions if negated}
    return Reading((), span, "letter", where)


def _mentions(text: str) -> list[tuple[str, bool]]:
    """(letter, negated) for each choice letter named in `text`, in order."""
    found = []
    for match in _MENTION.finditer(text):
        letter = next(group for group in match.groups() if group)
        before = text[max(0, match.start() - 30) : match.start()]
        after = text[match.end() : match.end() + 30]
        negated = bool(_NEGATION_BEFORE.search(before) or _NEGATION_AFTER.match(after))
        found.append((letter.upper(), negated))
    return found


def _explicit_letter(line: str) -> Reading | None:
    """`(C)` or `option C` anywhere in a short last line, when it names exactly one letter."""
    committed = _committed(line, line, "last_line")
    if committed is not None:
        return committed
    letters = {a or b for a, b in _EXPLICIT_ANYWHERE.findall(line)}
    if len(letters) == 1:
        return Reading((letters.pop(),), line, "letter", "last_line")
    return None


def _reference_letter(reference: Any, texts: list[str] | None) -> str | None:
    if isinstance(reference, bool) or not isinstance(reference, str | int | float):
        return None
    if isinstance(reference, int) and texts is not None and 0 <= reference < len(texts):
        return LETTERS[reference]
    ref = str(reference).strip()
    label = re.fullmatch(r"[(\[]?([A-Za-z])[)\]]?\.?", ref)
    if label is not None:
        letter = label.group(1).upper()
        if texts is None or LETTERS.index(letter) < len(texts):
            return letter
    if texts is None:
        return None
    said = normalize_text(ref)
    matches = [i for i, text in enumerate(texts) if said and normalize_text(text) == said]
    if len(matches) == 1:
        return LETTERS[matches[0]]
    # The whole labelled option, "B. London", as some datasets store the answer.
    label = _OPTION_PREFIX.match(ref)
    if label is not None:
        index = LETTERS.find(label.group(1).upper())
        rest = normalize_text(ref[label.end() :])
        if 0 <= index < len(texts) and rest == normalize_text(texts[index]):
            return LETTERS[index]
    return None
