"""The expression tree the math verifier's LaTeX parser builds.

Plain frozen dataclasses, so a parsed answer is cheap to build in the caller, hashable for
caches, and picklable for the hop into a sandbox worker. Numbers are exact `Fraction`s that
remember how many decimal places were written: that is what the reference's tolerance comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

RelOp = Literal["=", "<", "<=", ">", ">=", "!="]
SeqKind = Literal["set", "paren", "bracket", "list"]
"""`set` = `\\{…\\}`; `paren` = `(…)` (a tuple, or an open interval); `bracket` = `[…]`;
`list` = bare commas (an unordered list of answers)."""


@dataclass(frozen=True, slots=True)
class Num:
    value: Fraction
    places: int | None = None
    """Decimal places as written (`6.28` -> 2, `1.5e3` -> -2); None for exact integers/fractions."""


@dataclass(frozen=True, slots=True)
class Sym:
    name: str


@dataclass(frozen=True, slots=True)
class Const:
    name: Literal["pi", "e", "i", "inf"]


@dataclass(frozen=True, slots=True)
class Add:
    terms: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Mul:
    factors: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Div:
    num: Node
    den: Node


@dataclass(frozen=True, slots=True)
class Neg:
    arg: Node


@dataclass(frozen=True, slots=True)
class Pow:
    base: Node
    exp: Node


@dataclass(frozen=True, slots=True)
class Func:
    """sqrt, root (x, n), sin … arccot, sinh … tanh, log (x, base), ln, exp, abs, factorial,
    binom, floor, ceil."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class PlusMinus:
    """`a \\pm b`: stands for the two values a + b and a - b."""

    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Percent:
    arg: Node


@dataclass(frozen=True, slots=True)
class Degrees:
    arg: Node


@dataclass(frozen=True, slots=True)
class Seq:
    kind: SeqKind
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Interval:
    lo: Node
    hi: Node
    lo_closed: bool
    hi_closed: bool


@dataclass(frozen=True, slots=True)
class Union:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Relation:
    """A chain `a op b op c …`: `x = 5`, `y = 2x + 1`, `-1 <= x < 2`."""

    items: tuple[Node, ...]
    ops: tuple[RelOp, ...]


@dataclass(frozen=True, slots=True)
class Ratio:
    """`a : b (: c …)`, a ratio or a time of day (`12:00`)."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Matrix:
    rows: tuple[tuple[Node, ...], ...]


@dataclass(frozen=True, slots=True)
class Text:
    """A worded answer (`\\text{Yes}`, `east`), lower-cased with spaces collapsed."""

    value: str


Node = (
    Num
    | Sym
    | Const
    | Add
    | Mul
    | Div
    | Neg
    | Pow
    | Func
    | PlusMinus
    | Percent
    | Degrees
    | Seq
    | Interval
    | Union
    | Relation
    | Ratio
    | Matrix
    | Text
)

ZERO = Num(Fraction(0))
ONE = Num(Fraction(1))


def children(node: Node) -> tuple[Node, ...]:
    """Direct sub-expressions, for walks that do not care about the node type."""
    match node:
        case Num() | Sym() | Const() | Text():
            return ()
        case Add(terms):
            return terms
        case Mul(factors):
            return factors
        case Div(num, den):
            return (num, den)
        case Neg(arg) | Percent(arg) | Degrees(arg):
            return (arg,)
        case Pow(base, exp):
            return (base, exp)
        case Func(_, args):
            return args
        case PlusMinus(left, right):
            return (left, right)
        case Seq(_, items) | Relation(items, _) | Ratio(items):
            return items
        case Interval(lo, hi, _, _):
            return (lo, hi)
        case Union(parts):
            return parts
        case Matrix(rows):
            return tuple(cell for row in rows for cell in row)
    raise TypeError(f"not a math node: {node!r}")


def free_symbols(node: Node) -> frozenset[str]:
    """Names of the variables in `node`."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Sym):
            found.add(current.name)
        else:
            stack.extend(children(current))
    return frozenset(found)
