"""Equivalence of two parsed answers.

Structure first: sets and unordered lists match in any order, tuples in order, intervals by
endpoints and brackets (an inequality is an interval), equations up to rearrangement, matrices
cell by cell. The values at the leaves are then compared by a `Leaves` strategy:

- `EXACT_LEAVES`, in the caller: `Fraction` arithmetic; raises `Undecided` for anything that is
  not rational (pi, radicals, variables), which sends the item to the sandbox;
- `NUMERIC_LEAVES`, in the sandbox: exact first, then mpmath at 60 significant digits, with
  variables sampled at several random points (two different polynomials agree at a random point
  with probability zero). Every tolerance is relative: an exact reference must agree to 40
  significant digits, so `1/2^99` and `1/2^98` (or `1/2005!` and `1/2004!`) stay apart however
  small they are; a decimal reference grants half a unit in its last written place. Against
  an exact zero, a value is noise only when it shrinks as the precision doubles (`\\sin \\pi`
  is 0, `e^{-200}` is not).
"""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import mpmath

from mmreward.verifiers.mathtree import (
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
    Seq,
    Sym,
    Text,
    Union,
    children,
    free_symbols,
)
from mmreward.verifiers.numbers import (
    NotExact,
    exact_equal,
    exact_value,
    has_notation,
    readings,
    written_tolerance,
)
from mmreward.verifiers.wording import canonical_wording, same_wording

DIGITS = 60
_RELATIVE_EPS = mpmath.mpf(10) ** -40
_ABSOLUTE_EPS = mpmath.mpf(10) ** -50
_LARGE_COLLECTION = 32
_POSITIVE_POINTS = 4
_SIGNED_POINTS = 3
_LOW = mpmath.mpf("0.3")
_SPAN = mpmath.mpf("1.8")
_MAX_PLUS_MINUS = 3


class Undecided(Exception):
    """This strategy cannot decide; a stronger one (in the sandbox) must."""


@dataclass(frozen=True, slots=True)
class Match:
    equal: bool
    reason: str


class Leaves(Protocol):
    def equal(self, ref: Node, ans: Node) -> bool: ...

    def equations(self, ref: Relation, ans: Relation) -> bool: ...

    def inequalities(self, ref: Relation, ans: Relation) -> bool: ...


class ExactLeaves:
    """Rational arithmetic only: cheap and safe in the caller's process."""

    def equal(self, ref: Node, ans: Node) -> bool:
        if ref == ans:
            return True
        try:
            return exact_equal(ref, ans)
        except NotExact:
            raise Undecided from None

    def equations(self, ref: Relation, ans: Relation) -> bool:
        raise Undecided

    def inequalities(self, ref: Relation, ans: Relation) -> bool:
        raise Undecided


class NumericLeaves:
    """High-precision numeric evaluation; for the sandbox (mpmath can be slow on huge input)."""

    def equal(self, ref: Node, ans: Node) -> bool:
        if ref == ans:
            return True
        if isinstance(ref, Func) and isinstance(ans, Func) and is_big_operator(ref):
            return is_big_operator(ans) and self.same_big_operator(ref, ans)
        try:
            return exact_equal(ref, ans)
        except NotExact:
            pass
        with mpmath.workdps(DIGITS):
            for r, a in readings(ref, ans):
                if _numerically_equal(r, a, written_tolerance(r)):
                    return True
        return False

    def same_big_operator(self, ref: Func, ans: Func) -> bool:
        """Two sums (products) over the same index and bounds whose bodies agree everywhere: a
        sufficient test only (an index shift is not seen), so False here is not the last word."""
        if ref.name != ans.name or ref.args[1] != ans.args[1]:
            return False
        return all(
            _element(r, a, self) for r, a in zip(ref.args[2:], ans.args[2:], strict=True)
        ) and (_element(ref.args[0], ans.args[0], self))

    def equations(self, ref: Relation, ans: Relation) -> bool:
        """Same solution set up to rearrangement: (lhs - rhs) of one is a constant non-zero
        multiple of the other's at every sampled point."""
        f = Add((ref.items[0], Neg(ref.items[1])))
        g = Add((ans.items[0], Neg(ans.items[1])))
        return self._proportional(f, g, positive=False)

    def inequalities(self, ref: Relation, ans: Relation) -> bool:
        """`p < q` is `q > p`, `3x \\ge x^2` is `x^2 \\le 3x`: written as `f < 0` (or `f <= 0`),
        the two have the same strictness and one f is a positive constant multiple of the
        other's at every sampled point."""
        (f, strict_f), (g, strict_g) = _below_zero(ref), _below_zero(ans)
        return strict_f == strict_g and self._proportional(f, g, positive=True)

    def _proportional(self, f: Node, g: Node, *, positive: bool) -> bool:
        names = sorted(free_symbols(f) | free_symbols(g))
        if not names:
            return False
        ratio = None
        agreeing = 0
        with mpmath.workdps(DIGITS):
            fs, gs = (
                _values(f, tuple(names), mpmath.mp.prec),
                _values(g, tuple(names), mpmath.mp.prec),
            )
            for point, (env, signed) in enumerate(_points(names)):
                try:
                    fv, gv = fs.at(point, env, signed), gs.at(point, env, signed)
                except EvaluationError:
                    continue
                if _tiny(fv) or not _finite(fv) or not _finite(gv):
                    continue
                if signed and not (_real(fv) and _real(gv)):
                    continue
                q = gv / fv
                if ratio is None:
                    if _tiny(q) or (positive and not (_real(q) and mpmath.re(q) > 0)):
                        return False
                    ratio = q
                elif not _close(q, ratio, None):
                    return False
                agreeing += 1
        return agreeing >= 2


