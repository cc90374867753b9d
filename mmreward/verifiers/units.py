"""Units of measure written after (or, for money, before) an answer's value.

An answer's unit is part of its meaning: `5 km` is not `5 m`, `3 apples` are not `3 oranges`,
`$20` is not `20 euros`, while `500 cm` is `5 m` and `180 minutes` are `3 hours`. This module
finds the unit an answer ends with, says what it is, and how to convert a value from one unit
into another:

- a *physical* unit (length, area, mass, time, speed, energy, temperature, ...) is read from a
  table of spellings into a pint expression; pint decides the dimension and the factor, so
  `km/h` converts to `m/s` and `kWh` to `J`, and different dimensions never compare equal;
- an *angle* unit (`rad`, `deg`) is converted to degrees, so the math verifier's rules for
  `30^\\circ` apply to it;
- a *currency* (`$`, `USD`, `euros`, `£`, `cents`) compares with the same currency only:
  exchange rates change, a conversion would be a guess;
- any other word after a plain number (`3 apples`, `5 \\text{ ways}`) is a *noun*: the same
  head noun (singular or plural) is the same unit, another noun is another unit.

Only a closed table of unit spellings counts as a physical unit: pint alone reads far too much
(`units` parses as a luminosity, `c` as the speed of light, `bars` as a pressure). Answers are
bounded to `MAX_CHARS` before any scan, and pint is loaded once, on the first unit seen.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, Literal

from mmreward.verifiers.text import TEXT_COMMAND

MAX_CHARS = 200
"""Longer answers are not a value with a unit; they are not scanned for one."""

UnitKind = Literal["physical", "temperature", "angle", "currency", "noun"]

_LENGTH = {
    "mm": "millimeter", "millimeter": "millimeter", "millimetre": "millimeter",
    "cm": "centimeter", "centimeter": "centimeter", "centimetre": "centimeter",
    "m": "meter", "meter": "meter", "metre": "meter", "km": "kilometer",
    "kilometer": "kilometer", "kilometre": "kilometer", "nm": "nanometer", "um": "micrometer",
    "μm": "micrometer", "micrometer": "micrometer", "in": "inch", "inch": "inch",
    "inche": "inch", "ft": "foot", "foot": "foot", "feet": "foot", "yd": "yard", "yard": "yard",
    "mi": "mile", "mile": "mile", "dm": "decimeter",
}  # fmt: skip
_AREA_VOLUME = {
    "acre": "acre", "hectare": "hectare", "ha": "hectare", "l": "liter", "liter": "liter",
    "litre": "liter", "ml": "milliliter", "milliliter": "milliliter", "millilitre": "milliliter",
    "cc": "cubic_centimeter", "gallon": "gallon", "gal": "gallon", "quart": "quart",
    "qt": "quart", "pint": "pint", "cup": "cup", "tsp": "teaspoon", "teaspoon": "teaspoon",
    "tbsp": "tablespoon", "tablespoon": "tablespoon",
}  # fmt: skip
_MASS = {
    "mg": "milligram", "milligram": "milligram", "g": "gram", "gram": "gram", "kg": "kilogram",
    "kilogram": "kilogram", "lb": "pound", "lbs": "pound", "pound": "pound", "oz": "ounce",
    "ounce": "ounce", "ton": "ton", "tonne": "metric_ton", "t": "metric_ton",
}  # fmt: skip
_TIME = {
    "ms": "millisecond", "millisecond": "millisecond", "s": "second", "sec": "second",
    "secs": "second", "second": "second", "min": "minute", "mins": "minute",
    "minute": "minute", "h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour", "day": "day",
    "week": "week", "month": "month", "yr": "year", "yrs": "year", "year": "year",
}  # fmt: skip
_OTHER = {
    "mph": "mile / hour", "kph": "kilometer / hour", "kmh": "kilometer / hour", "knot": "knot",
    "rpm": "revolutions_per_minute", "n": "newton", "newton": "newton", "kn": "kilonewton",
    "j": "joule", "joule": "joule", "kj": "kilojoule", "cal": "calorie", "calorie": "calorie",
    "kcal": "kilocalorie", "w": "watt", "watt": "watt", "kw": "kilowatt",
    "kilowatt": "kilowatt", "kwh": "kilowatt_hour", "wh": "watt_hour", "v": "volt",
    "volt": "volt", "a": "ampere", "amp": "ampere", "ampere": "ampere", "ohm": "ohm",
    "pa": "pascal", "kpa": "kilopascal", "pascal": "pascal", "atm": "atmosphere",
    "hz": "hertz", "khz": "kilohertz", "mhz": "megahertz", "hertz": "hertz", "mol": "mole",
    "mole": "mole", "byte": "byte", "kb": "kilobyte", "mb": "megabyte", "gb": "gigabyte",
}  # fmt: skip
_PHYSICAL = {**_LENGTH, **_AREA_VOLUME, **_MASS, **_TIME, **_OTHER}
_SYMBOLS = frozenset(
    {
        "mm", "cm", "m", "km", "nm", "um", "dm", "in", "ft", "yd", "mi", "ha", "l", "L", "ml",
        "mL", "cc", "gal", "qt", "mg", "g", "kg", "lb", "oz", "t", "ms", "s", "h", "hr", "min",
        "N", "kN", "J", "kJ", "W", "kW", "kWh", "Wh", "V", "A", "Pa", "kPa", "Hz", "kHz", "MHz",
        "K", "mol", "kB", "MB", "GB",
    }
)  # fmt: skip
"""Symbols of one or two letters (and a few more) count only in their own case: `5 A` is
amperes, `5 a` is no unit; longer unit names are read in any case."""
_TEMPERATURES = {
    "kelvin": "kelvin", "celsius": "degC", "centigrade": "degC", "fahrenheit": "degF",
    "degc": "degC", "degf": "degF",
}  # fmt: skip
_ANGLES = {"rad": "radian", "radian": "radian", "deg": "degree", "grad": "gradian"}
_CURRENCY_WORDS = {
    "usd": ("USD", 1), "dollar": ("USD", 1), "buck": ("USD", 1), "cent": ("USD", 100),
    "¢": ("USD", 100), "$": ("USD", 1), "us$": ("USD", 1), "eur": ("EUR", 1),
    "euro": ("EUR", 1), "€": ("EUR", 1), "gbp": ("GBP", 1), "£": ("GBP", 1),
    "pence": ("GBP", 100), "penny": ("GBP", 100), "jpy": ("JPY", 1), "yen": ("JPY", 1),
    "¥": ("JPY", 1), "cny": ("CNY", 1), "rmb": ("CNY", 1), "yuan": ("CNY", 1),
    "inr": ("INR", 1), "rs": ("INR", 1), "rupee": ("INR", 1), "₹": ("INR", 1),
    "₩": ("KRW", 1), "₽": ("RUB", 1),
}  # fmt: skip
_SIGNS = "€£¥₹₩₽¢"
_CODES = r"(?i:us\$|usd|eur|gbp|inr|jpy|cny|rmb|rs\.?)(?![A-Za-z])"
CURRENCY = rf"(?:[${_SIGNS}]|{_CODES})"
"""A currency sign or code as written before an amount (`$`, `€`, `USD`, `Rs.`)."""
_POWER_WORDS = {"square": 2, "sq": 2, "cubic": 3, "cu": 3}
_FILLERS = frozenset(
    {
        "old", "long", "tall", "wide", "high", "deep", "away", "each", "total", "altogether",
        "exactly", "approximately", "about", "only", "in", "all", "of", "them", "per", "a",
        "an", "the", "and",
    }
)  # fmt: skip
"""Words around a noun unit that are not the unit (`5 years old`, `12 apples in total`)."""
_NOT_UNITS = frozenset(
    {"percent", "percentage", "pct", "degree", "degrees", "am", "pm", "or", "is", "are", "if",
     "for", "to", "with", "when", "where", "then", "else", "not", "mod", "and", "otherwise"}
)  # fmt: skip
"""Words a tail may not be: percent and degrees are value notation the parser reads."""

# A tail is a run of these, at the very end of the answer. A `\text{}` group that opens with a
# number is no unit but the value (`\text{10} km`).
_TAIL_TOKEN = re.compile(
    rf"(?:{TEXT_COMMAND}|\\operatorname|\\rm)\s*\{{(?P<group>(?!\s*[-+.0-9])[^{{}}]{{0,60}})\}}"
    r"|(?P<word>[a-zA-Zμ]{1,20}\.?)"
    r"|(?P<power>\^\s*(?:\{\s*-?[0-9]\s*\}|-?[0-9]))"
    r"|(?P<circ>\^\s*\{?\s*\\circ\s*\}?|°|\\circ|\\degree)"
    r"|(?P<per>/|\\cdot|\*|\\times)"
    r"|(?P<space>\s+|\\[,;:! ]|~|\\quad|\\qquad|[()])"
    r"|(?P<other>\\[a-zA-Z]+|.)",
    re.DOTALL,
)
# An answer's leading currency; a bare `$` only right before a number (else it opens math).
_CURRENCY_LEAD = re.compile(
    rf"^\s*(?:\\\$|\\euro\b|\\pounds\b|\$(?=\s*[-0-9.])|[{_SIGNS}]|{_CODES})\s*"
)
_TRAILING_SPACE = re.compile(r"(?:\s|\\[,;:! ]|~|\\q?quad)+$")
_WHOLLY_TEXT = re.compile(rf"\s*{TEXT_COMMAND}\s*\{{\s*([-0-9.][^{{}}]*)\}}\s*")
SCALE_WORDS = {"thousand": 3, "million": 6, "billion": 9, "trillion": 12}
"""Scale words and the power of ten each stands for."""
_SCALED = re.compile(
    rf"\s*([-+]?[0-9][0-9,]*(?:\.[0-9]+)?)\s*({TEXT_COMMAND}\s*\{{\s*)?"
    rf"(?i:({'|'.join(SCALE_WORDS)}))s?\b\s*\}}?(.*)",
    re.DOTALL,
)
_LAST_NUMBER = re.compile(r"(?<![\w.])[0-9]+(?:\.[0-9]+)?\s*$")
_UNIT_LIKE = re.compile(rf"[a-zA-Zμ°${_SIGNS}]")
_COMMANDS = re.compile(rf"(?!{TEXT_COMMAND}|\\operatorname|\\rm\b)\\[a-zA-Z]+")
_PLAIN_NUMBER = re.compile(
    r"\s*[-+]?\s*(?:[0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+|\\d?frac\s*\{\s*[0-9]+\s*\}\s*\{\s*[0-9]+\s*\}"
    r"|[0-9]+\s*/\s*[0-9]+)\s*(?:\\?%)?\s*"
)


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit as understood: `kind`, and `key` (a pint expression, a currency code, a noun)."""

    kind: UnitKind
    key: str
    written: str
    scale: Fraction = Fraction(1)
    """For currencies: how many of this unit make one of `key` (100 cents to the dollar)."""


