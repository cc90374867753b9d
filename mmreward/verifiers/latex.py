"""LaTeX (and plain-text math) answers -> `mathtree` nodes, without sympy and without eval.

A small recursive-descent parser for the notation final answers use: numbers, `\\frac`,
radicals, powers, functions, constants, sets, tuples, intervals, unions, relations, matrices.
It is bounded (characters, tokens, nesting), so it can run on hostile input in the caller;
anything it does not know raises `LatexError` and the caller falls back to latex2sympy2 inside
the sandbox.
"""

from __future__ import annotations

import itertools
import re
from fractions import Fraction
from functools import lru_cache

from mmreward.verifiers.mathtree import (
    ONE,
    ZERO,
    Add,
    Const,
    Degrees,
    Div,
    Func,
    Interval,
    Matrix,
    Mul,
    Neg,
    Node,
    Num,
    Percent,
    PlusMinus,
    Pow,
    Ratio,
    Relation,
    RelOp,
    Seq,
    Sym,
    Text,
    Union,
)
from mmreward.verifiers.numbers import NotExact, exact_value

MAX_ANSWER_CHARS = 4000
MAX_TOKENS = 2000
MAX_DEPTH = 60
MAX_LITERAL_DIGITS = 2000


class LatexError(ValueError):
    """The text is not math this parser understands."""


class TooComplexError(LatexError):
    """The text is too long or too deeply nested to be an answer worth parsing."""


# --- normalisation -------------------------------------------------------------------------

_UNICODE = {
    "−": "-",
    "‐": "-",
    "‑": "-",
    "﹣": "-",
    "－": "-",
    "–": "-",
    "×": "\\times ",
    "·": "\\cdot ",
    "⋅": "\\cdot ",
    "÷": "\\div ",
    "√": "\\sqrt",
    "π": "\\pi ",
    "∞": "\\infty ",
    "≤": "\\le ",
    "≥": "\\ge ",
    "≠": "\\ne ",
    "±": "\\pm ",
    "∪": "\\cup ",
    "∅": "\\emptyset ",
    "°": "^\\circ ",
    "²": "^2",
    "³": "^3",
    "½": "\\frac12",
    "⅓": "\\frac13",
    "¼": "\\frac14",
    "¾": "\\frac34",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "€": "",
    "£": "",
    "¥": "",
    "₹": "",
}
_UNICODE_RE = re.compile("|".join(map(re.escape, _UNICODE)))