EXACT_LEAVES = ExactLeaves()
NUMERIC_LEAVES = NumericLeaves()


def equivalent(ref: Node, ans: Node, leaves: Leaves) -> Match:
    """Whether `ans` is the same answer as `ref` (see the module docstring)."""
    if ref == ans:
        return Match(True, "equal")
    if isinstance(ref, Text) or isinstance(ans, Text):
        same = (
            isinstance(ref, Text) and isinstance(ans, Text) and same_wording(ref.value, ans.value)
        ) or no_solution(ref, ans)
        return Match(same, "equal" if same else "text_mismatch")
    if isinstance(ref, Relation) and isinstance(ans, Relation) and ref.ops == ans.ops == ("=",):
        same = _same_equation(ref, ans, leaves)
        return Match(same, "equal" if same else "not_equal")
    if _is_inequality(ref) and _is_inequality(ans) and (_two_sided(ref) or _two_sided(ans)):
        assert isinstance(ref, Relation)
        assert isinstance(ans, Relation)
        same = leaves.inequalities(ref, ans)
        return Match(same, "equal" if same else "not_equal")
    if not isinstance(ref, Relation) and _is_chain(ans):
        assert isinstance(ans, Relation)
        ans = ans.items[-1]  # `\\binom{6}{2} = 15`: the value after the last `=` is the answer
    ref_named, ans_named = _named_values(ref), _named_values(ans)
    if ref_named is not None and ans_named is not None:
        same = ref_named.keys() == ans_named.keys() and all(
            _element(value, ans_named[name], leaves) for name, value in ref_named.items()
        )
        return Match(same, "equal" if same else "not_equal")
    if ref_named is not None:  # `x = 1, y = 2` answered `(1, 2)`: in the written order
        ref = Seq("paren", tuple(ref_named.values()))
    else:  # `p=5, q=2; p=7, q=2` answered `(5, 2), (7, 2)`
        ref = _grouped_assignments(ref) or ref
    ref, ans = _expand_plus_minus(_unassign(ref)), _expand_plus_minus(_unassign(ans))
    if isinstance(ref, Ratio) or isinstance(ans, Ratio):
        same = _same_ratio(ref, ans, leaves)
        return Match(same, "equal" if same else "not_equal")
    ref_intervals, ans_intervals = _intervals(ref, strict=True), _intervals(ans, strict=True)
    if ref_intervals is not None or ans_intervals is not None:
        ref_intervals = ref_intervals or _intervals(ref, strict=False)
        ans_intervals = ans_intervals or _intervals(ans, strict=False)
        if ref_intervals is None or ans_intervals is None:
            return Match(False, "shape_mismatch")
        same = _same_intervals(ref_intervals, ans_intervals, leaves)
        return Match(same, "equal" if same else "not_equal")
    if _shape(ref) != _shape(ans):
        return Match(False, "shape_mismatch")
    same = _same(ref, ans, leaves)
    return Match(same, "equal" if same else "not_equal")


_EMPTY_SET = Seq("set", ())


def no_solution(ref: Node, ans: Node) -> bool:
    """`\\emptyset` and "no solution" say the same."""
    text, other = (ref, ans) if isinstance(ref, Text) else (ans, ref)
    return (
        other == _EMPTY_SET
        and isinstance(text, Text)
        and canonical_wording(text.value) == canonical_wording("no solution")
    )


def _same(ref: Node, ans: Node, leaves: Leaves) -> bool:
    ref, ans = _expand_plus_minus(ref), _expand_plus_minus(ans)
    match ref:
        case Seq("set", items):
            others = _items(ans, ("set", "list", "bracket") if len(items) > 2 else ("set", "list"))
            if others is None and len(items) == 1 and _shape(ans) == "scalar":
                others = (ans,)  # `\{5\}` answered `5`
            return others is not None and _unordered(items, others, leaves)
        case Seq("list", items):  # `2, 3` answered `(2, 3)`: the pair is the list
            others = _items(ans, ("set", "list", "paren", "bracket"))
            if others is not None and _in_written_order(items):
                return _ordered(items, others, leaves)
            return others is not None and _unordered(items, others, leaves)
        case Seq(("paren" | "bracket") as kind, items):
            other = {"paren": "bracket", "bracket": "paren"}[kind]
            if len(items) == 2 and isinstance(ans, Seq) and ans.kind == other:
                return False  # `[1, 2]` vs `(1, 2)`: a closed vs an open interval
            others = _items(ans, ("paren", "bracket", "list"))
            return others is not None and _ordered(items, others, leaves)
        case Matrix(rows):
            if _is_nested_list(ans):  # `[[1, 2], [3, 4]]`
                assert isinstance(ans, Seq)
                ans = Matrix(tuple(item.items for item in ans.items))  # type: ignore[union-attr]
            if isinstance(ans, Matrix):
                if len(ans.rows) != len(rows) or len(ans.rows[0]) != len(rows[0]):
                    return False
                return _ordered(_cells(ref), _cells(ans), leaves)
            others = _items(ans, ("paren", "bracket"))
            is_vector = len(rows) == 1 or len(rows[0]) == 1
            return is_vector and others is not None and _ordered(_cells(ref), others, leaves)
        case Relation(items, ops):  # not an equation or inequality: `a = b = c`, `x != 3`
            return (
                isinstance(ans, Relation) and ans.ops == ops and _ordered(items, ans.items, leaves)
            )
        case Union(parts):  # of sets: `\{1\} \cup \{2\}`
            return isinstance(ans, Union) and _unordered(parts, ans.parts, leaves)
        case Interval() | Text() | Ratio():
            return equivalent(ref, ans, leaves).equal
    if isinstance(ans, Seq) and ans.kind in ("set", "list") and len(ans.items) == 1:
        return _same(ref, ans.items[0], leaves)
    if isinstance(ans, Ratio):
        return _same_ratio(ref, ans, leaves)
    if isinstance(ans, Seq | Matrix | Relation | Interval | Union | Text):
        return False
    return leaves.equal(ref, ans)