@dataclass(frozen=True, slots=True)
class Conversion:
    """ref_value = scale * ans_value + offset (offset only for temperatures)."""

    scale: Fraction
    offset: Fraction = Fraction(0)


@dataclass(frozen=True, slots=True)
class Mismatch:
    """Units that cannot stand for the same quantity."""

    why: str


def split_unit(answer: str) -> tuple[str, Unit | None]:
    """(the value, its unit) of an answer such as `5 \\text{ km}`, `\\$20`, `25^\\circ F`,
    `3 apples`; (answer, None) when it has no unit we can read."""
    if len(answer) > MAX_CHARS or not _UNIT_LIKE.search(_COMMANDS.sub(" ", answer)):
        return answer, None
    wrapped = _WHOLLY_TEXT.fullmatch(answer)
    if wrapped is not None:  # `\\text{5 km}`: the value and its unit in one wrapper
        value, unit = _split_tail(wrapped.group(1))
        return (value, unit) if unit is not None else (answer, None)
    lead = _CURRENCY_LEAD.match(answer)
    if lead is not None:
        rest, _ = _split_tail(answer[lead.end() :])  # `$5 apples` is $5, whatever it buys
        return rest, currency_unit(lead.group())
    value, unit = _split_tail(answer)
    if unit is not None and unit.kind == "physical":
        return _compound(value, unit)
    return value, unit


