"""Arithmetic chains for the bundled PRM, written from its documented format alone.

`mmreward/prm/model/README.md` documents the domain: `Compute: <expr>` with 3-5 operands in
1..12, `+ - *` and parentheses, every value within -300..300; one step `<a> <op> <b> = <r>` per
operation, then `The answer is <r>.`; an erroneous chain has one first error (a result off by
1..10, an operand copied from the problem or an earlier result, or in a tenth of erroneous chains
the answer line off by 1..10), later steps continuing from the wrong value; steps in post-order,
innermost-parentheses-first or any valid order.

This generator shares no code with `mmreward.prm.synthetic` (the training data): expressions are
drawn as text (a flat operand/operator row with random parenthesised spans) and parsed back by
precedence climbing, and the innermost-first order is found by rewriting the token row, group by
group, the way it is done by hand. Evaluating the bundled PRM on it tests the model on the format,
not on the quirks of the generator it was trained on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

Order = Literal["post", "inner", "random"]
ErrorPlace = Literal["any", "last"]
LIMIT = 300


@dataclass(frozen=True)
class Op:
    """One binary operation of the parsed expression; children are node ids (ints) or literals."""

    symbol: str
    left: int
    right: int


@dataclass
class Expression:
    """Parsed expression: nodes (literal ``int`` or `Op`) indexed by id, the root's id."""

    text: str
    nodes: list[int | Op]
    root: int

    def value(self, node: int) -> int:
        item = self.nodes[node]
        if isinstance(item, int):
            return item
        return _apply(item.symbol, self.value(item.left), self.value(item.right))

    def operations(self) -> list[int]:
        return [i for i, item in enumerate(self.nodes) if isinstance(item, Op)]


@dataclass(frozen=True)
class HeldoutChain:
    """A problem, its steps, the first wrong step (-1: none) and how it went wrong."""

    problem: str
    steps: list[str]
    first_error: int
    kind: str
    order: str


def _apply(symbol: str, a: int, b: int) -> int:
    return a + b if symbol == "+" else a - b if symbol == "-" else a * b


def _draw_text(rng: random.Random) -> str:
    """A flat row of 3-5 operands with 0-2 non-crossing parenthesised spans of 2+ operands."""
    n = rng.randint(3, 5)
    numbers = [rng.randint(1, 12) for _ in range(n)]
    symbols = [rng.choice("+-*") for _ in range(n - 1)]
    spans: list[tuple[int, int]] = []
    for _ in range(rng.choices((0, 1, 2), weights=(35, 45, 20))[0]):
        i = rng.randrange(n - 1)
        j = rng.randrange(i + 1, n)
        whole = i == 0 and j == n - 1
        crossing = any(a < i <= b < j or i < a <= j < b for a, b in spans)
        if (i, j) not in spans and not crossing and (not whole or rng.random() < 0.1):
            spans.append((i, j))
    parts = []
    for k, number in enumerate(numbers):
        opening = "(" * sum(1 for a, _ in spans if a == k)
        closing = ")" * sum(1 for _, b in spans if b == k)
        parts.append(f"{opening}{number}{closing}")
        if k < n - 1:
            parts.append(symbols[k])
    return " ".join(parts)


def _tokens(text: str) -> list[str]:
    return text.replace("(", " ( ").replace(")", " ) ").split()


def parse(text: str) -> Expression:
    """Precedence climbing over ``+ - *`` (``*`` binds tighter, all left-associative)."""
    tokens = _tokens(text)
    nodes: list[int | Op] = []
    pos = 0

    def primary() -> int:
        nonlocal pos
        token = tokens[pos]
        pos += 1
        if token == "(":
            node = binary(1)
            pos += 1  # the closing parenthesis
            return node
        nodes.append(int(token))
        return len(nodes) - 1

    def binary(min_level: int) -> int:
        nonlocal pos
        left = primary()
        while pos < len(tokens) and tokens[pos] in "+-*":
            level = 2 if tokens[pos] == "*" else 1
            if level < min_level:
                break
            symbol = tokens[pos]
            pos += 1
            right = binary(level + 1)
            nodes.append(Op(symbol, left, right))
            left = len(nodes) - 1
        return left

    root = binary(1)
    return Expression(text, nodes, root)


def _post_order(expr: Expression) -> list[int]:
    order: list[int] = []

    def visit(node: int) -> None:
        item = expr.nodes[node]
        if isinstance(item, Op):
            visit(item.left)
            visit(item.right)
            order.append(node)

    visit(expr.root)
    return order