def _in_written_order(items: Sequence[Node]) -> bool:
    """A list whose order means something: numbers in no sorted order (`4, 10, -2` answers
    parts a, b, c). Sorted numbers (`-2, 3`) or other items are a set of solutions."""
    if len(items) < 3:
        return False
    try:
        values = [exact_value(item) for item in items]
    except NotExact:
        return False
    rising = all(a <= b for a, b in itertools.pairwise(values))
    falling = all(a >= b for a, b in itertools.pairwise(values))
    return not (rising or falling)


def _same_ratio(ref: Node, ans: Node, leaves: Leaves) -> bool:
    """`a:b` against `c:d`: term by term, as written (`2:3` is not `4:6`: the same reading
    would make the times `1:03` and `12:36` equal); against a number, `a/b` (b not zero, so a
    time `12:00` is never a number)."""
    if isinstance(ref, Ratio) and isinstance(ans, Ratio):
        return _ordered(ref.items, ans.items, leaves)
    ratio, value = (ref, ans) if isinstance(ref, Ratio) else (ans, ref)
    assert isinstance(ratio, Ratio)
    if len(ratio.items) != 2 or _shape(value) != "scalar" or isinstance(value, Relation | Text):
        return False
    try:
        if exact_value(ratio.items[1]) == 0:
            return False
    except NotExact:
        pass
    quotient = Div(ratio.items[0], ratio.items[1])
    return _element(quotient, value, leaves) if ratio is ref else _element(value, quotient, leaves)


def is_big_operator(node: Node) -> bool:
    """`\\sum_{k=a}^{b} …` or `\\prod_{k=a}^{b} …`."""
    return isinstance(node, Func) and node.name in ("sum", "prod")


def has_big_operator(node: Node) -> bool:
    return is_big_operator(node) or any(has_big_operator(c) for c in children(node))


def _is_nested_list(node: Node) -> bool:
    if not (isinstance(node, Seq) and node.kind in ("paren", "bracket") and node.items):
        return False
    rows = node.items
    return all(isinstance(r, Seq) and r.kind in ("paren", "bracket") for r in rows) and (
        len({len(r.items) for r in rows if isinstance(r, Seq)}) == 1
    )


def _items(node: Node, kinds: tuple[str, ...]) -> tuple[Node, ...] | None:
    if isinstance(node, Seq) and node.kind in kinds:
        return node.items
    if isinstance(node, Matrix) and (len(node.rows) == 1 or len(node.rows[0]) == 1):
        return _cells(node) if "paren" in kinds else None
    return None


def _cells(matrix: Matrix) -> tuple[Node, ...]:
    return tuple(cell for row in matrix.rows for cell in row)


def _ordered(refs: Sequence[Node], answers: Sequence[Node], leaves: Leaves) -> bool:
    if len(refs) != len(answers):
        return False
    return all(_element(r, a, leaves) for r, a in zip(refs, answers, strict=True))


def _unordered(refs: Sequence[Node], answers: Sequence[Node], leaves: Leaves) -> bool:
    """Multiset match (a set's repeated items count once)."""
    if len(refs) != len(answers):
        refs, answers = list(dict.fromkeys(refs)), list(dict.fromkeys(answers))
        if len(refs) != len(answers):
            return False
    if len(refs) > _LARGE_COLLECTION:
        ref_values, ans_values = _sorted_exact(refs), _sorted_exact(answers)
        if ref_values is not None and ans_values is not None:
            return ref_values == ans_values
        if isinstance(leaves, ExactLeaves):
            raise Undecided  # the pairwise match below is quadratic: only in the sandbox
    unused = list(answers)
    undecided = False
    for r in refs:
        for k, a in enumerate(unused):
            try:
                if _element(r, a, leaves):
                    del unused[k]
                    break
            except Undecided:
                undecided = True
        else:
            if undecided:
                raise Undecided
            return False
    return True


def _sorted_exact(nodes: Sequence[Node]) -> list[Fraction] | None:
    """Sorted exact values of plain numbers (no tolerance, no unit), else None."""
    values = []
    for node in nodes:
        if written_tolerance(node) is not None or has_notation(node):
            return None
        try:
            values.append(exact_value(node))
        except NotExact:
            return None
    return sorted(values)