def _compound(value: str, unit: Unit) -> tuple[str, Unit]:
    """`1 \\text{ hour } 30 \\text{ minutes}`, `5 ft 3 in`: the parts, in the last unit."""
    last = _LAST_NUMBER.search(value)
    if last is None or last.start() == 0:
        return value, unit
    head, head_unit = _split_tail(_TRAILING_SPACE.sub("", value[: last.start()]))
    if head_unit is None or head_unit.kind != "physical" or not _PLAIN_NUMBER.fullmatch(head):
        return value, unit
    factor = _factor(head_unit.key, unit.key)
    if factor is None or factor <= 1:
        return value, unit  # only larger units first, as durations and lengths are written
    whole = f"{head.strip()}\\cdot\\frac{{{factor.numerator}}}{{{factor.denominator}}}"
    return f"{whole} + {last.group().strip()}", unit


def _split_tail(answer: str) -> tuple[str, Unit | None]:
    scaled = _SCALED.fullmatch(answer)
    if scaled is not None:  # `1.2 million`, `3 thousand dollars`: a number, then maybe a unit
        number, opener, word, rest = scaled.groups()
        if opener and rest.rstrip().endswith("}"):
            rest = rest.rstrip()[:-1]  # `\\text{ thousand dollars}`
        value, unit = _split_tail(f"{number} {rest}") if rest.strip() else (number, None)
        if rest.strip() and unit is None:
            return answer, None
        return f"({value})\\cdot 10^{{{SCALE_WORDS[word.lower()]}}}", unit
    tokens = list(_TAIL_TOKEN.finditer(answer))
    start = len(tokens)
    while start > 0 and tokens[start - 1].lastgroup not in ("other", None):
        start -= 1
    while start < len(tokens) and tokens[start].lastgroup in ("space", "per", "power"):
        start += 1  # a tail starts with a word, a `\text{}` group or a degree sign
    if start == len(tokens):
        return answer, None
    cut = tokens[start].start()
    value = _TRAILING_SPACE.sub("", answer[:cut])
    if not value or value[-1] in "+-=,;(\\^_{" or not any(c.isdigit() for c in value):
        return answer, None
    tail = tokens[start:]
    wrapped = any(t.lastgroup == "group" for t in tail)
    unit = _read_tail(tail)
    if unit is None:
        return answer, None
    if unit.kind == "noun" and not (wrapped or _PLAIN_NUMBER.fullmatch(value)):
        return answer, None  # `2xy`, `3 n`: variables, not units
    if unit.kind == "noun" and not wrapped and not answer[cut - 1 : cut].isspace():
        return answer, None
    if unit.kind != "noun" and not wrapped and value[-1] not in "0123456789})%.":
        return answer, None  # `2n + m`: m is a variable there
    return value, unit


