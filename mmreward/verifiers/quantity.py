"""Numbers as charts and their readers write them: `$1.2M`, `−3,400`, `45 %`, `2.5 bn tonnes`.

A `Quantity` keeps what was written (mantissa, scale word, percent sign) rather than one float, so
the chart verifier can accept `1.2 million` for a chart labelled in millions and `45%` for 0.45
without treating every pair of numbers as interchangeable.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from mmreward.verifiers.text import TEXT_COMMAND
from mmreward.verifiers.units import CURRENCY, SCALE_WORDS, Unit, currency_unit, unit_after

MAX_CHARS = 300
"""Longer texts are not a chart answer; bounding them keeps every scan here trivially cheap."""

_MINUS = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-", "\u00a0": " ", "\u202f": " "})
_LATEX_NOISE = re.compile(rf"\\[,;:! ]|\\(?=[%$])|{TEXT_COMMAND}\s*\{{([^{{}}]*)\}}")
_NUMBER = re.compile(
    r"(?<![\d/])\d+/\d+(?![\d/])"  # 3/4
    r"|(?<![\d:.])\d+(?:\.\d+)?:\d+(?:\.\d+)?(?![\d:])"  # 3:1, 1.5:1
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 12,345.6
    r"|(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d{1,3}(?!\d))?"  # 12345.6, .5, 1.5e6
)
_PREFIX = re.compile(rf"(?P<sign>-)?\s*{CURRENCY}?\s*(?P<sign2>-)?\s*")
_CURRENCY_BEFORE = re.compile(rf"{CURRENCY}\s*$")
_SIGN_AND_CURRENCY = rf"\s*(?:(?:-\s*)?{CURRENCY}\s*)?-?\s*"
_STRICT_PREFIX = re.compile(_SIGN_AND_CURRENCY)
_BOUND_BEFORE = re.compile(
    r"(?i:\b(?:(?:more|less|fewer|greater|higher|lower)\s+than|over|under|above|below|"
    rf"at\s+(?:least|most)|up\s+to|in\s+excess\s+of)){_SIGN_AND_CURRENCY}$|[<>≤≥]=?\s*$"
)
_NEGATED_BEFORE = re.compile(
    r"(?i:\b(?:not|never|isn't|wasn't|aren't|cannot\s+be|can't\s+be)\s+"
    rf"(?:(?:equal\s+to|exactly|quite|just|about|be)\s+)?){_SIGN_AND_CURRENCY}$"
)
_SUFFIX = re.compile(
    r"\s*(?P<scale>(?i:thousands?|millions?|billions?|trillions?|mn|mln|bn|tn)\b|[kKMB](?![A-Za-z]))?"
    r"(?P<money_scale>(?<=\d)[mb](?![A-Za-z]))?"
    r"\s*(?P<percent>%|(?i:per\s*cent|percent(?:age)?(?:\s+points?)?|pct)\b)?"
)
_YEARS = (1000.0, 2100.0)
_UNIT_WINDOW = 40
_CLOCK = re.compile(r"[0-9]{1,2}:[0-5][0-9]")
_TIME = re.compile(
    r"(?<![\d:.,])(\d{1,2}):([0-5]\d)(?![\d:])(?:\s*([AaPp])\.?\s*[Mm](?![A-Za-z])\.?)?"
)
_SCALE_ABBREVIATIONS = {"k": 3, "m": 6, "mn": 6, "mln": 6, "b": 9, "bn": 9, "tn": 12}
_SCALES = {word: 10.0**power for word, power in (SCALE_WORDS | _SCALE_ABBREVIATIONS).items()}
_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
)
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety"
NUMBER_WORDS = {word: value for value, word in enumerate(_UNITS.split())} | {
    word: 10 * tens for tens, word in enumerate(_TENS.split(), start=2)
}
"""The number words 0-19 and the tens to ninety; `twenty-five` is read as a tens word, then a
unit word (1-9)."""


@dataclass(frozen=True)
class Quantity:
    mantissa: float
    """Signed number as written, before any scale word."""
    scale: float = 1.0
    """1e3 for `k`/`thousand`, 1e6 for `M`/`million`, ...; 1 when none was written."""
    percent: bool = False
    integer: bool = True
    """Written without a decimal point (`2,015` yes, `2015.0` no)."""
    ratio: bool = False
    """Written as `a:b` (its value is a/b): a ratio reference is matched exactly, not within 5%."""
    bound: bool = False
    """Written after "more than", "over", "at least", ...: a bound on the value, not the value."""
    negated: bool = False
    """Written after "not", "isn't", "never": a value the answer rules out."""
    unit: Unit | None = field(default=None, compare=False)
    """The unit written with it: a currency sign before, or a unit or noun after (`12 kg`)."""

    @property
    def value(self) -> float:
        return self.mantissa * self.scale

    @property
    def year_like(self) -> bool:
        """A plain integer in 1000-2100: usually a year, where 5% tolerance makes no sense."""
        return (
            self.integer
            and self.scale == 1.0
            and not self.percent
            and _YEARS[0] <= self.mantissa <= _YEARS[1]
        )


class Ambiguous:
    """The text holds several numbers; picking one would be a guess."""


AMBIGUOUS = Ambiguous()


def parse_quantity(
    text: str, *, strict: bool, years_are_context: bool = False, year_wanted: bool = False
) -> Quantity | Ambiguous | None:
    """The one number in `text` with its sign, currency, scale and percent; None if there is none.

    strict=False (responses): words before and after the number are allowed ("about 45 people").
    strict=True (references): only a sign and a currency may precede it, so "Group 5" stays text.
    years_are_context: among several numbers, plain years are context, not the answer
    ("In 2015 it was 45" -> 45). year_wanted: the other way round, the one plain year among
    several numbers is the answer ("2019, with 45 units" -> 2019). Number words count when they
    are the whole text (`seven`), or in a response when no digit is written ("three bars").
    """
    if len(text) > MAX_CHARS:
        return None
    text = _LATEX_NOISE.sub(lambda m: m.group(1) or "", text.translate(_MINUS))
    text = text.replace("{,}", ",")  # LaTeX's thousands separator, `1{,}234`
    numbers = list(_NUMBER.finditer(text))
    if not numbers:
        return _number_word(text) if strict else _number_words_in(text)
    if strict and _STRICT_PREFIX.fullmatch(text, 0, numbers[0].start()) is None:
        return None
    found = [_quantity(text, number) for number in numbers]
    if len(found) > 1:  # "45, not 50": a value ruled out is not a second answer
        found = [q for q in found if q is None or not q.negated] or found
    if len(found) > 1 and years_are_context:
        found = [q for q in found if q is None or not q.year_like] or found
    if len(found) > 1 and year_wanted:
        found = [q for q in found if q is not None and q.year_like] or found
    if len(found) > 1:
        return AMBIGUOUS
    return found[0]


def parse_time(text: str, *, strict: bool) -> tuple[int, int] | Ambiguous | None:
    """The one time of day in `text` as (hour on a 24-hour clock, minutes): `3:15 pm` and
    `15:15` are (15, 15), `3:15` is (3, 15). strict=True (references): the time is the text."""
    if len(text) > MAX_CHARS:
        return None
    found = list(_TIME.finditer(text))
    if not found:
        return None
    if len(found) > 1:
        return AMBIGUOUS
    m = found[0]
    if strict and text[: m.start()].strip() + text[m.end() :].strip(" .") != "":
        return None
    hour, minutes, half = int(m.group(1)), int(m.group(2)), m.group(3)
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half in "Pp" else 0)
    return hour, minutes


def _quantity(text: str, number: re.Match[str]) -> Quantity | None:
    written = number.group()
    if _CLOCK.fullmatch(written):
        return None  # `3:10` is a time (or a duration), not 0.3: `9:30` must not equal it
    if "/" in written or ":" in written:
        numerator, denominator = (float(part) for part in re.split("[/:]", written))
        if denominator == 0:
            return None
        mantissa, integer = numerator / denominator, False
    else:
        mantissa = float(written.replace(",", ""))
        integer = not any(mark in written for mark in ".eE")
    suffix = _SUFFIX.match(text, number.end())
    assert suffix is not None  # every group is optional
    scale_word = suffix.group("scale")
    currency = _CURRENCY_BEFORE.search(text, max(0, number.start() - 8), number.start())
    # `£1.2m`, `$3b`: lower-case m/b glued to a sum of money; elsewhere `12m` is metres.
    if suffix.group("money_scale") and currency is not None:
        scale_word = suffix.group("money_scale")
    unit = currency_unit(currency.group()) if currency is not None else None
    if unit is None:
        unit = unit_after(text[suffix.end() : suffix.end() + _UNIT_WINDOW])
    quantity = Quantity(
        mantissa=-mantissa if _negative_before(text[: number.start()]) else mantissa,
        scale=_SCALES[_scale_key(scale_word)] if scale_word else 1.0,
        percent=suffix.group("percent") is not None,
        integer=integer,
        ratio=":" in written,
        bound=_BOUND_BEFORE.search(text, max(0, number.start() - 24), number.start()) is not None,
        negated=_NEGATED_BEFORE.search(text, max(0, number.start() - 24), number.start())
        is not None,
        unit=unit,
    )
    return quantity if math.isfinite(quantity.value) else None


def _number_word(text: str) -> Quantity | None:
    """`seven`, `Twenty-five.`: a number word (0-99) that is the whole text."""
    words = re.split(r"[-\s]+", text.strip().strip(".!").strip().casefold())
    if not all(word in NUMBER_WORDS for word in words):
        return None
    values = [float(NUMBER_WORDS[word]) for word in words]
    if len(values) == 1:
        return Quantity(values[0])
    if len(values) == 2:
        tens, unit = values
        if tens >= 20 and tens % 10 == 0 and 0 < unit < 10:
            return Quantity(tens + unit)
    return None


def _number_words_in(text: str) -> Quantity | Ambiguous | None:
    """The one number written in words in a sentence ("There are three bars.", "two million").

    A run of number words (`twenty-five`) may be followed by `hundred`, a scale word or
    `percent`; two separate runs are two numbers, so the answer is ambiguous.
    """
    words = re.findall(r"[a-z]+", text.casefold())
    found: list[Quantity] = []
    i = 0
    while i < len(words):
        if words[i] not in NUMBER_WORDS:
            i += 1
            continue
        start = i
        while i < len(words) and words[i] in NUMBER_WORDS:
            i += 1
        quantity = _number_word(" ".join(words[start:i]))
        if quantity is None:
            return AMBIGUOUS
        if i < len(words) and words[i] == "hundred":
            quantity, i = Quantity(quantity.mantissa * 100), i + 1
        if i < len(words) and _scale_key(words[i]) in _SCALES and len(words[i]) > 2:
            quantity, i = Quantity(quantity.mantissa, _SCALES[_scale_key(words[i])]), i + 1
        if i < len(words) and words[i] in ("percent", "pct"):
            quantity, i = Quantity(quantity.mantissa, quantity.scale, percent=True), i + 1
        found.append(quantity)
    if len(found) > 1:
        return AMBIGUOUS
    return found[0] if found else None


def _negative_before(prefix: str) -> bool:
    """A minus directly before the number, possibly around a currency sign (`-$5`, `$-5`).

    A hyphen glued to a word (`COVID-19`, `FY-2020`) is not a minus.
    """
    tail = prefix[-12:]
    for start in range(len(tail) + 1):
        match = _PREFIX.fullmatch(tail, start)
        if match is None:
            continue
        sign = "sign" if match.group("sign") else "sign2" if match.group("sign2") else None
        if sign is None:
            return False
        before = tail[: match.start(sign)]
        return not (before and before[-1].isalnum())
    return False


def _scale_key(word: str) -> str:
    key = word.casefold()
    return key[:-1] if key.endswith("s") and len(key) > 3 else key
