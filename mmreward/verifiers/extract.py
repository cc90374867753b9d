"""Find the final answer in a model response.

Markers, strongest first: the last `\\boxed{}` / `\\fbox{}`, the last `<answer>…</answer>`, then
whichever of "the (final) answer is", "Answer:" and GSM8K's `#### x` comes last. Only when nothing
is marked: the last `$…$` math span if no number follows it, else the last number.

Two refinements of "the last box": boxes side by side, joined only by commas, "and"/"or" or a
few words around them (`\\boxed{1}, \\boxed{2}`, `\\boxed{3} or \\boxed{4}`), are one answer,
their values listed in order; the comparison then judges the list (against a single value it is a
hedge, and wrong). Boxes apart, or joined by other words ("first \\boxed{5}, then corrected:
\\boxed{10}"), are drafts and corrections: the last one counts. And a "final answer" phrase that
follows the last box with a value of its own overrides it (the box held an intermediate result).

Every search is a `find`/`rfind` or a regex without nested quantifiers, run on the reversed text
where "the last one" is wanted, so a 5 MB response costs milliseconds, never a backtracking blow-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from mmreward.verifiers.text import CORRECTION, TEXT_COMMAND

Marker = Literal[
    "boxed", "fbox", "answer_tag", "answer_is", "answer_colon", "gsm8k", "last_math", "last_number"
]

MAX_BOXED_CHARS = 65_536
"""A `\\boxed{` whose brace does not close within this many characters counts as unclosed."""

_UNMARKED: frozenset[str] = frozenset({"last_math", "last_number"})

MAX_JOINED_BOXES = 16
MAX_SENTENCE_CHARS = 2000
"""A longer marked answer is not a sentence to read a value from (and the math verifier
refuses answers that long anyway)."""
_MAX_GAP_CHARS = 80
_MAX_GAP_WORDS = 5
# What may sit between boxes that list one answer: math delimiters, spacing, `\text{}` wrappers.
_GAP_NOISE = re.compile(rf"{TEXT_COMMAND}\s*\{{|\\(?:quad|qquad|[,;:! ()\[\]])|[${{}}]")
_GAP_WORD = re.compile(r"[a-z]+")
_CONNECTORS = frozenset({"and", "or"})
_CORRECTION_WORDS = frozenset(
    {"then", "but", "not", "no",
     "wait", "actually", "rather", "instead", "wrong", "correct", "corrected",
     "hmm", "maybe", "perhaps", "alternatively", "check", "again"}
)  # fmt: skip
_MATH_SPAN = re.compile(r"\$[^$]+\$|\\\(.+?\\\)")
_MAX_CORRECTION_CHARS = 300
_CLOSING_CORRECTION = re.compile(
    rf"(?i:\b(?:{CORRECTION})\b)[,:!.]*\s*"
    r"(?i:(?:it'?s|it\s+is|the\s+(?:final\s+|correct\s+)?answer\s+is|make\s+(?:it|that)|"
    r"i\s+meant?)\s*:?\s*)?"
    r"(?P<value>\$[^$]{1,80}\$|[-−]?[0-9][0-9.,/]*(?:\s*\\?%)?|[(\[]?[A-J][)\]]?)"
    r"\s*[.!]?\s*$"
)
_PROSE_WORD = re.compile(r"[A-Za-z]{2,}")
_PROSE_NUMBER = re.compile(r"(?<![\w.])[-−]?[0-9]+(?:[.,][0-9]+)*(?:/[0-9]+)?(?![\w])")
_SQUASH = re.compile(r"[\s$\"'\\{}]")
_COPULA = re.compile(r"\b(?:is|are|was|were|equals|be)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Extraction:
    """The answer text and where it came from (`start:end` is its span in the response)."""

    text: str
    marker: Marker
    start: int
    end: int

    @property
    def marked(self) -> bool:
        """True when the response said which part is the answer (not a fallback guess)."""
        return self.marker not in _UNMARKED


# Reversed patterns: searching the reversed text finds the *last* occurrence first, in one pass.
_REV_ANSWER_IS = re.compile(r"si\s+rewsna\b")  # "answer is"
_REV_ANSWER_COLON = re.compile(r":\**\s*\**rewsna\b")  # "Answer:", "**Answer:**", "Answer**:"
# "#### 72", "#### $-5"; not a markdown heading such as "#### Step 2"
_GSM8K_VALUE = re.compile(r"[ \t]*\\?\$?[ \t]*[-−]?[0-9]")
_MAX_TRIES = 64
_REV_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)*(?:/[0-9]+(?:[.,][0-9]+)*)?[-−]?")
_MAX_NUMBER_CHARS = 1000
_LINE_END = re.compile(r"\n")
# "The answer is 3.5 because ..." / "... is 12, since ...": the answer ends before the reason.
_SENTENCE_END = re.compile(r"\.(?:\s|$)|,?\s+(?:because|since|as|which|so|when|where)\b")


def extract_final_answer(text: str) -> Extraction | None:
    """The final answer of `text`, or None when it holds neither a marker nor a number."""
    found = _marked_answer(text)
    if found is not None:
        return _closing_correction(text, found) or found
    return _unmarked_fallback(text)


def _marked_answer(text: str) -> Extraction | None:
    boxed = boxed_answer(text)
    if boxed is not None:
        return _final_phrase_after(text, boxed) or boxed
    lower = text.lower()
    return _answer_tag(text, lower) or _answer_phrase(text, lower[::-1])


def _closing_correction(text: str, found: Extraction) -> Extraction | None:
    """A correction that ends the response after its marked answer, naming another value:
    "The answer is 5. Wait, actually it's 6." answers 6 (the last committed answer)."""
    start = max(found.end, len(text) - _MAX_CORRECTION_CHARS)
    m = _CLOSING_CORRECTION.search(text, start)
    if m is None:
        return None
    value = clean_answer(m.group("value"))
    if not value or _squashed(value) == _squashed(found.text):
        return None
    return Extraction(value, found.marker, m.start("value"), m.end("value"))


def last_boxed(text: str, before: int | None = None) -> Extraction | None:
    """The argument of the last `\\boxed{…}` or `\\fbox{…}` whose braces balance (starting
    before index `before`, when given)."""
    limit = len(text)
    at_boxed = text.rfind("\\boxed", 0, before)
    at_fbox = text.rfind("\\fbox", 0, before)
    for _ in range(_MAX_TRIES):
        at = max(at_boxed, at_fbox)
        if at < 0:
            return None
        marker: Marker = "boxed" if at == at_boxed else "fbox"
        span = _box_argument(text, at + len(marker) + 1, limit)
        if span is not None:
            start, end = span
            return Extraction(clean_answer(text[start:end]), marker, start, end)
        # An earlier box that encloses this unclosed one cannot close either: look only before it.
        limit = at
        if marker == "boxed":
            at_boxed = text.rfind("\\boxed", 0, at)
        else:
            at_fbox = text.rfind("\\fbox", 0, at)
    return None


def boxed_answer(text: str) -> Extraction | None:
    """The last box, joined with the boxes just before it that only connectors separate."""
    last = last_boxed(text)
    if last is None:
        return None
    texts = [last.text]
    start = last.start
    for _ in range(MAX_JOINED_BOXES - 1):
        command = _box_start(text, start)
        before = last_boxed(text, command)
        if before is None or before.end > command:  # none, or one that encloses this box
            break
        if not _connects(text[before.end + 1 : command]):
            break
        texts.append(before.text)
        start = before.start
    if len(texts) == 1:
        return last
    distinct = [t for t in dict.fromkeys(reversed(texts)) if t]
    return Extraction(", ".join(distinct), last.marker, start, last.end)


def _box_start(text: str, argument_start: int) -> int:
    """Index of the `\\boxed` / `\\fbox` command whose argument starts at `argument_start`."""
    return max(text.rfind("\\boxed", 0, argument_start), text.rfind("\\fbox", 0, argument_start))


def _connects(gap: str) -> bool:
    """Whether the text between two boxes only links them: delimiters and commas, or "and"/"or"
    with at most a few other words ("papers and", "for part (a) and"), never a correction."""
    if len(gap) > _MAX_GAP_CHARS:
        return False
    words = _GAP_WORD.findall(_GAP_NOISE.sub(" ", gap).lower())
    if not words:
        return True
    if _CORRECTION_WORDS.intersection(words) or len(words) > _MAX_GAP_WORDS:
        return False
    return bool(_CONNECTORS.intersection(words))


def _final_phrase_after(text: str, boxed: Extraction) -> Extraction | None:
    """A "final answer is …" / "Final Answer: …" after the last box, naming another value."""
    after = boxed.end + 1
    at = text[after:].lower().rfind("final answer")
    if at < 0:
        return None
    at += after
    tail = text[at:]
    phrase = _answer_phrase(tail, tail.lower()[::-1])
    if phrase is None or not any(c.isdigit() for c in phrase.text):
        return None
    if _squashed(boxed.text) == _squashed(phrase.text):
        return None  # the phrase restates the box, which is the cleaner copy
    return Extraction(phrase.text, phrase.marker, at + phrase.start, at + phrase.end)


def _squashed(text: str) -> str:
    return _SQUASH.sub("", text)


def sentence_value(answer: str) -> str:
    """The value a worded final answer states: "The largest $n$ is 34" -> `34` (after its last
    "is"), "5 is the answer" and "Jane started 3 hours ago" -> its one number or math span,
    "The direction is east" -> `east`; anything else is returned unchanged."""
    if len(answer) > MAX_SENTENCE_CHARS:
        return answer
    prose = _MATH_SPAN.sub(lambda m: " " * len(m.group()), answer)
    if len(_PROSE_WORD.findall(prose)) < 2:
        return answer
    copulas = list(_COPULA.finditer(prose))
    rest = clean_answer(answer[copulas[-1].end() :]) if copulas else ""
    if rest and (any(c.isdigit() for c in rest) or "$" in rest or "\\" in rest):
        return rest
    values = [*_MATH_SPAN.finditer(answer), *_PROSE_NUMBER.finditer(prose)]
    if len(values) == 1:
        return clean_answer(values[0].group())
    return rest or answer


def _box_argument(text: str, i: int, limit: int) -> tuple[int, int] | None:
    """Span of the braced (or single-token) argument starting at `i`, closing before `limit`."""
    n = min(limit, len(text))
    while i < n and text[i] in " \t":
        i += 1
    if i >= n:
        return None
    if text[i] != "{":
        if not text[i].isalnum():
            return None  # `\boxedfoo` or `\boxed` at a line end: not a box
        end = i
        while end < n and not text[end].isspace() and text[end] not in "$.,;":
            end += 1
        return i, end
    stop = min(n, i + MAX_BOXED_CHARS)
    close = closing_brace(text, i, stop)
    if close is not None:
        return i + 1, close
    if stop < n:
        return i + 1, stop  # still open after MAX_BOXED_CHARS: an over-long answer, not no box
    return None


def closing_brace(text: str, open_index: int, stop: int | None = None) -> int | None:
    """Index of the brace closing the one at `open_index`, looking before `stop`.

    Escaped braces (`\\{`, `\\}`) do not count.
    """
    end = len(text) if stop is None else min(stop, len(text))
    depth = 0
    j = open_index
    while j < end:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return None


def _answer_tag(text: str, lower: str) -> Extraction | None:
    close = lower.rfind("</answer>")
    if close < 0:
        return None
    open_ = lower.rfind("<answer>", 0, close)
    if open_ < 0:
        return None
    start = open_ + len("<answer>")
    inner = text[start:close]
    # `<answer>The answer is 5.</answer>`: the phrase inside narrows it down further.
    phrase = _answer_phrase(inner, inner.lower()[::-1])
    if phrase is not None:
        return Extraction(phrase.text, "answer_tag", start + phrase.start, start + phrase.end)
    return Extraction(clean_answer(inner), "answer_tag", start, close)


def _answer_phrase(text: str, reversed_lower: str) -> Extraction | None:
    """The answer after the last "answer is", "Answer:" or "####", whichever comes last."""
    n = len(text)
    candidates: list[tuple[int, Marker]] = []
    is_at = _last_answer_is(reversed_lower)
    if is_at is not None:
        candidates.append((n - is_at, "answer_is"))
    m = _REV_ANSWER_COLON.search(reversed_lower)
    if m is not None:
        candidates.append((n - m.start(), "answer_colon"))
    hashes = _last_gsm8k(text)
    if hashes is not None:
        candidates.append((hashes, "gsm8k"))
    if not candidates:
        return None
    start, marker = max(candidates)
    start, end = _answer_line(text, start)
    if start >= end:
        return None
    return Extraction(clean_answer(text[start:end]), marker, start, end)


def _last_answer_is(reversed_lower: str) -> int | None:
    """Reversed-text index where the last "answer is" ends (a whole word, not "answer isn't")."""
    at = 0
    for _ in range(_MAX_TRIES):
        m = _REV_ANSWER_IS.search(reversed_lower, at)
        if m is None:
            return None
        if m.start() == 0 or not reversed_lower[m.start() - 1].isalnum():
            return m.start()
        at = m.start() + 1
    return None


def _last_gsm8k(text: str) -> int | None:
    """Index just after the last `####` that is followed by a number."""
    pos = len(text)
    for _ in range(_MAX_TRIES):
        at = text.rfind("####", 0, pos)
        if at < 0:
            return None
        if _GSM8K_VALUE.match(text, at + 4):
            return at + 4
        pos = at + 3
    return None


def _answer_line(text: str, start: int) -> tuple[int, int]:
    """Span of the answer following a phrase marker: the rest of its line (or the next line
    when the marker ends its line), up to the end of the sentence."""
    for _ in range(3):
        m = _LINE_END.search(text, start)
        end = m.start() if m is not None else len(text)
        if text[start:end].strip(" \t*:") or m is None:
            break
        start = end + 1
    while start < end and text[start] in " \t*:":
        start += 1
    math = _leading_math(text, start, end)
    if math is not None:
        return math
    m = _SENTENCE_END.search(text, start, end)
    return start, (m.start() if m is not None else end)


def _leading_math(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Span of a `$…$`, `$$…$$`, `\\(…\\)` or `\\[…\\]` opening at `start`, delimiters kept."""
    for opener, closer in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if text.startswith(opener, start):
            close = text.find(closer, start + len(opener), end)
            if close > start + len(opener):
                return start, close + len(closer)
            return None
    return None


