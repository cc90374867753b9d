"""Exact rational values and the tolerance a reference's written precision grants.

The fast path of the math verifier: most answers are numbers, fractions or small expressions of
them, and `Fraction` arithmetic decides those exactly in microseconds, in the caller, with no
sympy and no sandbox. Anything beyond (radicals that are not perfect powers, pi, variables, huge
powers) raises `NotExact` and goes to the numeric comparison in the sandbox.
"""

from __future__ import annotations

import math
from fractions import Fraction

from mmreward.verifiers.mathtree import (
    Add,
    Const,
    Degrees,
    Div,
    Func,
    Mul,
    Neg,
    Node,
    Num,
    Percent,
    Pow,
    children,
)

MAX_EXACT_BITS = 1 << 14
"""Numerators/denominators above this size are left to the numeric path (it uses floats with
an exponent, so `2^{10^6}` costs nothing there)."""
MAX_FACTORIAL = 1000


class NotExact(Exception):
    """The node is not a rational number this module computes cheaply."""


def exact_value(node: Node) -> Fraction:
    """The exact rational value of `node`, or `NotExact`."""
    match node:
        case Num(value, _):
            return value
        case Neg(arg):
            return -exact_value(arg)
        case Add(terms):
            return _bounded(sum((exact_value(t) for t in terms), Fraction(0)))
        case Mul(factors):
            product = Fraction(1)
            for factor in factors:
                product = _bounded(product * exact_value(factor))
            return product
        case Div(num, den):
            denominator = exact_value(den)
            if denominator == 0:
                raise NotExact("division by zero")
            return _bounded(exact_value(num) / denominator)
        case Pow(base, exp):
            return _power(exact_value(base), exact_value(exp))
        case Percent(arg):
            return exact_value(arg) / 100
        case Func(name, args):
            return _function(name, [exact_value(a) for a in args])
    raise NotExact(type(node).__name__)


def _bounded(value: Fraction) -> Fraction:
    if max(value.numerator.bit_length(), value.denominator.bit_length()) > MAX_EXACT_BITS:
        raise NotExact("too large for exact arithmetic")
    return value


def _power(base: Fraction, exp: Fraction) -> Fraction:
    if base == 0 and exp <= 0:
        raise NotExact("0 to a non-positive power")
    if exp.denominator != 1:
        return _power(_root(base, exp.denominator), Fraction(exp.numerator))
    size = max(base.numerator.bit_length(), base.denominator.bit_length())
    if size * abs(exp.numerator) > MAX_EXACT_BITS and base not in (0, 1, -1):
        raise NotExact("power too large for exact arithmetic")
    return base**exp.numerator


def _root(value: Fraction, degree: int) -> Fraction:
    """The exact `degree`-th root when it is rational (`\\sqrt{9/4}`), else `NotExact`."""
    if degree > 64 or (value < 0 and degree % 2 == 0):
        raise NotExact("root")
    negative = value < 0
    value = abs(value)
    parts = []
    for part in (value.numerator, value.denominator):
        root = _integer_root(part, degree)
        if root is None:
            raise NotExact("irrational root")
        parts.append(root)
    result = Fraction(parts[0], parts[1])
    return -result if negative else result


def _integer_root(n: int, degree: int) -> int | None:
    if degree == 2:
        r = math.isqrt(n)
    elif n.bit_length() < 1000:
        r = round(n ** (1 / degree))
    else:
        return None
    for candidate in (r - 1, r, r + 1):
        if candidate >= 0 and candidate**degree == n:
            return candidate
    return None


def _function(name: str, args: list[Fraction]) -> Fraction:
    if name == "sqrt":
        return _root(args[0], 2)
    if name == "root" and args[1].denominator == 1 and args[1] > 0:
        return _root(args[0], int(args[1]))
    if name == "abs":
        return abs(args[0])
    if name == "floor":
        return Fraction(math.floor(args[0]))
    if name == "ceil":
        return Fraction(math.ceil(args[0]))
    if name == "factorial":
        n = args[0]
        if n.denominator == 1 and 0 <= n <= MAX_FACTORIAL:
            return Fraction(math.factorial(int(n)))
    if name == "binom":
        n, k = args
        if n.denominator == k.denominator == 1 and 0 <= n <= 10 * MAX_FACTORIAL:
            return _bounded(Fraction(math.comb(int(n), int(k)) if k >= 0 else 0))
    raise NotExact(name)


