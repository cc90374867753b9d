"""Synthetic step-by-step arithmetic chains with labelled first errors.

The domain the bundled PRM is trained and evaluated on:

- problem ``Compute: <expr>``, 3 to 5 integer operands in 1..12, operators ``+ - *``, parentheses
  where the structure needs them (and sometimes redundant ones), every intermediate and final value
  in -300..300;
- steps ``<a> <op> <b> = <r>``, one binary operation per step in evaluation order, last step
  ``The answer is <r>.``;
- an erroneous chain has exactly one first error, a wrong result (off by 1..10) or a wrong operand
  copied from the problem or an earlier result; later steps continue consistently from the wrong
  value.

"Evaluation order" is taken as the post-order of the expression tree by default; a share of chains
uses the other common convention (innermost parentheses first, ``*`` before ``+ -``, left to right)
so that a correct chain written either way is judged correct.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Op = Literal["+", "-", "*"]
OPS: tuple[Op, ...] = ("+", "-", "*")
VALUE_LIMIT = 300
_PRECEDENCE = {"+": 1, "-": 1, "*": 2}


@dataclass
class Node:
    """A leaf (``op is None``, ``value`` set) or a binary operation over two children."""

    value: int
    op: Op | None = None
    left: Node | None = None
    right: Node | None = None
    parens: bool = False
    depth: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Chain:
    """One problem with its steps; ``first_error`` is -1 for a correct chain."""

    problem: str
    steps: list[str]
    labels: list[bool]
    first_error: int
    error_kind: str = "none"

    def to_record(self) -> dict[str, object]:
        """The stepwise-supervision JSONL record (TRL convention) plus the first-error index."""
        return {
            "prompt": self.problem,
            "completions": self.steps,
            "labels": self.labels,
            "first_error": self.first_error,
            "error_kind": self.error_kind,
        }


def _children(node: Node) -> tuple[Node, Node]:
    """An operation's two operands."""
    assert node.left is not None
    assert node.right is not None
    return node.left, node.right


def apply(op: Op, a: int, b: int) -> int:
    """The value of ``a op b``."""
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    return a * b


def _random_tree(rng: random.Random, n_leaves: int) -> Node:
    if n_leaves == 1:
        return Node(value=rng.randint(1, 12))
    k = rng.randint(1, n_leaves - 1)
    left, right = _random_tree(rng, k), _random_tree(rng, n_leaves - k)
    op = rng.choice(OPS)
    return Node(value=apply(op, left.value, right.value), op=op, left=left, right=right)


def _within_limits(node: Node) -> bool:
    if node.op is None:
        return True
    return abs(node.value) <= VALUE_LIMIT and all(_within_limits(c) for c in _children(node))


def _needs_parens(child: Node, parent_op: Op, is_right: bool) -> bool:
    if child.op is None:
        return False
    if _PRECEDENCE[child.op] < _PRECEDENCE[parent_op]:
        return True
    return is_right and _PRECEDENCE[child.op] == _PRECEDENCE[parent_op]


def _mark_parens(node: Node, rng: random.Random, redundant_p: float) -> None:
    if node.op is None:
        return
    for child, is_right in zip(_children(node), (False, True), strict=True):
        if child.op is not None:
            needed = _needs_parens(child, node.op, is_right)
            child.parens = needed or rng.random() < redundant_p
        _mark_parens(child, rng, redundant_p)


def render(node: Node) -> str:
    """The expression text, with the parentheses marked on the tree."""
    if node.op is None:
        text = str(node.value)
    else:
        left, right = _children(node)
        text = f"{render(left)} {node.op} {render(right)}"
    return f"({text})" if node.parens else text


def _operations_post_order(node: Node, out: list[Node]) -> list[Node]:
    if node.op is not None:
        for child in _children(node):
            _operations_post_order(child, out)
        out.append(node)
    return out


def _set_depths(node: Node, depth: int, order: list[Node]) -> None:
    node.depth = depth + (1 if node.parens else 0)
    if node.op is not None:
        for child in _children(node):
            _set_depths(child, node.depth, order)
        order.append(node)


def _operations_innermost_first(root: Node) -> list[Node]:
    """Innermost parenthesised group first, then ``*`` before ``+ -``, left to right."""
    in_order: list[Node] = []

    def walk(node: Node) -> None:
        if node.op is not None:
            left, right = _children(node)
            walk(left)
            in_order.append(node)
            walk(right)

    _set_depths(root, 0, [])
    walk(root)
    position = {id(n): i for i, n in enumerate(in_order)}
    return _scheduled(
        in_order,
        lambda ready: min(
            ready, key=lambda n: (-n.depth, -_PRECEDENCE[n.op or "+"], position[id(n)])
        ),
    )


def _operations_any_order(root: Node, rng: random.Random) -> list[Node]:
    return _scheduled(_operations_post_order(root, []), rng.choice)


def _scheduled(ops: list[Node], pick: Callable[[list[Node]], Node]) -> list[Node]:
    """`ops` in an order where each comes after the operations it reads; `pick` chooses among
    those ready (listed in the order of `ops`)."""
    done: set[int] = set()
    order: list[Node] = []
    while len(order) < len(ops):
        ready = [
            n
            for n in ops
            if id(n) not in done and all(c.op is None or id(c) in done for c in _children(n))
        ]
        chosen = pick(ready)
        done.add(id(chosen))
        order.append(chosen)
    return order


