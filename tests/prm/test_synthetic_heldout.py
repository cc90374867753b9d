"""The separately written chain generator, and the bundled PRM judged on its chains."""

from __future__ import annotations

import ast
import operator
import re
from collections import Counter

import pytest
from prm_heldout_chains import HeldoutChain, heldout_chains, parse

from mmreward.prm.evaluate import predicted_first_errors
from mmreward.prm.items import PRMItem
from mmreward.prm.metrics import first_error_f1

STEP = re.compile(r"^(-?\d+) ([+*-]) (-?\d+) = (-?\d+)$")
ANSWER = re.compile(r"^The answer is (-?\d+)\.$")
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}


def python_value(expression: str) -> int:
    """The expression's value by Python's own grammar (a third, independent reading)."""

    def walk(node: ast.expr) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        assert isinstance(node, ast.BinOp)
        return _BINARY[type(node.op)](walk(node.left), walk(node.right))

    return walk(ast.parse(expression, mode="eval").body)


def _arithmetic(step: str) -> tuple[int, int]:
    a, op, b, r = STEP.match(step).groups()
    return _BINARY[{"+": ast.Add, "-": ast.Sub, "*": ast.Mult}[op]](int(a), int(b)), int(r)


def test_correct_chains_follow_the_documented_format():
    orders = Counter()
    for chain in heldout_chains(600, seed=1, error_p=0.0):
        orders[chain.order] += 1
        expression = chain.problem.removeprefix("Compute: ")
        operands = [int(x) for x in re.findall(r"\d+", expression)]
        assert 3 <= len(operands) <= 5
        assert all(1 <= x <= 12 for x in operands)
        assert len(chain.steps) == len(operands)
        results = []
        for step in chain.steps[:-1]:
            expected, written = _arithmetic(step)
            assert expected == written
            assert abs(written) <= 300
            results.append(written)
        answer = int(ANSWER.match(chain.steps[-1]).group(1))
        assert answer == results[-1] == python_value(expression)
        assert parse(expression).value(parse(expression).root) == answer
        assert chain.first_error == -1
    assert set(orders) == {"post", "inner", "random"}


def test_erroneous_chains_have_one_documented_first_error():
    kinds = Counter()
    for chain in heldout_chains(600, seed=2, error_p=1.0):
        k = chain.first_error
        kinds[chain.kind] += 1
        assert 0 <= k < len(chain.steps)
        for step in chain.steps[:k]:
            expected, written = _arithmetic(step)
            assert expected == written
        if chain.kind == "answer":
            assert k == len(chain.steps) - 1
            last = _arithmetic(chain.steps[-2])[1]
            answer = int(ANSWER.match(chain.steps[-1]).group(1))
            assert 1 <= abs(answer - last) <= 10
            continue
        expected, written = _arithmetic(chain.steps[k])
        if chain.kind == "result":
            assert 1 <= abs(expected - written) <= 10
        else:
            assert expected == written  # right arithmetic on a wrong operand
        for step in chain.steps[k + 1 : -1]:  # later steps continue from the wrong value
            expected, written = _arithmetic(step)
            assert expected == written
    assert set(kinds) == {"result", "operand", "answer"}
    assert 0.05 < kinds["answer"] / 600 < 0.15


def test_last_place_puts_every_step_error_on_the_last_operation():
    chains = heldout_chains(300, seed=3, error_p=1.0, place="last")
    assert all(c.first_error == len(c.steps) - 2 for c in chains)
    assert {c.kind for c in chains} == {"result", "operand"}


def test_same_seed_same_chains():
    assert heldout_chains(40, seed=5) == heldout_chains(40, seed=5)
    assert heldout_chains(40, seed=5) != heldout_chains(40, seed=6)


def _score(chains: list[HeldoutChain]) -> tuple[float, float, float]:
    items = [PRMItem(problem=c.problem, steps=c.steps) for c in chains]
    predicted = predicted_first_errors(items, device="cpu")
    result = first_error_f1(predicted, [c.first_error for c in chains])
    return result.f1, result.error_accuracy, result.correct_accuracy


@pytest.mark.slow
def test_bundled_prm_on_independently_generated_chains():
    """The bundled PRM's bar (F1 >= 0.94, erroneous chains >= 0.92) on chains it never saw."""
    f1, erroneous, correct = _score(heldout_chains(1000, seed=424_242))
    assert f1 >= 0.94, (f1, erroneous, correct)
    assert erroneous >= 0.92, (f1, erroneous, correct)


@pytest.mark.slow
def test_bundled_prm_catches_errors_in_the_last_operation():
    """The former weak spot: every step error on the last operation."""
    f1, erroneous, correct = _score(heldout_chains(600, seed=515_151, place="last"))
    assert erroneous >= 0.9, (f1, erroneous, correct)