def _innermost_first(expr: Expression) -> list[int]:
    """Rewrite the token row by hand: leftmost innermost group, ``*`` first, left to right."""
    parent = {
        (item.left, item.right): i for i, item in enumerate(expr.nodes) if isinstance(item, Op)
    }
    row: list[str | int] = []
    leaves = iter(i for i, item in enumerate(expr.nodes) if isinstance(item, int))
    for token in _tokens(expr.text):
        row.append(next(leaves) if token.isdigit() else token)
    order: list[int] = []
    while len(row) > 1:
        depth, deepest, begin = 0, 0, 0
        for k, token in enumerate(row):
            if token == "(":
                depth += 1
                if depth > deepest:
                    deepest, begin = depth, k + 1
            elif token == ")":
                depth -= 1
        end = begin
        while end < len(row) and row[end] != ")":
            end += 1
        group = row[begin:end]
        if len(group) == 1:  # a finished group: drop its parentheses
            row[begin - 1 : end + 1] = group
            continue
        symbols = [(k, t) for k, t in enumerate(group) if isinstance(t, str)]
        k = next((k for k, t in symbols if t == "*"), symbols[0][0])
        left, right = group[k - 1], group[k + 1]
        assert isinstance(left, int)
        assert isinstance(right, int)
        node = parent[(left, right)]
        order.append(node)
        row[begin + k - 1 : begin + k + 2] = [node]
    return order


def _any_valid_order(expr: Expression, rng: random.Random) -> list[int]:
    done: set[int] = set()
    order: list[int] = []
    pending = expr.operations()
    while pending:
        ready = [
            i
            for i in pending
            if all(
                isinstance(expr.nodes[c], int) or c in done
                for c in (expr.nodes[i].left, expr.nodes[i].right)  # type: ignore[union-attr]
            )
        ]
        node = rng.choice(ready)
        done.add(node)
        pending.remove(node)
        order.append(node)
    return order


def _draw_expression(rng: random.Random) -> Expression:
    while True:
        expr = parse(_draw_text(rng))
        if all(abs(expr.value(i)) <= LIMIT for i in expr.operations()):
            return expr


def make_heldout_chain(
    rng: random.Random,
    *,
    error_p: float = 0.5,
    order_shares: tuple[float, float, float] = (0.7, 0.2, 0.1),
    place: ErrorPlace = "any",
) -> HeldoutChain:
    """One chain; ``place="last"`` puts every step error on the last operation."""
    expr = _draw_expression(rng)
    order_name: Order = rng.choices(("post", "inner", "random"), weights=order_shares)[0]
    if order_name == "post":
        order = _post_order(expr)
    elif order_name == "inner":
        order = _innermost_first(expr)
    else:
        order = _any_valid_order(expr, rng)
    n_ops = len(order)
    error_at, kind = -1, "none"
    if rng.random() < error_p:
        if place == "any" and rng.random() < 0.1:
            error_at, kind = n_ops, "answer"
        else:
            error_at = n_ops - 1 if place == "last" else rng.randrange(n_ops)
            kind = rng.choice(("result", "operand"))

    written: dict[int, int] = {}
    seen = [item for item in expr.nodes if isinstance(item, int)]
    steps = []
    for i, node in enumerate(order):
        op = expr.nodes[node]
        assert isinstance(op, Op)
        a, b = (
            written[c] if isinstance(expr.nodes[c], Op) else expr.value(c)
            for c in (op.left, op.right)
        )
        if i == error_at and kind == "operand":
            swaps = [
                (x, b)
                for x in seen
                if x != a and _apply(op.symbol, x, b) != _apply(op.symbol, a, b)
            ] + [
                (a, x)
                for x in seen
                if x != b and _apply(op.symbol, a, x) != _apply(op.symbol, a, b)
            ]
            if swaps:
                a, b = rng.choice(swaps)
            else:
                kind = "result"
        r = _apply(op.symbol, a, b)
        if i == error_at and kind == "result":
            r += rng.choice((-1, 1)) * rng.randint(1, 10)
        written[node] = r
        seen.append(r)
        steps.append(f"{a} {op.symbol} {b} = {r}")
    answer = written[expr.root]
    if kind == "answer":
        answer += rng.choice((-1, 1)) * rng.randint(1, 10)
    steps.append(f"The answer is {answer}.")
    return HeldoutChain(f"Compute: {expr.text}", steps, error_at, kind, order_name)


def heldout_chains(
    n: int,
    seed: int,
    *,
    error_p: float = 0.5,
    order_shares: tuple[float, float, float] = (0.7, 0.2, 0.1),
    place: ErrorPlace = "any",
) -> list[HeldoutChain]:
    """``n`` chains from a seeded generator (same seed, same chains)."""
    rng = random.Random(seed)
    return [
        make_heldout_chain(rng, error_p=error_p, order_shares=order_shares, place=place)
        for _ in range(n)
    ]
