"""The labelled math suite: mmreward against its labels, and against math-verify on the same cases.

The sandbox is not needed here: a deferred comparison runs inline (`Deferred.run_inline`), which
is exactly what a sandbox worker does with it.
"""

from importlib.metadata import version

import pytest
from math_judges import math_verify, ours
from math_suite import CASES

# Where math-verify 0.9.0 disagrees with the labels, and why (checked by the last test).
MATH_VERIFY_MISSES: dict[str, str] = {
    "decimal:3.14|\\boxed{\\pi}": "no tolerance from the reference's written precision",
    "decimal:6.28|\\boxed{2\\pi}": "no tolerance from the reference's written precision",
    "decimal:1.414|\\boxed{\\sqrt{2}}": "no tolerance from the reference's written precision",
    "decimal:0.333|\\boxed{\\frac{1}{3}}": "no tolerance from the reference's written precision",
    "fraction:\\frac{1}{2^{99}}|\\boxed{\\frac{1}{2^{98}}}": "rounds tiny values to equality",
    "fraction:10^{-20}|\\boxed{10^{-21}}": "rounds tiny values to equality",
    "scientific:0.0015|\\boxed{1.5e-3}": "does not read e-notation",
    "scientific:6.02 \\times 10^{23}|\\boxed{6.02e23}": "does not read e-notation",
    "thousands_currency_units:18|The answer is \\$18.00.": "escaped dollar sign in prose",
    "radical:\\sqrt{2}|\\boxed{1.41421356}": "accepts a decimal for an exact reference",
    "radical:\\sqrt{3}|\\boxed{√3}": "does not read the unicode radical",
    "trig:\\frac{1}{2}|\\boxed{\\sin 30^\\circ}": "degrees inside a function",
    "set_unordered:\\emptyset|\\boxed{\\varnothing}": "empty-set spellings",
    "inequality:(3, \\infty)|\\boxed{x > 3}": "inequality against an interval",
    "inequality:(-\\infty, -1) \\cup (2, \\infty)|\\boxed{x < -1 \\text{ or } x > 2}": (
        "inequalities joined by 'or' against a union"
    ),
    "matrix:\\begin{pmatrix} 1 \\\\ -2 \\end{pmatrix}|\\boxed{(1, -2)}": "column vector vs tuple",
    "infinity:\\infty|ithout bound, so the answer is infinity.": "the word infinity",
    "degrees:30^\\circ|\\boxed{\\frac{\\pi}{6}}": "degrees against radians",
    "degrees:60^{\\circ}|\\boxed{60°}": "the unicode degree sign",
    "text:\\text{East}|The answer is east.": "a worded answer in prose",
    "extraction:7|<think>maybe 5</think><answer>7</answer>": "takes the draft in <think>",
    "extraction:10|st \\boxed{5}, then corrected: \\boxed{10}": "first box, not the last",
}


def test_suite_covers_every_form_with_right_and_wrong_answers():
    assert len(CASES) >= 150
    assert len({case.id for case in CASES}) == len(CASES)
    forms = {case.form for case in CASES}
    for form in forms - {"extraction", "text", "infinity"}:
        labels = {case.correct for case in CASES if case.form == form}
        assert labels == {True, False}, form


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_mmreward_matches_the_label(case):
    assert ours(case.response, case.reference) is case.correct


@pytest.mark.slow
def test_mmreward_beats_math_verify_on_the_suite():
    right = sum(ours(case.response, case.reference) is case.correct for case in CASES)
    misses = {
        case.id for case in CASES if math_verify(case.response, case.reference) is not case.correct
    }
    theirs = len(CASES) - len(misses)
    assert right > theirs
    if version("math-verify") == "0.9.0":
        assert misses == set(MATH_VERIFY_MISSES)