def _read_tail(tail: list[re.Match[str]]) -> Unit | None:
    """The unit a tail of tokens spells, or None."""
    parts: list[str] = []  # words and operators, wrappers removed
    degree_sign = False
    for token in tail:
        # a `\text{}` group's own tokens (there, stray characters other than `-,.` are no unit)
        inner = token.group("group") if token.lastgroup == "group" else None
        for sub in [token] if inner is None else _TAIL_TOKEN.finditer(inner.replace("~", " ")):
            kind = sub.lastgroup
            if kind == "word":
                parts.append(sub.group().rstrip("."))
            elif kind == "per":
                parts.append("/")
            elif kind == "power":
                parts.append(sub.group())
            elif kind == "circ":
                degree_sign = True
            elif kind == "other" and inner is not None and sub.group() not in "-,.":
                return None
    written = " ".join(parts)
    if degree_sign:
        return _temperature_after_degree(parts, written)
    words = [p for p in parts if p[0].isalpha() or p[0] == "μ"]
    trimmed = [p for p in parts if p.lower() not in _FILLERS]
    known = _known_unit(tuple(parts), written)
    if known is None and trimmed and len(trimmed) < len(parts):
        known = _known_unit(tuple(trimmed), written)  # `5 meters long`, `3 kg each`
    if known is not None:
        return known
    if not words or any(w.lower() in _NOT_UNITS for w in words):
        return None
    return _noun(parts, written)