def _element(ref: Node, ans: Node, leaves: Leaves) -> bool:
    if isinstance(ref, Seq | Matrix | Relation | Interval | Union | Text | Ratio):
        return equivalent(ref, ans, leaves).equal
    return _same(ref, ans, leaves)


def _shape(node: Node) -> str:
    """Coarse kind, so a number never equals a tuple: scalar or collection."""
    if isinstance(node, Seq) and not (node.kind in ("set", "list") and len(node.items) == 1):
        return "collection"
    if isinstance(node, Matrix):
        return "collection" if len(node.rows) > 1 or len(node.rows[0]) > 1 else "scalar"
    return "scalar"


def _expand_plus_minus(node: Node) -> Node:
    """`2 \\pm \\sqrt 3` -> the set {2 + sqrt 3, 2 - sqrt 3}."""
    if isinstance(node, Num | Sym | Const | Seq | Matrix):
        return node  # (a leaf, the commonest case, before any walk)
    count = _count_plus_minus(node)
    if count == 0:
        return node
    choices = list(itertools.product((1, -1), repeat=min(count, 8)))
    if len(choices) > 2**_MAX_PLUS_MINUS:
        raise Undecided
    variants = tuple(dict.fromkeys(_choose(node, list(signs)) for signs in choices))
    return Seq("set", variants)


def _count_plus_minus(node: Node) -> int:
    count, waiting = 0, [node]
    while waiting:
        current = waiting.pop()
        count += isinstance(current, PlusMinus)
        waiting.extend(children(current))
    return count


def _choose(node: Node, signs: list[int]) -> Node:
    """Replace each `a ± b` by a + b or a - b, taking signs from the front of `signs`."""
    match node:
        case PlusMinus(left, right):
            sign = signs.pop(0)
            chosen = _choose(right, signs)
            return Add((_choose(left, signs), chosen if sign > 0 else Neg(chosen)))
        case Add(terms):
            return Add(tuple(_choose(t, signs) for t in terms))
        case Mul(factors):
            return Mul(tuple(_choose(f, signs) for f in factors))
        case Div(num, den):
            return Div(_choose(num, signs), _choose(den, signs))
        case Neg(arg):
            return Neg(_choose(arg, signs))
        case Pow(base, exp):
            return Pow(_choose(base, signs), _choose(exp, signs))
        case Func(name, args):
            return Func(name, tuple(_choose(a, signs) for a in args))
    return node


# --- equations and intervals ---------------------------------------------------------------


_FUNCTION_NAMES = frozenset("fghpqrsuvwyFGHPQRSTVA")


def _is_assignment(node: Node) -> bool:
    """`x = 5`, `y = 2x + 1`, `f(x) = x^2` (a chain `x = 2 + 3 = 5` too), and the labels
    geometry answers carry: `AB = 4`, `|AB| = 1`, `\frac{NO}{BO} = …`, `S_{MBCN}:S = 7:32`."""
    if not (isinstance(node, Relation) and set(node.ops) == {"="}):
        return False
    lhs = node.items[0]
    if isinstance(lhs, Sym) or _is_function_value(lhs) or _is_label(lhs):
        return True
    return (
        isinstance(lhs, Seq) and lhs.kind == "paren" and all(isinstance(n, Sym) for n in lhs.items)
    )


def _is_function_value(node: Node) -> bool:
    """`f(x)`: a function name applied to a variable."""
    return (
        isinstance(node, Mul)
        and len(node.factors) == 2
        and isinstance(node.factors[0], Sym)
        and node.factors[0].name in _FUNCTION_NAMES
        and isinstance(node.factors[1], Sym)
    )


def _is_label(node: Node) -> bool:
    """A named quantity: a segment `AB` (2-4 capital points), `|AB|`, a ratio of variables or
    names (`A:B`, `V_1:V_2`, `S_{MBCN}:S`), a quotient of names (`\\frac{NO}{BO}`). `xy`, `|x|`
    and `\\frac{x}{y}` stay expressions: `|x| = 3` may be an equation to solve."""
    match node:
        case Mul(factors):
            return 2 <= len(factors) <= 4 and all(
                isinstance(f, Sym) and len(f.name) == 1 and f.name.isupper() for f in factors
            )
        case Func("abs", (Mul() as segment,)):
            return _is_label(segment)
        case Ratio(items):
            return all(isinstance(i, Sym) or _is_label(i) for i in items)
        case Div(num, den):
            return all(
                _is_label(i) or (isinstance(i, Sym) and i.name[0].isupper()) for i in (num, den)
            )
    return False


def _same_equation(ref: Relation, ans: Relation, leaves: Leaves) -> bool:
    if _is_assignment(ref) and _is_assignment(ans) and ref.items[0] == ans.items[0]:
        # Same variable: compare the values (`x = 5` vs `x = 5.0`; no sampling needed).
        return _element(ref.items[1], ans.items[1], leaves)
    if _names_a_function(ref.items[0]) and _names_a_function(ans.items[0]):
        # `y = 5x - 1` and `f(x) = 5x - 1` define the same function.
        return _element(ref.items[1], ans.items[1], leaves)
    return leaves.equations(ref, ans)


