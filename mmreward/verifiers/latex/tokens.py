"""LaTeX answer text -> (kind, text) tokens, and number literals -> exact values with the
decimal places written (the reference's tolerance comes from them)."""

from __future__ import annotations

import re
from fractions import Fraction

from mmreward.verifiers.extract import closing_brace
from mmreward.verifiers.latex.errors import LatexError, TooComplexError
from mmreward.verifiers.latex.words import TEXT_WRAPPER
from mmreward.verifiers.mathtree import Num

MAX_TOKENS = 2000
MAX_LITERAL_DIGITS = 2000

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
        elif kind == "cmd" and TEXT_WRAPPER.match(s, m.start()):
            close = closing_brace(s, s.index("{", m.start()))
            if close is None:
                raise LatexError("unbalanced braces")
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
