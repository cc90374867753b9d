"""One spelling for the many ways an answer is typeset (`\\dfrac`, `\\left(`, `1{,}000`,
`0.\\overline{3}`, `C(5, 2)`, `3:15 pm`), so the parser reads a small grammar."""

from __future__ import annotations

import re
from fractions import Fraction

from mmreward.verifiers.text import TEXT_COMMAND
from mmreward.verifiers.units import CURRENCY

_UNICODE = {
    "−": "-", "‐": "-", "‑": "-", "﹣": "-", "－": "-", "–": "-",
    "×": "\\times ", "·": "\\cdot ", "⋅": "\\cdot ", "÷": "\\div ", "√": "\\sqrt",
    "π": "\\pi ", "∞": "\\infty ",
    "≤": "\\le ", "≥": "\\ge ", "≠": "\\ne ", "±": "\\pm ", "∪": "\\cup ", "∅": "\\emptyset ",
    "°": "^\\circ ", "²": "^2", "³": "^3",
    "½": "\\frac12", "⅓": "\\frac13", "¼": "\\frac14", "¾": "\\frac34",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    "€": "", "£": "", "¥": "", "₹": "",
}  # fmt: skip
_UNICODE_RE = re.compile("|".join(map(re.escape, _UNICODE)))

# Sizing and spacing: `\\quad` and the one-character spaces (`\\,`, `\\ `) end where they end
# (`\\quadx` is a space, then x); the other commands are whole words.
_DROP = re.compile(
    r"(?<!\\)\\(?:(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg|displaystyle"
    r"|textstyle|limits|nolimits)(?![a-zA-Z])|qquad|quad|[!,;: ])|~|\\\$|\$"
)
_SYNONYMS = {
    "\\dfrac": "\\frac", "\\tfrac": "\\frac", "\\cfrac": "\\frac",
    "\\dbinom": "\\binom", "\\tbinom": "\\binom",
    "\\leq": "\\le", "\\leqslant": "\\le", "\\geq": "\\ge", "\\geqslant": "\\ge", "\\neq": "\\ne",
    "\\lt": "<", "\\gt": ">",
    "\\lvert": "|", "\\rvert": "|", "\\vert": "|", "\\mid": "|",
    "\\varnothing": "\\emptyset", "\\degree": "^\\circ",
    "\\varepsilon": "\\epsilon", "\\varphi": "\\phi",
    "\\arcsec": "\\operatorname{arcsec}",
    "\\langle": "(", "\\rangle": ")",
}  # fmt: skip
_SYNONYM_RE = re.compile(
    "|".join(re.escape(k) + r"(?![a-zA-Z])" for k in sorted(_SYNONYMS, key=len, reverse=True))
)
_FONT = re.compile(r"\\(?:mathbf|boldsymbol|mathit|mathsf|mathtt|mathbb|bm|operatorname)\s*")
_TEXT_NUMBER = re.compile(rf"{TEXT_COMMAND}\s*\{{\s*([-0-9.,]+(?:\s[a-zA-Z ]*)?)\}}")
_SET_BUILDER = re.compile(r"^\s*\\\{\s*[a-zA-Z]\s*(?:\\mid|\||:)(.*)\\\}\s*$")
_REPEATING = re.compile(r"([0-9]*)\.([0-9]*)\\overline\s*\{([0-9]{1,50})\}")
_CHOOSE = re.compile(r"\{\s*([^{}]+?)\s*\\choose\s*([^{}]+?)\s*\}")
# `C(5, 2)`, `{}_5C_2`, `^5C_2`: n choose k written with a capital C and whole numbers
_C_OF = re.compile(r"(?<![\\a-zA-Z])C\s*\(\s*([0-9]{1,4})\s*,\s*([0-9]{1,4})\s*\)")
_PRE_C = re.compile(
    r"(?:\{\s*\}|(?<![\\a-zA-Z0-9}]))[_^]\{?([0-9]{1,4})\}?\s*C_\{?([0-9]{1,4})\}?(?![0-9])"
)
# `\angle ABC = 30^\circ`, `m\angle B`: the angle's name, read as one variable
_ANGLE = re.compile(r"(?<![a-zA-Z])(?:m\s*)?\\(?:angle|measuredangle)\s*\{?\s*([A-Za-z]{1,3})\}?")
# `1011_2`, `{A3}_{16}`: a numeral in another base; its digits are the answer as written
_BASE_NUMERAL = re.compile(
    r"(?<![\\a-zA-Z0-9_}])\{?([0-9][0-9A-Za-z]{0,63}|[A-Za-z][0-9A-Za-z]{0,63}(?=\}))\}?"
    r"_\{?\(?([0-9]{1,2})\)?\}?(?![0-9])"
)
_SPACED_NUMBER = re.compile(r"^-?[0-9]{1,3}(?: [0-9]{3})+(?:\.[0-9]+)?$")
_PLAIN_MIXED = re.compile(r"^(-?)([0-9]+) ([0-9]+)/([0-9]+)$")
_WORDS_AFTER_NUMBER = re.compile(r"^([-+]?[0-9][0-9.,/]*%?) [a-zA-Z]{2,}(?: [a-zA-Z]+){0,4}$")
_REALS = re.compile(r"\\mathbb\s*\{?\s*R\s*\}?|\ball real numbers\b", re.IGNORECASE)
_CIRC = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ")
_THOUSANDS_BRACED = re.compile(r"(?<=[0-9])(?:\{,\}|,\\!\s*)(?=[0-9]{3}(?![0-9]))")
_THOUSANDS = re.compile(r"(?<![0-9.,])([1-9][0-9]{0,2})((?:,[0-9]{3})+)(?![0-9]|,[0-9])")
_SPACED_THOUSANDS = re.compile(r"(?<=[0-9])\\[, ](?=[0-9]{3}(?![0-9]))")
_IN_PREFIX = re.compile(r"^\s*[a-zA-Z]\s*\\in\s*")
_WORD_CONNECTIVE = re.compile(r"\s*(?:\\text\{\s*(?:or|and)\s*\}|\b(?:or|and)\b)\s*")
_UNIT_WORDS = (
    "square|sq|cubic|cu|mm|cm|km|m|meters?|metres?|kilometers?|centimeters?|millimeters?|inch|"
    "inches|in|ft|feet|foot|yards?|yd|miles?|mi|kg|g|grams?|kilograms?|mg|lb|lbs|pounds?|oz|"
    "ounces?|l|liters?|litres?|ml|milliliters?|gallons?|s|sec|secs|seconds?|min|mins|minutes?|h|"
    "hr|hrs|hours?|days?|weeks?|months?|years?|dollars?|cents?|usd|eur|euros?|rs|rupees?|yuan|"
    "units?|cm/s|m/s|km/h|mph|kph|radians?|rad|pts|points?|people|"
    "persons?|students?|times|ways|apples|marbles|items|pages|books|cookies|pieces|boxes"
)
_UNITS = rf"(?:(?:{_UNIT_WORDS})\b\.?\s*)+"
_POWER_23 = r"(?:\^\s*\{?[23]\}?)?"
# Inside `\text{}` a unit is unambiguous anywhere; bare, only right after a number (`5 cm`),
# never after a letter: in `2n + m`, m is a variable.
_TEXT_UNIT = re.compile(
    rf"{TEXT_COMMAND}\s*\{{\s*{_UNITS}\}}\s*{_POWER_23}",
    re.IGNORECASE,
)
_BARE_UNIT = re.compile(rf"(?<=[0-9])\s*{_UNITS}{_POWER_23}\s*$", re.IGNORECASE)
_PERCENT_WORD = re.compile(r"\s*(?:\\text\s*\{\s*)?percent\b\s*\}?", re.IGNORECASE)
_DEGREE_WORD = re.compile(r"\s*(?:\\text\s*\{\s*)?degrees?\b\s*\}?", re.IGNORECASE)
_LEADING_CURRENCY = re.compile(rf"^\s*{CURRENCY}\s*")
_BARE_NAMES = re.compile(
    r"(?<![\\a-zA-Z])(sqrt|pi|infinity|infty|inf|arcsin|arccos|arctan|sinh|cosh|tanh|sin|cos|tan|"
    r"cot|sec|csc|log|ln|exp)(?![a-zA-Z])"
)
_BARE_NAME_LATEX = {"infinity": "\\infty", "inf": "\\infty"}
# `\\frac{\\sqrt{3}}{3} \\approx 0.577`: the exact value is the answer, the decimal a gloss
_TRAILING_APPROX = re.compile(r"(?<=\S)\s*\\approx\s*[-+]?[0-9]*\.?[0-9]+\s*\.?$")
_BARE_NAME = re.compile(r"[a-zA-Z](?:_\{?[a-zA-Z0-9]*\}?)?\s*=?")
_LEADING_EQUALS = re.compile(r"^\s*=(?=\s*\S)")
# What every pass of `normalize` but a few needs to match. Python's case-blind matching also
# takes a few non-ASCII letters for ASCII ones (`ſ` for `s`, `K` for `k`, `ı` for `i`): the tests
# for words below look for none of those three letters, or for any non-ASCII character.
_MARKUP = re.compile(r"[A-Za-z\\~$]|[^\x00-\x7f]")
_NUMBER_THEN_WORD = re.compile(r"[0-9]\s*(?:[A-Za-z]|[^\x00-\x7f])")
# `3:15 pm`, `9:00 \text{ a.m.}`: a 12-hour time, rewritten as 24-hour (`15:15`, `9:00`)
_TWELVE_HOUR = re.compile(
    rf"(?<![0-9:])([0-9]{{1,2}}):([0-9]{{2}})\s*(?:{TEXT_COMMAND}\s*\{{\s*)?"
    r"([aApP])\.?\s*[mM]\.?(?:\s*\})?(?![a-zA-Z])"
)