def _names_a_function(node: Node) -> bool:
    """`y` or `f(x)`: the left side of an equation that defines a function."""
    return node == Sym("y") or _is_function_value(node)


def _is_chain(node: Node) -> bool:
    """`a = b = … = v` (or `a = v`) whose last value holds no variable: a computation."""
    return (
        isinstance(node, Relation)
        and set(node.ops) == {"="}
        and not free_symbols(node.items[-1])
        and not _is_assignment(node)
    )


def _is_inequality(node: Node) -> bool:
    return (
        isinstance(node, Relation) and len(node.ops) == 1 and node.ops[0] in ("<", "<=", ">", ">=")
    )


def _two_sided(node: Node) -> bool:
    """Variables on both sides (`p < q`, `3x \\ge x^2`): no interval to read off."""
    return isinstance(node, Relation) and all(free_symbols(item) for item in node.items)


def _below_zero(node: Relation) -> tuple[Node, bool]:
    """`a < b` -> (a - b, strict); `a >= b` -> (b - a, not strict)."""
    left, right = node.items
    op = node.ops[0]
    if op in (">", ">="):
        left, right = right, left
    return Add((left, Neg(right))), op in ("<", ">")


def _named_values(node: Node) -> dict[Node, Node] | None:
    """`x = 1, y = 2` -> {x: 1, y: 2}; None unless every item assigns a different name."""
    if not (isinstance(node, Seq) and node.kind == "list" and len(node.items) > 1):
        return None
    named: dict[Node, Node] = {}
    for item in node.items:
        if not (_is_assignment(item) and isinstance(item, Relation)):
            return None
        name = item.items[0]
        if isinstance(name, Seq) or name in named:
            return None
        named[name] = item.items[-1]
    return named


def _grouped_assignments(node: Node) -> Node | None:
    """`p=5, q=2; p=7, q=2` -> `(5, 2), (7, 2)`: the same names assigned in turn list tuples."""
    if not (isinstance(node, Seq) and node.kind == "list" and len(node.items) > 3):
        return None
    names: list[Node] = []
    for item in node.items:
        if not (_is_assignment(item) and isinstance(item, Relation)):
            return None
        names.append(item.items[0])
    width = names.index(names[0], 1) if names.count(names[0]) > 1 else 0
    if width < 2 or len(names) % width or len(set(names[:width])) != width:
        return None
    if any(names[k] != names[k % width] for k in range(len(names))):
        return None
    values = [item.items[-1] for item in node.items if isinstance(item, Relation)]
    groups = [Seq("paren", tuple(values[k : k + width])) for k in range(0, len(values), width)]
    return Seq("list", tuple(groups))


def _unassign(node: Node) -> Node:
    """`x = 5` -> 5 (so is `5 = x`) and `x = 1, y = 2` -> 1, 2: the value is the answer."""
    if _is_assignment(node):
        assert isinstance(node, Relation)
        return node.items[-1]
    if isinstance(node, Relation) and node.ops == ("=",) and isinstance(node.items[1], Sym):
        return node.items[0]
    if isinstance(node, Seq) and any(_is_assignment(item) for item in node.items):
        return Seq(node.kind, tuple(_unassign(item) for item in node.items))
    return node


_Span = tuple[Node, Node, bool, bool]
_INFINITY = Const("inf")
_MINUS_INFINITY = Neg(_INFINITY)


def _intervals(node: Node, *, strict: bool) -> list[_Span] | None:
    """The answer as a union of intervals, or None. `strict` accepts only what cannot be
    anything else (an interval with a bracket, a union, an inequality); otherwise a pair
    `(a, b)` / `[a, b]` also reads as an interval."""
    match node:
        case Interval(lo, hi, lo_closed, hi_closed):
            return [(lo, hi, lo_closed, hi_closed)]
        case Union(parts):
            spans: list[_Span] = []
            for part in parts:
                found = _intervals(part, strict=False)
                if found is None:
                    return None
                spans.extend(found)
            return spans
        case Relation():
            return _inequality(node)
        case Seq("list", items) if items and all(isinstance(i, Relation) for i in items):
            spans = []
            for item in items:  # `x < -1 or x > 2`: a union (so never `x != a`, an intersection)
                found = _inequality(item)  # type: ignore[arg-type]
                if found is None or "!=" in item.ops:  # type: ignore[union-attr]
                    return None
                spans.extend(found)
            return spans
        case Seq("paren" | "bracket", (lo, hi)) if not strict:
            closed = node.kind == "bracket"
            return [(lo, hi, closed, closed)]
    return None