def _unmarked_fallback(text: str) -> Extraction | None:
    number = _last_number(text)
    math = _last_math_span(text)
    if math is not None and (number is None or number[1] <= math[1]):
        start, end = math
        inner = clean_answer(text[start:end])
        if inner:
            return Extraction(inner, "last_math", start, end)
    if number is None:
        return None
    start, end = number
    return Extraction(text[start:end].replace("−", "-"), "last_number", start, end)


def _last_number(text: str) -> tuple[int, int] | None:
    """Span of the last number (`-1,234.5`, `3/4`); memrchr finds its last digit, a regex on the
    reversed window before it finds where it starts."""
    end = max(text.rfind(digit) for digit in "0123456789") + 1
    if end == 0:
        return None
    window = text[max(0, end - _MAX_NUMBER_CHARS) : end][::-1]
    m = _REV_NUMBER.match(window)
    if m is None or (m.end() == _MAX_NUMBER_CHARS and end > _MAX_NUMBER_CHARS):
        return None  # longer than any answer: never hand back a piece of it
    return end - m.end(), end


def _last_math_span(text: str) -> tuple[int, int] | None:
    """Span (delimiters included) of the last complete inline or display math in `text`."""
    best: tuple[int, int] | None = None
    for opener, closer in (("\\(", "\\)"), ("\\[", "\\]")):
        close = text.rfind(closer)
        if close > 0:
            open_ = text.rfind(opener, 0, close)
            if open_ >= 0 and (best is None or close + 2 > best[1]):
                best = (open_, close + 2)
    close = text.rfind("$")
    while close > 0 and text[close - 1] == "\\":
        close = text.rfind("$", 0, close - 1)  # `\$` is a dollar sign, not a delimiter
    if close > 0 and (best is None or close + 1 > best[1]):
        double = text[close - 1] == "$"
        opener = "$$" if double else "$"
        open_ = text.rfind(opener, 0, close - 1 if double else close)
        if open_ >= 0:
            best = (open_, close + 1)
    return best


def clean_answer(answer: str) -> str:
    """Strip what surrounds an answer but is not part of it: whitespace, markdown bold,
    paired math delimiters and a full stop."""
    s = answer.strip().strip("*").strip()
    for _ in range(3):
        before = s
        for opener, closer in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
            if len(s) >= len(opener) + len(closer) and s.startswith(opener) and s.endswith(closer):
                s = s[len(opener) : len(s) - len(closer)].strip()
                break
        if s.endswith(".") and not s.endswith(".."):
            s = s[:-1].rstrip()
        if s == before:
            break
    return s
