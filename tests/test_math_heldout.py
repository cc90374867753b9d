"""The second, independently written labelled suite (`heldout_math_cases`): mmreward against its
labels, and against math-verify on the same cases. Deferred comparisons run inline, as a sandbox
worker would run them."""

import pytest
from heldout_math_cases import CASES, HeldoutCase

from mmreward.verifiers.math import verify_math
from mmreward.verifiers.registry import Deferred


def judge(case: HeldoutCase) -> bool:
    outcome = verify_math(case.response, case.reference)
    verdict = outcome.run_inline() if isinstance(outcome, Deferred) else outcome
    return verdict.correct is True


def test_suite_is_varied_with_right_and_wrong_answers():
    assert len(CASES) >= 120
    assert len({case.id for case in CASES}) == len(CASES)
    for form in {case.form for case in CASES}:
        assert {case.correct for case in CASES if case.form == form} == {True, False}, form


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_mmreward_matches_the_label(case):
    assert judge(case) is case.correct, case.why


def _math_verify_correct(case: HeldoutCase) -> bool:
    from math_verify import parse, verify

    try:
        return bool(verify(parse(f"${case.reference}$"), parse(case.response)))
    except Exception:
        return False


@pytest.mark.slow
def test_mmreward_beats_math_verify_on_the_suite():
    ours = sum(judge(case) is case.correct for case in CASES)
    theirs = sum(_math_verify_correct(case) is case.correct for case in CASES)
    assert ours > theirs