def normalize(answer: str) -> str:
    """Rewrite notational variants into the one spelling the parser reads.

    Only rewrites that cannot change the value: unicode symbols, sizing commands, `\\dfrac`,
    font wrappers, thousands separators, currency signs and trailing unit words; a trailing
    `\\approx 0.577` after a value and a leading `=` are dropped.

    Most passes match only text with a letter, a command, `~`, `$` or a non-ASCII character
    (`_MARKUP`); on text without any (`-12.5`, `3/4`, `(1, 2)`), which no other pass gives one,
    they are skipped: a plain answer costs a few passes instead of thirty.
    """
    markup = _MARKUP.search(answer) is not None
    s = answer
    if markup:
        s = _UNICODE_RE.sub(lambda m: _UNICODE[m.group()], s)
        s = _SYNONYM_RE.sub(lambda m: _SYNONYMS[m.group()], s)
        if ":" in s:
            s = _TWELVE_HOUR.sub(_twenty_four_hour, s)
        approx = _TRAILING_APPROX.search(s) if "\\approx" in s else None
        if approx is not None and not _BARE_NAME.fullmatch(s[: approx.start()].strip()):
            s = s[: approx.start()]  # but in `x \approx 11` the decimal is the answer
    if "=" in s:
        s = _LEADING_EQUALS.sub("", s)
    s = _THOUSANDS_BRACED.sub("", s)
    if markup:  # each pass behind a test of what it needs to match (a command: a backslash)
        if "\\" in s:
            s = _SPACED_THOUSANDS.sub("", s)
        if "\\" in s or "~" in s or "$" in s:
            s = _DROP.sub(" ", s)
        if "\\" in s:
            s = _TEXT_NUMBER.sub(r"\1", s)
            s = _SET_BUILDER.sub(r"\1", s)
            s = _REPEATING.sub(_repeating_decimal, s)
        if "\\" in s or "real" in s.lower():
            s = _REALS.sub(lambda _: "(-\\infty, \\infty)", s)
        if "\\" in s:
            s = _FONT.sub("", s)
            s = _CIRC.sub("°", s)
        s = _LEADING_CURRENCY.sub("", s)
        if "\\" in s:
            s = _IN_PREFIX.sub("", s)
        if "percent" in s.lower():
            s = _PERCENT_WORD.sub("%", s)
        if "degree" in s.lower():
            s = _DEGREE_WORD.sub("°", s)
        if "\\" in s:
            s = _TEXT_UNIT.sub(" ", s)
        if _NUMBER_THEN_WORD.search(s):
            s = _BARE_UNIT.sub("", s)
        if "or" in s or "and" in s:
            s = _WORD_CONNECTIVE.sub(", ", s)
        s = _BARE_NAMES.sub(lambda m: _BARE_NAME_LATEX.get(m.group(), "\\" + m.group()), s)
        if "\\" in s:
            s = _CHOOSE.sub(r"\\binom{\1}{\2}", s)
    if "_" in s:
        s = _BASE_NUMERAL.sub(_base_numeral, s)
    if markup:
        if "C" in s:
            s = _C_OF.sub(_choose_call, s)
            s = _PRE_C.sub(_choose_call, s)
        if "angle" in s:
            s = _ANGLE.sub(lambda m: "\\theta_{" + " ".join(m.group(1)) + "}", s)  # not a word
        s = s.replace("\\%", "%")
    s = " ".join(s.split())
    # `1,234` is a thousands separator only outside brackets: `(1,100)` stays an interval.
    if "," in s and not any(c in s for c in "([{"):
        s = _THOUSANDS.sub(lambda m: m.group(1) + m.group(2).replace(",", ""), s)
    if _SPACED_NUMBER.match(s):  # `1 000 000`
        s = s.replace(" ", "")
    s = _PLAIN_MIXED.sub(r"\1\2\\frac{\3}{\4}", s)  # `2 1/2`
    if markup:  # `5 bananas`: any words after a lone number are a unit
        s = _WORDS_AFTER_NUMBER.sub(r"\1", s)
    s = s.strip().rstrip(".").strip()
    if s.endswith("\\") and not s.endswith("\\\\"):
        s = s[:-1].rstrip()  # `185\\`: a stray backslash at the end is no command
    return s