def _inequality(relation: Relation) -> list[_Span] | None:
    """`x > 3` -> (3, oo); `-1 <= x < 2` -> [-1, 2); `x != 2` -> (-oo, 2) and (2, oo);
    `|x - 1| < 2` -> (-1, 3); None for anything else."""
    items, ops = relation.items, relation.ops
    if any(op not in ("<", "<=", ">", ">=", "!=") for op in ops):
        return None
    if len(items) == 2:
        left, right = items
        op: str = ops[0]
        if _variable_side(right) and not _variable_side(left):
            left, right = right, left
            op = _FLIPPED[op]
        if not _variable_side(left):
            solved = _solve_linear(left, right, op)
            if solved is None:
                return None
            left, right, op = solved
        if isinstance(left, Sym) or _is_function_value(left):
            if op == "!=":
                return [(_MINUS_INFINITY, right, False, False), (right, _INFINITY, False, False)]
            if op in ("<", "<="):
                return [(_MINUS_INFINITY, right, False, op == "<=")]
            return [(right, _INFINITY, op == ">=", False)]
        centre = _abs_of_shifted_variable(left)
        if centre is None or op == "!=":
            return None
        below, above = Add((centre, Neg(right))), Add((centre, right))
        if op in ("<", "<="):
            return [(below, above, op == "<=", op == "<=")]
        return [(_MINUS_INFINITY, below, False, op == ">="), (above, _INFINITY, op == ">=", False)]
    middle = items[1] if len(items) == 3 else None
    if (
        middle is not None
        and (isinstance(middle, Sym) or _is_function_value(middle))
        and ("!=" not in ops)
    ):
        low, high = items[0], items[2]
        if ops[0] in ("<", "<=") and ops[1] in ("<", "<="):
            return [(low, high, ops[0] == "<=", ops[1] == "<=")]
        if ops[0] in (">", ">=") and ops[1] in (">", ">="):
            return [(high, low, ops[1] == ">=", ops[0] == ">=")]
    return None


_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "!=": "!="}


def _variable_side(node: Node) -> bool:
    return (
        isinstance(node, Sym)
        or _is_function_value(node)
        or _abs_of_shifted_variable(node) is not None
    )


def _solve_linear(left: Node, right: Node, op: str) -> tuple[Node, Node, str] | None:
    """`-x > -1` -> (x, 1, <); `2x + 1 <= 5` -> (x, 2, <=): one variable, rational coefficients,
    on either side; None for anything else."""
    for side, other, relation in ((left, right, op), (right, left, _FLIPPED[op])):
        linear = _linear(side)
        if linear is None or free_symbols(other):
            continue
        try:
            bound = exact_value(other)
        except NotExact:
            return None
        variable, slope, offset = linear
        if slope == 0:
            return None
        if slope < 0:
            relation = _FLIPPED[relation]
        return variable, Num((bound - offset) / slope), relation
    return None


def _linear(node: Node) -> tuple[Sym, Fraction, Fraction] | None:
    """`a*x + b` with rational a and b, as (x, a, b); None for anything else."""
    if isinstance(node, Sym):
        return node, Fraction(1), Fraction(0)
    if not free_symbols(node):
        return None
    match node:
        case Neg(arg):
            inner = _linear(arg)
            return None if inner is None else (inner[0], -inner[1], -inner[2])
        case Mul(factors):
            variable = [f for f in factors if free_symbols(f)]
            if len(variable) != 1:
                return None
            inner = _linear(variable[0])
            scale = _constant(Mul(tuple(f for f in factors if f is not variable[0])))
            if inner is None or scale is None:
                return None
            return inner[0], inner[1] * scale, inner[2] * scale
        case Div(num, den):
            inner, divisor = _linear(num), _constant(den)
            if inner is None or not divisor:
                return None
            return inner[0], inner[1] / divisor, inner[2] / divisor
        case Add(terms):
            slope, offset, name = Fraction(0), Fraction(0), None
            for term in terms:
                if not free_symbols(term):
                    value = _constant(term)
                    if value is None:
                        return None
                    offset += value
                    continue
                inner = _linear(term)
                if inner is None or (name is not None and inner[0] != name):
                    return None
                name = inner[0]
                slope += inner[1]
                offset += inner[2]
            return None if name is None else (name, slope, offset)
    return None


def _constant(node: Node) -> Fraction | None:
    try:
        return exact_value(node)
    except NotExact:
        return None


def _abs_of_shifted_variable(node: Node) -> Node | None:
    """`|x|` -> 0, `|x - 3|` -> 3, `|x + 3|` -> -3 (the centre of the interval); else None."""
    if not (isinstance(node, Func) and node.name == "abs"):
        return None
    inner = node.args[0]
    if isinstance(inner, Sym):
        return ZERO
    if not (isinstance(inner, Add) and len(inner.terms) == 2 and isinstance(inner.terms[0], Sym)):
        return None
    shift = inner.terms[1]
    if free_symbols(shift):
        return None
    return shift.arg if isinstance(shift, Neg) else Neg(shift)


def _same_intervals(refs: list[_Span], answers: list[_Span], leaves: Leaves) -> bool:
    if len(refs) != len(answers):
        return False
    unused = list(answers)
    for ref in refs:
        for k, ans in enumerate(unused):
            if _same_span(ref, ans, leaves):
                del unused[k]
                break
        else:
            return False
    return True


def _same_span(ref: _Span, ans: _Span, leaves: Leaves) -> bool:
    for end in (0, 1):
        r, a = ref[end], ans[end]
        if r in (_INFINITY, _MINUS_INFINITY) or a in (_INFINITY, _MINUS_INFINITY):
            if r != a:  # a bracket at an infinite end is a harmless slip
                return False
        elif ref[end + 2] != ans[end + 2] or not _element(r, a, leaves):  # type: ignore[arg-type]
            return False
    return True


# --- numeric evaluation --------------------------------------------------------------------


class EvaluationError(ValueError):
    """The expression has no numeric value at this point (division by zero, a set…)."""


