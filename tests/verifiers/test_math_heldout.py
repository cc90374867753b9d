"""The second, independently written labelled suite (`heldout_math_cases`): mmreward against its
labels, and against math-verify on the same cases. Deferred comparisons run inline, as a sandbox
worker would run them."""

import pytest
from heldout_math_cases import CASES
from math_judges import math_verify, ours


def test_suite_is_varied_with_right_and_wrong_answers():
    assert len(CASES) >= 120
    assert len({case.id for case in CASES}) == len(CASES)
    for form in {case.form for case in CASES}:
        assert {case.correct for case in CASES if case.form == form} == {True, False}, form


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_mmreward_matches_the_label(case):
    assert ours(case.response, case.reference) is case.correct, case.why


@pytest.mark.slow
def test_mmreward_beats_math_verify_on_the_suite():
    right = sum(ours(case.response, case.reference) is case.correct for case in CASES)
    theirs = sum(math_verify(case.response, case.reference) is case.correct for case in CASES)
    assert right > theirs