def _twenty_four_hour(m: re.Match[str]) -> str:
    """`3:15 pm` -> `15:15`, `12:30 am` -> `0:30`: am and pm are different answers."""
    hour, minutes, half = int(m.group(1)), m.group(2), m.group(3).lower()
    if not 1 <= hour <= 12:
        return m.group()
    return f"{hour % 12 + (12 if half == 'p' else 0)}:{minutes}"


def _base_numeral(m: re.Match[str]) -> str:
    """`1011_2` -> `1011`: MATH answers name the base, responses often drop it."""
    digits, base = m.group(1), int(m.group(2))
    try:
        valid = 2 <= base <= 36 and int(digits, base) >= 0
    except ValueError:
        valid = False
    return digits if valid else m.group()


def _choose_call(m: re.Match[str]) -> str:
    """`C(5, 2)` -> `\\binom{5}{2}`, only where it can be a count (k <= n)."""
    n, k = m.group(1), m.group(2)
    return f"\\binom{{{n}}}{{{k}}}" if int(k) <= int(n) else m.group()


def _repeating_decimal(m: re.Match[str]) -> str:
    """`0.1\\overline{6}` -> `\\frac{1}{6}`: the exact value the notation denotes."""
    whole, fixed, period = m.group(1) or "0", m.group(2), m.group(3)
    if len(whole) > 50 or len(fixed) > 50:
        return m.group()
    value = Fraction(int(whole)) + Fraction(int(fixed or "0"), 10 ** len(fixed))
    value += Fraction(int(period), (10 ** len(period) - 1) * 10 ** len(fixed))
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"