def _temperature_after_degree(parts: list[str], written: str) -> Unit | None:
    """`25^\\circ C`, `25°F`: a temperature; a bare `30^\\circ` is left to the parser."""
    if len(parts) != 1:
        return None
    name = _TEMPERATURES.get(parts[0].lower()) or {"C": "degC", "F": "degF"}.get(parts[0])
    return Unit("temperature", name, written) if name is not None else None


def _known_unit(parts: tuple[str, ...], written: str) -> Unit | None:
    """A unit from the table: `km/h`, `cm^2`, `square meters`, `m/s^2`, `miles per hour`,
    `degrees Celsius`, `dollars`, `rad`."""
    if len(parts) == 1:
        word = parts[0]
        key = singular(word.lower())
        if key in _CURRENCY_WORDS or word.lower() in _CURRENCY_WORDS:
            currency, scale = _CURRENCY_WORDS.get(key) or _CURRENCY_WORDS[word.lower()]
            return Unit("currency", currency, written, Fraction(scale))
        if key in _ANGLES:
            return Unit("angle", _ANGLES[key], written)
        if key in _TEMPERATURES:
            return Unit("temperature", _TEMPERATURES[key], written)
    if len(parts) == 2 and parts[0].lower() in ("degree", "degrees"):
        name = _TEMPERATURES.get(parts[1].lower())
        return Unit("temperature", name, written) if name else None
    expression = _pint_expression(parts)
    if expression == "(kelvin)":
        return Unit("temperature", "kelvin", written)
    return Unit("physical", expression, written) if expression is not None else None


def _pint_expression(parts: tuple[str, ...]) -> str | None:
    """`("km", "/", "h")` -> `kilometer / hour`; None when any word is not in the table."""
    out: list[str] = []
    pending_power = 1
    expect_unit = True
    for part in parts:
        lower = part.lower()
        if lower in ("/", "per"):
            if expect_unit:
                return None
            out.append("/")
            expect_unit = True
        elif part.startswith("^"):
            if expect_unit:
                return None
            out[-1] = f"({out[-1]}) ** {part.strip('^{} ')}"
        elif lower in _POWER_WORDS:
            pending_power = _POWER_WORDS[lower]
        else:
            name = _unit_name(part)
            if name is None:
                return None
            if not expect_unit:
                out.append("*")
            out.append(f"({name}) ** {pending_power}" if pending_power != 1 else f"({name})")
            pending_power, expect_unit = 1, False
    if expect_unit or not out:
        return None
    expression = " ".join(out)
    return expression if _pint_unit(expression) is not None else None


def _unit_name(word: str) -> str | None:
    if word in _SYMBOLS:
        return "kelvin" if word == "K" else _PHYSICAL[word.lower()]
    if len(word) <= 3 and word.lower() in _SYMBOLS | {"kph", "mph", "kmh"}:
        return _PHYSICAL.get(word.lower()) if word.lower() == word else None
    if len(word) <= 2:
        return None
    lower = word.lower()
    return _PHYSICAL.get(lower) or _PHYSICAL.get(singular(lower))


def _noun(parts: list[str], written: str) -> Unit | None:
    """The head noun of a worded unit (`red apples` -> apple); None for anything else."""
    if any(not part.isalpha() for part in parts if not part.startswith("^")):
        return None
    words = [p.lower() for p in parts if p.isalpha() and p.lower() not in _FILLERS]
    if not words or len(words) > 4 or any(len(w) < 2 for w in words):
        return None
    power = next((p.strip("^{} ") for p in parts if p.startswith("^")), "")
    squared = next((str(_POWER_WORDS[w]) for w in words if w in _POWER_WORDS), power)
    head = singular(words[-1])
    return Unit("noun", head + (f"^{squared}" if squared else ""), written)


