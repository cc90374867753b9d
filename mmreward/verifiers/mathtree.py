"""The expression tree the math verifier's LaTeX parser builds.

Plain frozen dataclasses, so a parsed answer is cheap to build in the caller, hashable for
caches, and picklable for the hop into a sandbox worker. Numbers are exact `Fraction`s that
remember how many decimal places were written: that is what the reference's tolerance comes from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from operator import attrgetter
from typing import Any, Literal

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


def _leaf(node: Node) -> tuple[Node, ...]:
    return ()


def _cells(node: Matrix) -> tuple[Node, ...]:
    return tuple(cell for row in node.rows for cell in row)


_CHILDREN: dict[type, Callable[[Any], tuple[Node, ...]]] = {
    Num: _leaf,
    Sym: _leaf,
    Const: _leaf,
    Text: _leaf,
    Add: attrgetter("terms"),
    Mul: attrgetter("factors"),
    Div: attrgetter("num", "den"),
    Neg: lambda node: (node.arg,),
    Percent: lambda node: (node.arg,),
    Degrees: lambda node: (node.arg,),
    Pow: attrgetter("base", "exp"),
    Func: attrgetter("args"),
    PlusMinus: attrgetter("left", "right"),
    Seq: attrgetter("items"),
    Relation: attrgetter("items"),
    Ratio: attrgetter("items"),
    Interval: attrgetter("lo", "hi"),
    Union: attrgetter("parts"),
    Matrix: _cells,
}


def children(node: Node) -> tuple[Node, ...]:
    """Direct sub-expressions, for walks that do not care about the node type (looked up by
    type: every walk of every comparison calls this at every node)."""
    get = _CHILDREN.get(type(node))
    if get is None:
        raise TypeError(f"not a math node: {node!r}")
    return get(node)


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