# Sizing and spacing: `\\quad` and the one-character spaces (`\\,`, `\\ `) end where they end
# (`\\quadx` is a space, then x); the other commands are whole words.
_DROP = re.compile(
    r"(?<!\\)\\(?:(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg|displaystyle"
    r"|textstyle|limits|nolimits)(?![a-zA-Z])|qquad|quad|[!,;: ])|~|\\\$|\$"
)
_SYNONYMS = {
    "\\dfrac": "\\frac",
    "\\tfrac": "\\frac",
    "\\cfrac": "\\frac",
    "\\dbinom": "\\binom",
    "\\tbinom": "\\binom",
    "\\leq": "\\le",
    "\\leqslant": "\\le",
    "\\geq": "\\ge",
    "\\geqslant": "\\ge",
    "\\neq": "\\ne",
    "\\lt": "<",
    "\\gt": ">",
    "\\lvert": "|",
    "\\rvert": "|",
    "\\vert": "|",
    "\\mid": "|",
    "\\varnothing": "\\emptyset",
    "\\degree": "^\\circ",
    "\\varepsilon": "\\epsilon",
    "\\varphi": "\\phi",
    "\\arcsec": "\\operatorname{arcsec}",
    "\\langle": "(",
    "\\rangle": ")",
}
_SYNONYM_RE = re.compile(
    "|".join(re.escape(k) + r"(?![a-zA-Z])" for k in sorted(_SYNONYMS, key=len, reverse=True))
)
_FONT = re.compile(r"\\(?:mathbf|boldsymbol|mathit|mathsf|mathtt|mathbb|bm|operatorname)\s*")
_TEXT_NUMBER = re.compile(r"\\(?:text|mbox|textrm|mathrm)\s*\{\s*([-0-9.,]+(?:\s[a-zA-Z ]*)?)\}")
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
    rf"\\(?:text|mbox|mathrm|textrm|textnormal|textit|textbf)\s*\{{\s*{_UNITS}\}}\s*{_POWER_23}",
    re.IGNORECASE,
)
_BARE_UNIT = re.compile(rf"(?<=[0-9])\s*{_UNITS}{_POWER_23}\s*$", re.IGNORECASE)
_PERCENT_WORD = re.compile(r"\s*(?:\\text\s*\{\s*)?percent\b\s*\}?", re.IGNORECASE)
_DEGREE_WORD = re.compile(r"\s*(?:\\text\s*\{\s*)?degrees?\b\s*\}?", re.IGNORECASE)
_LEADING_CURRENCY = re.compile(r"^\s*(?:usd|us\$|rs\.?|inr|eur)\s*", re.IGNORECASE)
_BARE_NAMES = re.compile(
    r"(?<![\\a-zA-Z])(sqrt|pi|infinity|infty|inf|arcsin|arccos|arctan|sinh|cosh|tanh|sin|cos|tan|"
    r"cot|sec|csc|log|ln|exp)(?![a-zA-Z])"
)
_BARE_NAME_LATEX = {"infinity": "\\infty", "inf": "\\infty"}
# `\\frac{\\sqrt{3}}{3} \\approx 0.577`: the exact value is the answer, the decimal a gloss
_TRAILING_APPROX = re.compile(r"(?<=\S)\s*\\approx\s*[-+]?[0-9]*\.?[0-9]+\s*\.?$")
_BARE_NAME = re.compile(r"[a-zA-Z](?:_\{?[a-zA-Z0-9]*\}?)?\s*=?")
_LEADING_EQUALS = re.compile(r"^\s*=(?=\s*\S)")
# `3:15 pm`, `9:00 \text{ a.m.}`: a 12-hour time, rewritten as 24-hour (`15:15`, `9:00`)
_TWELVE_HOUR = re.compile(
    r"(?<![0-9:])([0-9]{1,2}):([0-9]{2})\s*(?:\\(?:text|mathrm|textrm)\s*\{\s*)?"
    r"([aApP])\.?\s*[mM]\.?(?:\s*\})?(?![a-zA-Z])"
)


def normalize(answer: str) -> str:
    """Rewrite notational variants into the one spelling the parser reads.

    Only rewrites that cannot change the value: unicode symbols, sizing commands, `\\dfrac`,
    font wrappers, thousands separators, currency signs and trailing unit words; a trailing
    `\\approx 0.577` after a value and a leading `=` are dropped.
    """
    s = _UNICODE_RE.sub(lambda m: _UNICODE[m.group()], answer)
    s = _SYNONYM_RE.sub(lambda m: _SYNONYMS[m.group()], s)
    if ":" in s:
        s = _TWELVE_HOUR.sub(_twenty_four_hour, s)
    approx = _TRAILING_APPROX.search(s) if "\\approx" in s else None
    if approx is not None and not _BARE_NAME.fullmatch(s[: approx.start()].strip()):
        s = s[: approx.start()]  # but in `x \approx 11` the decimal is the answer
    if "=" in s:
        s = _LEADING_EQUALS.sub("", s)
    s = _THOUSANDS_BRACED.sub("", s)
    s = _SPACED_THOUSANDS.sub("", s)
    s = _DROP.sub(" ", s)
    s = _TEXT_NUMBER.sub(r"\1", s)
    s = _SET_BUILDER.sub(r"\1", s)
    s = _REPEATING.sub(_repeating_decimal, s)
    s = _REALS.sub(lambda _: "(-\\infty, \\infty)", s)
    s = _FONT.sub("", s)
    s = _CIRC.sub("°", s)
    s = _LEADING_CURRENCY.sub("", s)
    s = _IN_PREFIX.sub("", s)
    s = _PERCENT_WORD.sub("%", s)
    s = _DEGREE_WORD.sub("°", s)
    s = _TEXT_UNIT.sub(" ", s)
    s = _BARE_UNIT.sub("", s)
    s = _WORD_CONNECTIVE.sub(", ", s)
    s = _BARE_NAMES.sub(lambda m: _BARE_NAME_LATEX.get(m.group(), "\\" + m.group()), s)
    s = _CHOOSE.sub(r"\\binom{\1}{\2}", s)
    if "_" in s:
        s = _BASE_NUMERAL.sub(_base_numeral, s)
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
    s = _WORDS_AFTER_NUMBER.sub(r"\1", s)  # `5 bananas`: any words after a lone number are a unit
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