class _Failed(str):
    """Why a tree has no value at a sample point (`_Values` keeps it as it keeps a value)."""


class _Values:
    """`evaluate(node, env, real)` at the sample points, each computed once (`_values`)."""

    __slots__ = ("known", "node")

    def __init__(self, node: Node) -> None:
        self.node = node
        self.known: dict[tuple[int, bool], mpmath.mpc | _Failed] = {}

    def at(self, point: int, env: dict[str, mpmath.mpf], real: bool) -> mpmath.mpc:
        """The value at sample `point` (`env` holds it; -1: no variables)."""
        found = self.known.get((point, real))
        if found is None:
            try:
                found = evaluate(self.node, env, real)
            except EvaluationError as error:
                found = _Failed(error)
            self.known[point, real] = found
        if isinstance(found, _Failed):
            raise EvaluationError(found)
        return found


@functools.lru_cache(maxsize=1024)
def _values(node: Node, names: tuple[str, ...], prec: int) -> _Values:
    """The values of `node` at the sample points of `names` at precision `prec`, computed as
    asked for. A GRPO group compares a dozen answers with one reference, and answers repeat:
    evaluating the same tree at the same points again was most of a numeric comparison's cost.
    """
    return _Values(node)


def _numerically_equal(ref: Node, ans: Node, tolerance: Fraction | None) -> bool:
    names = sorted(free_symbols(ref) | free_symbols(ans))
    key = tuple(names), mpmath.mp.prec
    refs, answers = _values(ref, *key), _values(ans, *key)
    if not names:
        try:
            x, y = refs.at(-1, {}, False), answers.at(-1, {}, False)
            if tolerance is None and (x == 0) != (y == 0):
                return _is_noise(ans if x == 0 else ref)
            return _close(x, y, tolerance)
        except EvaluationError:
            return False
    agreeing = 0
    for point, (env, _) in enumerate(_points(names)):
        try:
            x, y = refs.at(point, env, True), answers.at(point, env, True)
        except EvaluationError:
            continue
        if not (_real(x) and _real(y)):
            continue  # outside one side's real domain (`\\ln(2 - x)` at x > 2)
        if not _close(x, y, None):
            return False
        agreeing += 1
    if agreeing >= 2:
        return True
    # Hardly anywhere real for both (`\\sqrt{x^2 - 9}` at |x| < 2.1): compare as complex
    # functions at the positive points.
    agreeing = 0
    for point, (env, signed) in enumerate(_points(names)):
        if signed:
            continue
        try:
            x, y = refs.at(point, env, False), answers.at(point, env, False)
        except EvaluationError:
            continue
        if not _close(x, y, None):
            return False
        agreeing += 1
    return agreeing >= 2


