"""Cheap refusals of expressions no evaluator should be handed.

`2^{2^{2^{99}}}` has more digits than there are atoms; `(10^{1000000})!` likewise. An upper bound
on log10 of every sub-expression, computed in floats over the tree, spots them in microseconds,
before any worker spends its two seconds (or its gigabyte) on them. The bound only has to be
generous and cheap; the sandbox still kills whatever slips through.
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
    Interval,
    Mul,
    Neg,
    Node,
    Num,
    Percent,
    Pow,
    Relation,
    Seq,
    Sym,
    Union,
    children,
)

MAX_LOG10 = 1e12
"""Largest magnitude (in decimal digits) a value may have; mpmath floats handle it cheaply."""
MAX_EXPONENT_LOG10 = 9.0
"""An exponent above 10^9 (with a base other than 0 or ±1) is a tower, not an answer."""
MAX_FACTORIAL_LOG10 = 6.0
MAX_TRIG_LOG10 = 4000.0
"""sin(10^k) needs k digits of pi for its argument reduction."""


class TooLargeError(ValueError):
    """The expression's value (or the cost of computing it) is astronomically large."""


def check_magnitude(node: Node) -> None:
    """Raise `TooLargeError` when `node` is an exponent tower, giant factorial or the like."""
    if _log10_bound(node) > MAX_LOG10:
        raise TooLargeError("value has more than 10^12 digits")


def _log10_bound(node: Node) -> float:
    """Upper-bound estimate of log10(max(1, |value|)); raises for hopeless sub-expressions."""
    match node:
        case Num(value, _):
            return _log10_fraction(value)
        case Sym() | Const():
            return 0.5  # variables are sampled near 1; pi, e and i are small
        case Neg(arg):
            return _log10_bound(arg)
        case Add(terms):
            return max(_log10_bound(t) for t in terms) + math.log10(len(terms))
        case Mul(factors):
            return sum(_log10_bound(f) for f in factors)
        case Div(num, den):
            return _log10_bound(num) + _log10_bound(den)
        case Pow(base, exp):
            return _power_bound(base, exp)
        case Func(name, args):
            return _function_bound(name, args)
    return max((_log10_bound(c) for c in children(node)), default=0.0)


def _log10_fraction(value: Fraction) -> float:
    if value == 0:
        return 0.0
    return max(0.0, math.log10(abs(value.numerator)) - math.log10(value.denominator))


def _power_bound(base: Node, exp: Node) -> float:
    exponent = _log10_bound(exp)
    if isinstance(base, Num) and abs(base.value) in (0, 1):
        return 0.0
    if exponent > MAX_EXPONENT_LOG10:
        raise TooLargeError("exponent larger than 10^9")
    return 10**exponent * max(_log10_bound(base), 0.5)


def _function_bound(name: str, args: tuple[Node, ...]) -> float:
    bound = _log10_bound(args[0])
    if name in ("factorial", "binom"):
        if bound > MAX_FACTORIAL_LOG10:
            raise TooLargeError(f"{name} of a number above 10^6")
        return 10**bound * max(bound, 1.0)
    if name in ("exp", "sinh", "cosh"):
        if bound > MAX_EXPONENT_LOG10:
            raise TooLargeError(f"{name} of a number above 10^9")
        return 10**bound * 0.44
    if name in ("sin", "cos", "tan", "cot", "sec", "csc", "tanh"):
        if bound > MAX_TRIG_LOG10:
            raise TooLargeError(f"{name} of a number above 10^4000")
        return 1.0 if name in ("sin", "cos", "tanh") else bound
    if name in ("log", "ln", "log10"):
        return math.log10(bound + 1.0) + sum(_log10_bound(a) for a in args[1:])
    if name in ("sqrt", "root"):
        return bound
    return max([bound, *(_log10_bound(a) for a in args[1:])])


def is_growing_tower(node: Node) -> bool:
    """True for sums, products, powers and factorials of positive integers: their value is at
    least as large as each part, so a refused one is certainly not a small reference."""
    match node:
        case Num(value, _):
            return value.denominator == 1 and value >= 1
        case Add(parts) | Mul(parts):
            return all(is_growing_tower(p) for p in parts)
        case Pow(Num(base, _), exp):
            return base.denominator == 1 and base >= 2 and is_growing_tower(exp)
        case Pow(Pow() as base, exp):
            return is_growing_tower(base) and is_growing_tower(exp)
        case Func("factorial", (arg,)):
            return is_growing_tower(arg)
    return False


CHEAP_NODES = 48
"""Most nodes, both sides together, of a comparison evaluated in the caller (`is_cheap`)."""
CHEAP_NUMBER = 10**15
"""Largest numerator or denominator of a number in such a comparison."""
CHEAP_EXPONENT = 64
"""Largest numerator or denominator of a power's exponent in such a comparison."""
_CHEAP_FUNCTIONS = frozenset({"sqrt", "root", "sin", "cos", "tan", "ln", "log", "log10"})
_CHEAP_SHAPES = frozenset(
    {Sym, Const, Add, Mul, Div, Neg, Percent, Degrees, Seq, Interval, Union, Relation}
)


def is_cheap(*nodes: Node) -> bool:
    """True when comparing `nodes` numerically takes microseconds, whatever their values: few
    nodes, numbers and exponents of a few digits, only arithmetic, roots, logs and the three
    trig functions. Such a comparison (a radical, a polynomial, `\\frac{4\\pi}{3}`) runs in the
    caller; the process hop to a sandbox worker cost more than the comparison itself."""
    budget = CHEAP_NODES
    waiting = list(nodes)
    while waiting:
        node = waiting.pop()
        budget -= 1
        if budget < 0:
            return False
        if isinstance(node, Num):
            value = node.value
            if abs(value.numerator) > CHEAP_NUMBER or value.denominator > CHEAP_NUMBER:
                return False
        elif isinstance(node, Pow):
            if not _small_exponent(node.exp):
                return False
            waiting.append(node.base)
        elif isinstance(node, Func):
            if node.name not in _CHEAP_FUNCTIONS:
                return False
            waiting.extend(node.args)
        elif type(node) in _CHEAP_SHAPES:
            waiting.extend(children(node))
        else:
            return False
    return True


def _small_exponent(exp: Node) -> bool:
    if isinstance(exp, Neg):
        exp = exp.arg
    if isinstance(exp, Div) and isinstance(exp.num, Num) and isinstance(exp.den, Num):
        return _small_exponent(exp.num) and _small_exponent(exp.den)
    if not isinstance(exp, Num):
        return False
    value = exp.value
    return abs(value.numerator) <= CHEAP_EXPONENT and value.denominator <= CHEAP_EXPONENT