# --- words ---------------------------------------------------------------------------------

_TEXT_WRAPPER = re.compile(r"\\(?:text|mbox|mathrm|textrm|textnormal|textit|textbf|textsf)\s*\{")
_TEXT_GROUP = re.compile(
    r"\\(?:text|mbox|mathrm|textrm|textnormal|textit|textbf|textsf)\s*\{[^{}]*\}"
)
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\s*\{[a-zA-Z*]*\}")
_WORD_RUN = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}")
_SUBSCRIPT_GROUP = re.compile(r"_\{[a-zA-Z0-9]*\}")


def text_form(answer: str) -> str:
    """Answer as plain lower-case words: `\\text{ Yes }.` -> `yes`; used for worded answers."""
    s = _TEXT_WRAPPER.sub("", answer)
    s = re.sub(r"[{}$\\*.,;:!?\"'()\[\]]", " ", s)
    return " ".join(s.lower().split())


def is_worded(normalized: str) -> bool:
    """True when the answer is words (`Monday`, `\\text{no solution}`), not math: only text
    groups, or a bare word of three letters or more (commands and environments aside)."""
    bare = _TEXT_GROUP.sub(" ", _ENVIRONMENT.sub(" ", normalized))
    bare = _SUBSCRIPT_GROUP.sub(" ", bare)  # `S_{MBCN}` names an area, it is not a word
    if bare.strip() == "" and normalized.strip():
        return any(c.isalpha() for c in normalized)
    return _WORD_RUN.search(bare) is not None