def _is_noise(node: Node) -> bool:
    """Whether a value that should be an exact zero is rounding noise (`\\sin \\pi`): it shrinks
    as the precision grows, where a tiny true value (`e^{-200}`) stays what it is."""
    with mpmath.workdps(DIGITS):
        low = abs(evaluate(node, {}))
    if low > _ABSOLUTE_EPS:
        return False
    with mpmath.workdps(2 * DIGITS):
        high = abs(evaluate(node, {}))
    return bool(high <= low * mpmath.mpf(10) ** -(DIGITS // 2))


def _points(names: list[str]) -> Iterator[tuple[dict[str, mpmath.mpf], bool]]:
    """Sample points, the same for a name on both sides: first with every variable in
    (0.3, 2.1), where sqrt and log are real; then with mixed signs, which tell `|x|` from `x`.
    A point counts only where both sides are real (`2 ln x` equals `ln x^2`, and identities of
    logs of quotients hold where the quotients are positive)."""
    for point in range(_POSITIVE_POINTS + _SIGNED_POINTS):
        signed = point >= _POSITIVE_POINTS
        values = {}
        for k, name in enumerate(names):
            value, coin = _sample(name, point, mpmath.mp.prec)
            negative = signed and (coin < 0.5 or k == point % len(names))
            values[name] = -value if negative else value
        yield values, signed


@functools.lru_cache(maxsize=4096)
def _sample(name: str, point: int, prec: int) -> tuple[mpmath.mpf, float]:
    """A variable's value at one sample point (at working precision `prec`) and its sign coin:
    the same numbers every time, so they are drawn once (seeding a generator from a string
    and building the mpf cost more than the rest of a small comparison)."""
    rng = random.Random(f"{name}:{point}")
    value = mpmath.mpf(rng.getrandbits(200)) / 2**200 * _SPAN + _LOW
    return value, rng.random()


def _real(x: mpmath.mpc) -> bool:
    if isinstance(x, mpmath.mpf):  # no imaginary part: real unless NaN (`0 <= NaN` is false)
        return not mpmath.isnan(x)
    return bool(abs(mpmath.im(x)) <= _ABSOLUTE_EPS + _RELATIVE_EPS * abs(x))


def _close(x: mpmath.mpc, y: mpmath.mpc, tolerance: Fraction | None) -> bool:
    if x == y:
        return True
    if not (_finite(x) and _finite(y)):
        return False
    difference = abs(x - y)
    if tolerance is not None:
        slack = mpmath.mpf(tolerance.numerator) / tolerance.denominator
        return bool(difference <= slack * (1 + mpmath.mpf(10) ** -12))
    if x == 0 or y == 0:  # an exact zero against evaluation noise (`\sin \pi`)
        return bool(difference <= _ABSOLUTE_EPS)
    return bool(difference <= _RELATIVE_EPS * max(abs(x), abs(y)))


def _finite(x: mpmath.mpc) -> bool:
    return bool(mpmath.isfinite(x))


def _tiny(x: mpmath.mpc) -> bool:
    return bool(abs(x) <= _ABSOLUTE_EPS)


def evaluate(node: Node, env: dict[str, mpmath.mpf], real: bool = False) -> mpmath.mpc:
    """Value of `node` at the current mpmath precision, variables taken from `env`. With `real`,
    a real input that leaves the real domain (sqrt of a negative) is an error: the point is
    outside where the expression means anything over the reals."""
    try:
        return _evaluate(node, env, real)
    except (ZeroDivisionError, ValueError, OverflowError, TypeError) as error:
        raise EvaluationError(str(error)) from error


def _in_domain(result: mpmath.mpc, inputs: tuple[mpmath.mpc, ...], real: bool) -> mpmath.mpc:
    if real and not _real(result) and all(_real(v) for v in inputs):
        raise EvaluationError("outside the real domain")
    return result


_CONSTANTS = {"pi": lambda: +mpmath.pi, "e": lambda: +mpmath.e, "i": lambda: mpmath.mpc(0, 1)}
_UNARY = {
    "sin": mpmath.sin,
    "cos": mpmath.cos,
    "tan": mpmath.tan,
    "cot": mpmath.cot,
    "sec": mpmath.sec,
    "csc": mpmath.csc,
    "asin": mpmath.asin,
    "acos": mpmath.acos,
    "atan": mpmath.atan,
    "acot": mpmath.acot,
    "sinh": mpmath.sinh,
    "cosh": mpmath.cosh,
    "tanh": mpmath.tanh,
    "exp": mpmath.exp,
    "ln": mpmath.log,
    "log10": mpmath.log10,
    "sqrt": mpmath.sqrt,
    "abs": abs,
    "floor": mpmath.floor,
    "ceil": mpmath.ceil,
    "factorial": mpmath.factorial,
}


@functools.lru_cache(maxsize=4096)
def _number(numerator: int, denominator: int, prec: int) -> mpmath.mpf:
    """A written number at working precision `prec`: the few numbers of an answer are read at
    every sample point, and building the mpf cost more than the arithmetic done with it."""
    value = mpmath.mpf(numerator)
    return value if denominator == 1 else value / denominator


def _evaluate(node: Node, env: dict[str, mpmath.mpf], real: bool) -> mpmath.mpc:
    match node:
        case Num(value, _):
            return _number(value.numerator, value.denominator, mpmath.mp.prec)
        case Sym(name):
            return env[name]
        case Const("inf"):
            return mpmath.inf
        case Const(name):
            return _CONSTANTS[name]()
        case Add(terms):
            return mpmath.fsum(_evaluate(t, env, real) for t in terms)
        case Mul(factors):
            return mpmath.fprod(_evaluate(f, env, real) for f in factors)
        case Div(num, den):
            denominator = _evaluate(den, env, real)
            if denominator == 0:
                raise ZeroDivisionError("division by zero")
            return _evaluate(num, env, real) / denominator
        case Neg(arg):
            return -_evaluate(arg, env, real)
        case Pow(base, exp):
            b, e = _evaluate(base, env, real), _evaluate(exp, env, real)
            if b == 0 and mpmath.re(e) <= 0:
                raise ZeroDivisionError("0 to a non-positive power")
            return _in_domain(mpmath.power(b, e), (b, e), real)
        case Percent(arg):
            return _evaluate(arg, env, real) / 100
        case Degrees(arg):
            return _evaluate(arg, env, real) * mpmath.pi / 180
        case Func("log", (arg,)):
            x = _evaluate(arg, env, real)
            return _in_domain(mpmath.log(x), (x,), real)
        case Func("log", (arg, base)):
            x, b = _evaluate(arg, env, real), _evaluate(base, env, real)
            return _in_domain(mpmath.log(x, b), (x, b), real)
        case Func("root", (arg, index)):
            x, n = _evaluate(arg, env, real), _evaluate(index, env, real)
            if mpmath.im(x) == 0 and x < 0 and n == int(n) and int(n) % 2 == 1:
                return -mpmath.root(-x, int(n))  # the real cube root of -8 is -2
            return _in_domain(mpmath.power(x, 1 / n), (x, n), real)
        case Func("binom", (n, k)):
            return mpmath.binomial(_evaluate(n, env, real), _evaluate(k, env, real))
        case Func("integral", (body, Sym(variable), low, high)):
            a, b = _evaluate(low, env, real), _evaluate(high, env, real)
            if not (_real(a) and _real(b)):
                raise EvaluationError("integral with complex bounds")

            def integrand(t: mpmath.mpf) -> mpmath.mpc:
                return _evaluate(body, {**env, variable: t}, real)

            return mpmath.quad(integrand, [mpmath.re(a), mpmath.re(b)])
        case Func(name, (arg,)) if name in _UNARY:
            x = _evaluate(arg, env, real)
            return _in_domain(_UNARY[name](x), (x,), real)
    raise EvaluationError(f"no numeric value for {type(node).__name__}")