def singular(word: str) -> str:
    """A plural noun's singular (`inches` -> inch, `boxes` -> box); other words unchanged."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 2:
        return word[:-1]
    return word


_WORDS_AFTER = re.compile(r"[^,;:()\[\]0-9]*")


def unit_after(text: str) -> Unit | None:
    """The unit that opens `text` (what follows a number in a sentence): `kg`, `km/h`,
    `\text{ minutes}`, `square feet`, `apples`; None when none does."""
    words = _WORDS_AFTER.match(text)
    if words is None or not _UNIT_LIKE.search(words.group()):
        return None
    parts = words.group().split()
    angle = parts and parts[0].lower().rstrip(".") in ("degree", "degrees", "deg", "°")
    if angle and (len(parts) == 1 or parts[1].lower() not in _TEMPERATURES):
        return Unit("angle", "degree", parts[0])  # `12 degrees`: an angle, not a noun
    for size in range(min(len(parts), 3), 0, -1):
        _, unit = split_unit("1 " + " ".join(parts[:size]).rstrip("."))
        if unit is not None and (unit.kind != "noun" or size == 1):
            return unit
    return None


def currency_unit(sign: str) -> Unit | None:
    """`$`, `\\$`, `US$`, `EUR`, `Rs.`, `\\pounds` before a number, as a currency unit."""
    code = sign.strip().lower().lstrip("\\").rstrip(".")
    found = _CURRENCY_WORDS.get("£" if code == "pounds" else code)
    return Unit("currency", found[0], sign.strip(), Fraction(found[1])) if found else None


def convert(ans: Unit, ref: Unit) -> Conversion | Mismatch:
    """How to turn a value in `ans` into one in `ref` (between angle units: to float precision;
    the math verifier converts angles to degrees instead, exactly)."""
    if ans.kind != ref.kind:
        return Mismatch(f"{ans.written} is not a unit of the same kind as {ref.written}")
    if ans.kind == "noun":
        same = ans.key == ref.key
        return Conversion(Fraction(1)) if same else Mismatch(f"{ans.written} vs {ref.written}")
    if ans.kind == "currency":
        if ans.key != ref.key:
            return Mismatch(f"{ans.key} vs {ref.key}: different currencies")
        return Conversion(ref.scale / ans.scale)
    if ans.kind == "angle":
        (a_factor, a_pi), (r_factor, r_pi) = angle_in_degrees(ans), angle_in_degrees(ref)
        scale = a_factor / r_factor * Fraction(math.pi) ** (r_pi - a_pi)
        return Conversion(scale)
    if ans.kind == "temperature":
        a_scale, a_offset = _KELVIN[ans.key]
        r_scale, r_offset = _KELVIN[ref.key]
        return Conversion(a_scale / r_scale, (a_offset - r_offset) / r_scale)
    factor = _factor(ans.key, ref.key)
    if factor is None:
        return Mismatch(f"{ans.written} and {ref.written} measure different things")
    return Conversion(factor)


_KELVIN = {
    "kelvin": (Fraction(1), Fraction(0)),
    "degC": (Fraction(1), Fraction("273.15")),
    "degF": (Fraction(5, 9), Fraction("273.15") - Fraction(160, 9)),
}
"""Each temperature unit as kelvin = scale * value + offset, in exact arithmetic."""


@lru_cache(maxsize=1024)
def _factor(ans: str, ref: str) -> Fraction | None:
    """How many `ref` one `ans` is; None for different dimensions."""
    a, r = _pint_unit(ans), _pint_unit(ref)
    if a is None or r is None or a.dimensionality != r.dimensionality:
        return None
    ratio = float((1 * a).to(r).magnitude)
    exact = Fraction(ratio).limit_denominator(10**12)
    return exact if abs(float(exact) - ratio) <= 1e-15 * abs(ratio) else Fraction(ratio)


def angle_in_degrees(unit: Unit) -> tuple[Fraction, int]:
    """One `unit` in degrees as (factor, power of pi): a radian is 180/pi degrees."""
    if unit.key == "radian":
        return Fraction(180), -1
    if unit.key == "gradian":
        return Fraction(9, 10), 0
    return Fraction(1), 0


@lru_cache(maxsize=1024)
def _pint_unit(expression: str) -> Any:
    """The pint unit of a table-built expression, or None."""
    import pint

    try:
        return _registry().parse_units(expression)
    except (pint.errors.PintError, ValueError, TypeError, AttributeError):
        return None


@lru_cache(maxsize=1)
def _registry() -> Any:
    """pint's registry, built once (it reads its unit definitions on construction)."""
    import pint

    return pint.UnitRegistry()