def has_notation(node: Node) -> bool:
    """Whether a leaf is written with `%` or `°` (perhaps negated)."""
    inner = node.arg if isinstance(node, Neg) else node
    return isinstance(inner, Percent | Degrees)


def readings(ref: Node, ans: Node) -> tuple[tuple[Node, Node], ...]:
    """The (reference, answer) value pairs that may be compared when `%` or `°` is written.

    `x%` is x/100 and `x°` is x*pi/180, so both sides with the same sign compare their numbers
    (`1%` is never `100%`). A percent on one side only: the other side's value must be x/100,
    or, when that side is a plain numeral, x itself (the sign dropped: `25` for `25%`, but not
    `\\frac12` for `0.5%`). Degrees on one side only: the other side is in radians, or, when it
    holds no pi, a number of degrees (`30` or `\\frac{\\pi}{6}` for `30°`, never
    `\\frac{\\pi}{6}°` for `\\frac{\\pi}{6}`).
    """
    r_negative, r = (True, ref.arg) if isinstance(ref, Neg) else (False, ref)
    a_negative, a = (True, ans.arg) if isinstance(ans, Neg) else (False, ans)
    if not (isinstance(r, Percent | Degrees) or isinstance(a, Percent | Degrees)):
        return ((ref, ans),)
    pairs: list[tuple[Node, Node]]
    if type(r) is type(a):
        pairs = [(r.arg, a.arg)]  # type: ignore[union-attr]
    elif isinstance(r, Percent | Degrees) and isinstance(a, Percent | Degrees):
        pairs = [(_value(r), _value(a))]
    elif isinstance(r, Percent | Degrees):
        pairs = [(_value(r), a)]
        if _magnitude_reading(r, a):
            pairs.append((r.arg, a))
    else:
        assert isinstance(a, Percent | Degrees)
        pairs = [(r, _value(a))]
        if _magnitude_reading(a, r):
            pairs.append((r, a.arg))
    return tuple((Neg(x) if r_negative else x, Neg(y) if a_negative else y) for x, y in pairs)


def _value(node: Percent | Degrees) -> Node:
    if isinstance(node, Percent):
        return Div(node.arg, Num(Fraction(100)))
    return Mul((node.arg, Div(Const("pi"), Num(Fraction(180)))))


def _magnitude_reading(noted: Percent | Degrees, bare: Node) -> bool:
    """May the bare side be the noted side's number with the sign dropped?"""
    if isinstance(noted, Percent):
        return isinstance(bare, Num)
    return not _mentions_pi(bare)


def _mentions_pi(node: Node) -> bool:
    return node == Const("pi") or any(_mentions_pi(child) for child in children(node))


def written_tolerance(node: Node) -> Fraction | None:
    """Half a unit in the last written place of a decimal reference (`6.28` -> 0.005), since a
    decimal stands for every value that rounds to it; None for exact references (integers,
    fractions, expressions), which must match exactly."""
    match node:
        case Num(_, places) if places is not None:
            return Fraction(5, 10) * Fraction(10) ** -places
        case Neg(arg):
            return written_tolerance(arg)
        case Div(num, Num(den, None)) if den == 100:
            tolerance = written_tolerance(num)
            return tolerance / 100 if tolerance is not None else None
        case Mul((Num() as mantissa, Pow(Num(ten, None), exp))) if ten == 10:
            tolerance = written_tolerance(mantissa)
            try:
                shift = exact_value(exp)
            except NotExact:
                return None
            if tolerance is None or shift.denominator != 1 or abs(shift) > 400:
                return None
            return tolerance * Fraction(10) ** int(shift)
    return None


def exact_equal(ref: Node, ans: Node) -> bool:
    """Equality of two leaves by exact arithmetic; `NotExact` when that cannot decide."""
    undecided = False
    for r, a in readings(ref, ans):
        tolerance = written_tolerance(r)
        try:
            difference = abs(exact_value(r) - exact_value(a))
        except NotExact:
            undecided = True
            continue
        if difference == 0 or (tolerance is not None and difference <= tolerance):
            return True
    if undecided:
        raise NotExact("a variant needs numeric evaluation")
    return False