def random_problem(
    rng: random.Random,
    n_operands: int | None = None,
    *,
    redundant_p: float = 0.08,
    root_parens_p: float = 0.0,
) -> Node:
    """A random expression tree whose every value stays within -300..300.

    Each operation below the root gets parentheses it does not need with ``redundant_p``; the
    whole expression is wrapped with ``root_parens_p`` (drawn only when positive, so the default
    stream of chains does not depend on it).
    """
    while True:
        n = n_operands if n_operands is not None else rng.randint(3, 5)
        root = _random_tree(rng, n)
        if _within_limits(root):
            _mark_parens(root, rng, redundant_p=redundant_p)
            if root_parens_p > 0 and rng.random() < root_parens_p:
                root.parens = True
            return root


def _step_text(a: int, op: Op, b: int, r: int) -> str:
    return f"{a} {op} {b} = {r}"


def make_chain(
    rng: random.Random,
    *,
    n_operands: int | None = None,
    error_p: float = 0.5,
    answer_error_p: float = 0.1,
    order_mix: tuple[float, float] = (0.7, 0.25),
    redundant_p: float = 0.08,
    root_parens_p: float = 0.0,
    operand_weights: tuple[float, float, float] | None = None,
    last_error_p: float = 0.0,
) -> Chain:
    """One chain; with probability ``error_p`` it carries exactly one first error.

    ``order_mix`` gives the shares of post-order and innermost-first step orders; the rest use a
    random valid order. ``operand_weights`` (for 3, 4, 5 operands) and ``last_error_p`` (share of
    step errors put on the last operation) over-sample the hard cases, long chains and late
    errors; each is drawn only when set, so the default stream of chains does not depend on them.
    """
    if n_operands is None and operand_weights is not None:
        n_operands = rng.choices((3, 4, 5), weights=operand_weights)[0]
    root = random_problem(rng, n_operands, redundant_p=redundant_p, root_parens_p=root_parens_p)
    draw = rng.random()
    if draw < order_mix[0]:
        order = _operations_post_order(root, [])
    elif draw < order_mix[0] + order_mix[1]:
        order = _operations_innermost_first(root)
    else:
        order = _operations_any_order(root, rng)
    literals = _literals(root)
    n_ops = len(order)

    error_at = -1
    kind = "none"
    if rng.random() < error_p:
        if rng.random() < answer_error_p:
            error_at, kind = n_ops, "answer"
        else:
            late = last_error_p > 0 and rng.random() < last_error_p
            error_at = n_ops - 1 if late else rng.randrange(n_ops)
            kind = "result" if rng.random() < 0.5 else "operand"

    values: dict[int, int] = {}
    steps: list[str] = []
    results: list[int] = []
    for i, node in enumerate(order):
        assert node.op is not None
        a, b = (_current(child, values) for child in _children(node))
        r = apply(node.op, a, b)
        if i == error_at and kind == "operand":
            a, b, r = _wrong_operand(rng, node.op, a, b, literals + results)
        elif i == error_at and kind == "result":
            r = r + rng.choice((-1, 1)) * rng.randint(1, 10)
        values[id(node)] = r
        results.append(r)
        steps.append(_step_text(a, node.op, b, r))
    answer = values[id(root)]
    if kind == "answer":
        answer += rng.choice((-1, 1)) * rng.randint(1, 10)
    steps.append(f"The answer is {answer}.")
    labels = [error_at == -1 or i < error_at for i in range(len(steps))]
    return Chain(f"Compute: {render(root)}", steps, labels, error_at, kind)


def _literals(node: Node) -> list[int]:
    if node.op is None:
        return [node.value]
    left, right = _children(node)
    return _literals(left) + _literals(right)


def _current(node: Node, values: dict[int, int]) -> int:
    return node.value if node.op is None else values[id(node)]


def _wrong_operand(
    rng: random.Random, op: Op, a: int, b: int, pool: list[int]
) -> tuple[int, int, int]:
    """Replace one operand by a different value seen in the problem or an earlier result."""
    for _ in range(20):
        replace_left = rng.random() < 0.5
        old = a if replace_left else b
        choices = [v for v in pool if v != old]
        if not choices:
            continue
        new = rng.choice(choices)
        a2, b2 = (new, b) if replace_left else (a, new)
        if apply(op, a2, b2) != apply(op, a, b):
            return a2, b2, apply(op, a2, b2)
    r = apply(op, a, b) + rng.choice((-1, 1)) * rng.randint(1, 10)
    return a, b, r


def make_dataset(
    n: int,
    seed: int,
    *,
    n_operands: int | None = None,
    error_p: float = 0.5,
    redundant_p: float = 0.08,
    root_parens_p: float = 0.0,
    operand_weights: tuple[float, float, float] | None = None,
    last_error_p: float = 0.0,
) -> list[Chain]:
    """``n`` chains from a seeded generator (same seed, same chains)."""
    rng = random.Random(seed)
    return [
        make_chain(
            rng,
            n_operands=n_operands,
            error_p=error_p,
            redundant_p=redundant_p,
            root_parens_p=root_parens_p,
            operand_weights=operand_weights,
            last_error_p=last_error_p,
        )
        for _ in range(n)
    ]