# --- tokens --------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
    |(?P<cmd>\\(?:[a-zA-Z]+|.))
    |(?P<rel><=|>=|!=|=<|=>)
    |(?P<letter>[a-zA-Z])
    |(?P<punct>[-+*/^_()\[\]{},;:=<>!%|&°'])
    |(?P<space>\s+)
    """,
    re.VERBOSE,
)
_ENV_NAME = re.compile(r"\s*\{([a-zA-Z*]+)\}")
_SCI = re.compile(r"[eE]([-+]?[0-9]{1,3})(?![0-9a-zA-Z])")
_RELATIONS: dict[str, RelOp] = {
    "=": "=",
    "<": "<",
    ">": ">",
    "<=": "<=",
    "=<": "<=",
    ">=": ">=",
    "=>": ">=",
    "!=": "!=",
    "\\le": "<=",
    "\\ge": ">=",
    "\\ne": "!=",
    "\\approx": "=",
    "\\equiv": "=",
}
_GREEK = frozenset(
    re.findall(
        r"\w+",
        "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi rho sigma tau "
        "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Sigma Phi Psi Omega",
    )
)
_FUNCTIONS = {
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "cot": "cot",
    "sec": "sec",
    "csc": "csc",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arccot": "acot",
    "sinh": "sinh",
    "cosh": "cosh",
    "tanh": "tanh",
    "exp": "exp",
    "ln": "ln",
    "log": "log",
    "lg": "log10",
}
_INVERSE = {"sin": "asin", "cos": "acos", "tan": "atan", "cot": "acot"}
_MATRIX_ENVS = frozenset(
    {"pmatrix", "bmatrix", "Bmatrix", "matrix", "smallmatrix", "array", "vmatrix"}
)

Token = tuple[str, str]


def tokenize(s: str) -> list[Token]:
    """Split into (kind, text) tokens; `\\text{…}` becomes one `text` token and a number in
    scientific notation one `num` token."""
    tokens: list[Token] = []
    i, n = 0, len(s)
    while i < n:
        m = _TOKEN.match(s, i)
        if m is None:
            raise LatexError(f"unexpected character {s[i]!r}")
        kind = m.lastgroup or ""
        text = m.group()
        i = m.end()
        if kind == "space":
            continue
        if kind == "num":
            sci = _SCI.match(s, i)
            if sci is not None:
                text += "e" + sci.group(1)
                i = sci.end()
        elif kind == "cmd" and _TEXT_WRAPPER.match(s, m.start()):
            close = _closing_brace(s, s.index("{", m.start()))
            tokens.append(("text", s[s.index("{", m.start()) + 1 : close].strip()))
            i = close + 1
            continue
        elif kind == "cmd" and text in ("\\begin", "\\end"):
            env = _ENV_NAME.match(s, i)
            if env is None:
                raise LatexError(f"{text} without an environment name")
            i = env.end()
            tokens.append(("env_" + text[1:], env.group(1).rstrip("*")))
            continue
        tokens.append((kind, text))
        if len(tokens) > MAX_TOKENS:
            raise TooComplexError("answer has too many tokens")
    return tokens


def _closing_brace(s: str, i: int) -> int:
    depth = 0
    for j in range(i, len(s)):
        if s[j] == "{":
            depth += 1
        elif s[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    raise LatexError("unbalanced braces")


def parse_number_token(text: str) -> Num:
    """`12`, `3.50`, `.5`, `1.5e-3` -> exact value plus the decimal places written."""
    mantissa, _, exponent = text.partition("e")
    if len(mantissa) > MAX_LITERAL_DIGITS:
        raise TooComplexError("number literal too long")
    whole, dot, decimals = mantissa.partition(".")
    value = Fraction(int(whole or "0") * 10 ** len(decimals) + int(decimals or "0"))
    value /= 10 ** len(decimals)
    places: int | None = len(decimals) if dot and decimals else None
    if exponent:
        shift = int(exponent)
        value *= Fraction(10) ** shift
        if places is not None:  # `1.5e3` is known to the hundreds; `2e3` is exactly 2000
            places -= shift
    return Num(value, places)


# --- parser --------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    # token helpers
    def peek(self) -> Token:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "")

    def next(self) -> Token:
        token = self.peek()
        self.i += 1
        return token

    def at(self, *texts: str) -> bool:
        kind, text = self.peek()
        return kind in ("punct", "cmd", "rel") and text in texts

    def expect(self, text: str) -> None:
        if not self.at(text):
            raise LatexError(f"expected {text!r}, found {self.peek()[1]!r}")
        self.i += 1

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise TooComplexError("answer is nested too deeply")

    def leave(self) -> None:
        self.depth -= 1

    # grammar
    def parse(self) -> Node:
        items = self.items(frozenset())
        if self.peek()[0] != "end":
            raise LatexError(f"unexpected {self.peek()[1]!r}")
        return items[0] if len(items) == 1 else Seq("list", tuple(items))

    def items(self, closers: frozenset[str]) -> list[Node]:
        """Comma/semicolon separated items up to (not including) a closer or the end."""
        items: list[Node] = []
        while True:
            items.append(self.relation())
            if not self.is_separator():
                return items
            while self.is_separator():
                self.i += 1
            if self.at(*closers) or self.peek()[0] == "end":
                return items  # a trailing comma

    def is_separator(self) -> bool:
        kind, text = self.peek()
        if kind == "text":
            return text.lower() in ("or", "and", ",", "")
        return kind == "punct" and text in (",", ";")

    def relation(self) -> Node:
        items = [self.ratio()]
        ops: list[RelOp] = []
        while True:
            kind, text = self.peek()
            op = _RELATIONS.get(text) if kind in ("punct", "rel", "cmd") else None
            if op is None:
                break
            self.i += 1
            ops.append(op)
            items.append(self.ratio())
        return Relation(tuple(items), tuple(ops)) if ops else items[0]

    def ratio(self) -> Node:
        """`7:32`, `a:b:c`, and times of day `12:00`: binds looser than arithmetic."""
        parts = [self.union()]
        while self.at(":"):
            self.i += 1
            parts.append(self.union())
        return Ratio(tuple(parts)) if len(parts) > 1 else parts[0]

    def union(self) -> Node:
        parts = [self.expr()]
        while self.at("\\cup"):
            self.i += 1
            parts.append(self.expr())
        node = Union(tuple(parts)) if len(parts) > 1 else parts[0]
        if self.at("\\setminus", "\\backslash"):
            self.i += 1
            node = _without_points(node, self.expr())
        return node

    def expr(self) -> Node:
        terms: list[Node] = []
        if self.at("\\pm"):
            self.i += 1
            node: Node = PlusMinus(ZERO, self.term())
        else:
            node = self.term()
        terms.append(node)
        depth = self.depth
        while True:
            if self.at("+"):
                self.i += 1
                terms.append(self.term())
            elif self.at("-"):
                self.i += 1
                terms.append(Neg(self.term()))
            elif self.at("\\pm", "\\mp"):
                self.i += 1
                self.enter()  # each ± nests the sum so far one level deeper
                left = terms[0] if len(terms) == 1 else Add(tuple(terms))
                terms = [PlusMinus(left, self.term())]
            else:
                break
        self.depth = depth
        return terms[0] if len(terms) == 1 else Add(tuple(terms))

    def term(self) -> Node:
        """Products and quotients, kept flat (a/b/c*d is a*d over b*c), so a long chain is a
        wide node rather than a deep one."""
        numerator = [self.unary()]
        denominator: list[Node] = []
        while True:
            if self.at("*", "\\cdot", "\\times", "\\ast"):
                self.i += 1
                numerator.append(self.unary())
            elif self.at("/", "\\div"):
                self.i += 1
                denominator.append(self.unary())
            elif self.starts_atom():
                right = self.power()
                mixed = _mixed_number(numerator[0], right) if len(numerator) == 1 else None
                if mixed is not None and not denominator:
                    numerator[0] = mixed
                else:
                    numerator.append(right)  # `1/2 x` is x/2, as a calculator reads it
            else:
                break
        top = numerator[0] if len(numerator) == 1 else Mul(tuple(numerator))
        if not denominator:
            return top
        return Div(top, denominator[0] if len(denominator) == 1 else Mul(tuple(denominator)))

    def unary(self) -> Node:
        if self.at("-", "+"):
            negative = self.peek()[1] == "-"
            self.i += 1
            self.enter()
            node = self.unary()
            self.leave()
            return Neg(node) if negative else node
        return self.power()

    def starts_atom(self) -> bool:
        kind, text = self.peek()
        if kind in ("letter", "env_begin"):
            return True
        if kind == "num":  # `3!4!` and `(2)3` are products; `2 3` is nothing anyone writes
            return self.tokens[self.i - 1][0] != "num"
        if kind == "punct":
            return text == "("
        if kind == "cmd":
            return text not in _RELATIONS and text not in _NON_ATOM_COMMANDS
        return False

    def power(self) -> Node:
        self.enter()
        base = self.postfix(self.atom())
        if self.at("^"):
            self.i += 1
            exponent = self.exponent()
            base = self.postfix(Pow(base, exponent))
        self.leave()
        return base

    def exponent(self) -> Node:
        if self.at("{"):
            return self.group("{", "}")
        if self.at("-"):
            self.i += 1
            self.enter()
            node = Neg(self.exponent())
            self.leave()
            return node
        return self.power()

    def postfix(self, node: Node) -> Node:
        while True:
            if self.at("!"):
                self.i += 1
                node = Func("factorial", (node,))
            elif self.at("%"):
                self.i += 1
                node = Percent(node)
            elif self.at("°"):
                self.i += 1
                node = Degrees(node)
            elif self.peek()[0] == "text" and not self.is_separator():
                self.i += 1  # a unit after a value: `5 \text{ apples}`
            else:
                return node

    def group(self, opener: str, closer: str) -> Node:
        self.expect(opener)
        self.enter()
        items = self.items(frozenset({closer}))
        self.expect(closer)
        self.leave()
        if len(items) != 1:
            raise LatexError("a group holds one expression")
        return items[0]

    def argument(self, whole_number: bool = False) -> Node:
        """A command argument: `{…}`, or one token as in `\\frac12` (one digit each, as TeX
        reads it) or `\\sqrt 11` (`whole_number`: nobody means the square root of 1 there)."""
        kind, text = self.peek()
        if kind == "punct" and text in "{(":
            return self.group(text, "}" if text == "{" else ")")
        if kind == "num":
            self.i += 1
            if len(text) > 1 and text.isdigit() and not whole_number:
                self.tokens[self.i - 1 : self.i] = [("num", text[0]), ("num", text[1:])]
                return Num(Fraction(int(text[0])))
            return parse_number_token(text)
        if kind == "letter":
            self.i += 1
            return _letter(text)
        if kind == "cmd":
            return self.atom()
        raise LatexError(f"missing argument before {text!r}")

    def atom(self) -> Node:
        kind, text = self.next()
        if kind == "num":
            return parse_number_token(text)
        if kind == "letter":
            return self.subscripted(text)
        if kind == "env_begin":
            return self.matrix(text)
        if kind == "punct":
            if text in "([":
                return self.bracketed(text)
            if text == "{":
                self.enter()
                items = self.items(frozenset({"}"}))
                self.expect("}")
                self.leave()
                # `{1,3}` is a TeX group around a list (a set is written `\\{1,3\\}`)
                return items[0] if len(items) == 1 else Seq("list", tuple(items))
            if text == "|":
                self.enter()
                inner = self.expr()
                self.expect("|")
                self.leave()
                return Func("abs", (inner,))
        if kind == "cmd":
            return self.command(text)
        if kind == "text" and len(text) == 1 and text.isalpha():
            return _letter(text)
        raise LatexError(f"unexpected {text!r}")

    def subscripted(self, letter: str) -> Node:
        if not self.at("_"):
            return _letter(letter)
        self.i += 1
        kind, text = self.peek()
        if kind == "punct" and text == "{":
            start = self.i
            self.group("{", "}")
            text = "".join(t for _, t in self.tokens[start + 1 : self.i - 1])
        else:
            self.i += 1
        return Sym(f"{letter}_{text}")

    def bracketed(self, opener: str) -> Node:
        self.enter()
        items = self.items(frozenset({")", "]"}))
        _, closer = self.next()
        if closer not in (")", "]"):
            raise LatexError(f"unclosed {opener!r}")
        self.leave()
        if opener + closer in ("()", "[]") and len(items) == 1:
            return items[0]
        if opener + closer == "()":
            return Seq("paren", tuple(items))
        if opener + closer == "[]":
            return Seq("bracket", tuple(items))
        if len(items) != 2:
            raise LatexError("a half-open interval has two endpoints")
        return Interval(items[0], items[1], opener == "[", closer == "]")

    def command(self, name: str) -> Node:
        bare = name[1:]
        if bare == "frac":
            return Div(self.argument(), self.argument())
        if bare == "sqrt":
            if self.at("["):
                self.i += 1
                index = self.expr()
                self.expect("]")
                return Func("root", (self.argument(), index))
            return Func("sqrt", (self.argument(whole_number=True),))
        if bare == "binom":
            return Func("binom", (self.argument(), self.argument()))
        if bare in ("sum", "prod"):
            return self.big_operator(bare)
        if bare == "int":
            return self.integral()
        if bare == "pi":
            return Const("pi")
        if bare == "infty":
            return Const("inf")
        if bare == "emptyset":
            return Seq("set", ())
        if bare == "{":
            self.enter()
            items = [] if self.at("\\}") else self.items(frozenset({"\\}"}))
            self.expect("\\}")
            self.leave()
            return Seq("set", tuple(items))
        if bare in ("lfloor", "lceil"):
            inner = self.expr()
            self.expect("\\rfloor" if bare == "lfloor" else "\\rceil")
            return Func("floor" if bare == "lfloor" else "ceil", (inner,))
        if bare in _FUNCTIONS:
            return self.function(bare)
        if bare in _GREEK:
            return self.subscripted(bare)
        raise LatexError(f"unsupported command {name}")

    def big_operator(self, name: str) -> Node:
        """`\\sum_{k=0}^{n-1} a_k b_{n-k}` -> Func(name, (body, k, 0, n - 1)); the body is the
        product that follows, as TeX sets it."""
        if not self.at("_"):
            raise LatexError(f"\\{name} without an index")
        self.i += 1
        index = self.argument()
        if not (isinstance(index, Relation) and index.ops == ("=",)):
            raise LatexError(f"\\{name} index is not `k = a`")
        variable, low = index.items
        if not isinstance(variable, Sym):  # `i` and `e` read as constants: left to sympy
            raise LatexError(f"\\{name} index is not a variable")
        if not self.at("^"):
            raise LatexError(f"\\{name} without an upper bound")
        self.i += 1
        high = self.argument()
        self.enter()
        body = self.term()
        self.leave()
        return Func(name, (body, variable, low, high))

    def integral(self) -> Node:
        """`\\int_a^b body \\, dx` -> Func("integral", (body, x, a, b)): a definite integral
        is a number (an indefinite one, `+ C` and all, is left to sympy)."""
        bounds: dict[str, Node] = {}
        while self.at("_", "^") and len(bounds) < 2:
            side = self.next()[1]
            bounds[side] = self.argument()
        if len(bounds) != 2:
            raise LatexError("an integral without both bounds")
        end = self._differential()
        body = _Parser(self.tokens[self.i : end])
        body.depth = self.depth
        node = body.parse()
        variable = Sym(self.tokens[end + 1][1])
        self.i = end + 2
        return Func("integral", (node, variable, bounds["_"], bounds["^"]))

    def _differential(self) -> int:
        """Index of the `d` of `dx` that closes the integral starting here."""
        depth = 0
        for j in range(self.i, len(self.tokens) - 1):
            kind, text = self.tokens[j]
            if kind == "punct" and text in "([{":
                depth += 1
            elif kind == "punct" and text in ")]}":
                depth -= 1
            elif (
                depth == 0
                and text == "d"
                and kind in ("letter", "text")
                and self.tokens[j + 1][0] == "letter"
                and j > self.i
            ):
                return j
        raise LatexError("an integral without its d<variable>")

    def function(self, bare: str) -> Node:
        name = _FUNCTIONS[bare]
        base: Node | None = None
        power: Node | None = None
        if self.at("_") and name == "log":
            self.i += 1
            base = self.argument()
        if self.at("^"):
            self.i += 1
            power = self.exponent()
            if power == Neg(ONE) and name in _INVERSE:
                name, power = _INVERSE[name], None
        if self.at("(", "{"):
            opener = self.peek()[1]
            arg = self.group(opener, ")" if opener == "(" else "}")
        else:
            arg = self.power()
            while self.peek()[0] == "letter" or (
                self.peek()[0] == "cmd" and self.peek()[1][1:] in _GREEK | {"pi"}
            ):
                arg = Mul((arg, self.power()))
        args = (arg, base) if base is not None else (arg,)
        node: Node = Func(name, args)
        return Pow(node, power) if power is not None else node

    def matrix(self, env: str) -> Node:
        if env not in _MATRIX_ENVS or env == "vmatrix":
            raise LatexError(f"unsupported environment {env}")
        if env == "array" and self.at("{"):
            while not self.at("}"):
                self.i += 1
            self.i += 1
        rows: list[tuple[Node, ...]] = []
        cells: list[Node] = []
        self.enter()
        while True:
            kind, text = self.peek()
            if kind == "end":
                raise LatexError(f"unclosed {env}")
            if kind == "env_end":
                self.i += 1
                break
            if kind == "cmd" and text == "\\\\":
                self.i += 1
                if cells:
                    rows.append(tuple(cells))
                cells = []
                continue
            if kind == "punct" and text == "&":
                self.i += 1
                continue
            cells.append(self.relation())
        self.leave()
        if cells:
            rows.append(tuple(cells))
        if not rows or len({len(row) for row in rows}) != 1:
            raise LatexError("ragged matrix")
        return Matrix(tuple(rows))


_NON_ATOM_COMMANDS = frozenset(
    {
        "\\cdot",
        "\\times",
        "\\div",
        "\\pm",
        "\\mp",
        "\\cup",
        "\\}",
        "\\\\",
        "\\rfloor",
        "\\rceil",
        "\\ast",
        "\\setminus",
        "\\backslash",
    }
)


_INFINITY = Const("inf")


def _without_points(whole: Node, removed: Node) -> Node:
    """`(a, b) \\setminus \\{p, q\\}` (`\\mathbb{R} \\setminus \\{2\\}`) -> the union of the
    open pieces, for rational points strictly inside; anything else is left to sympy."""
    if isinstance(whole, Seq) and whole.kind in ("paren", "bracket") and len(whole.items) == 2:
        closed = whole.kind == "bracket"
        whole = Interval(whole.items[0], whole.items[1], closed, closed)
    if not (isinstance(whole, Interval) and isinstance(removed, Seq) and removed.kind == "set"):
        raise LatexError("set difference of this shape")
    try:
        points = sorted({exact_value(item): item for item in removed.items}.items())
        lo = None if whole.lo == Neg(_INFINITY) else exact_value(whole.lo)
        hi = None if whole.hi == _INFINITY else exact_value(whole.hi)
    except NotExact:
        raise LatexError("set difference of non-rational points") from None
    if not points or any(
        (lo is not None and v <= lo) or (hi is not None and v >= hi) for v, _ in points
    ):
        raise LatexError("removed points outside the interval")
    ends = [item for _, item in points]
    pieces = [Interval(whole.lo, ends[0], whole.lo_closed, False)]
    pieces += [Interval(a, b, False, False) for a, b in itertools.pairwise(ends)]
    pieces.append(Interval(ends[-1], whole.hi, False, whole.hi_closed))
    return Union(tuple(pieces))


def _letter(letter: str) -> Node:
    if letter == "e":
        return Const("e")
    if letter == "i":
        return Const("i")
    return Sym(letter)


def _mixed_number(left: Node, right: Node) -> Node | None:
    """`2\\frac{1}{2}` is two and a half, not one: a whole number before a proper fraction."""
    negative = isinstance(left, Neg)
    whole = left.arg if isinstance(left, Neg) else left
    if not (isinstance(whole, Num) and whole.places is None and whole.value.denominator == 1):
        return None
    if not (isinstance(right, Div) and isinstance(right.num, Num) and isinstance(right.den, Num)):
        return None
    num, den = right.num.value, right.den.value
    if not (num.denominator == den.denominator == 1 and 0 < num < den):
        return None
    value = Num(whole.value + num / den)
    return Neg(value) if negative else value


@lru_cache(maxsize=4096)
def parse_answer(normalized: str) -> Node:
    """Parse a `normalize`d answer; raises `LatexError`. Cached: GRPO groups share references."""
    if len(normalized) > MAX_ANSWER_CHARS:
        raise TooComplexError("answer too long")
    if not normalized:
        raise LatexError("empty answer")
    if is_worded(normalized):
        return Text(text_form(normalized))
    return _Parser(tokenize(normalized)).parse()
