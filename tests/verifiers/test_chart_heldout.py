"""The second, independently written labelled suite (`heldout_answer_cases`) for the chart,
choice and format verifiers: mmreward against its labels. `bench/chartqa_relaxed.py` runs the
same cases against ChartQA relaxed accuracy, MMMU's option parser and EasyR1's format regexes."""

import pytest
from heldout_answer_cases import CASES, HeldoutCase

from mmreward.verifiers import verify

KNOWN_MISSES = {
    "the 18-29 age group": "extra words around a text label; containment would accept 'not X'",
    "There are three bars above 50.": "two numbers (three, 50): which one answers is never guessed",
    "The difference is 12 (45 minus 33).": "numbers in a parenthesis may be work or a hedge "
    "('12 (or 13)'), so several numbers stay ambiguous",
}


def _marks(case: HeldoutCase) -> list[pytest.MarkDecorator]:
    reason = KNOWN_MISSES.get(case.response)
    return [pytest.mark.xfail(reason=reason, strict=True)] if reason else []


def test_suite_is_varied_with_right_and_wrong_answers():
    assert len(CASES) >= 150
    assert len({case.id for case in CASES}) == len(CASES)
    for verifier in ("chart", "choice", "format"):
        assert {case.correct for case in CASES if case.verifier == verifier} == {True, False}


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=_marks(c)) for c in CASES])
def test_mmreward_matches_the_label(case):
    verdict = verify(
        case.verifier, case.response, case.reference, options=case.options, **case.params
    )
    assert (verdict.reward == 1.0) is case.correct, (case.why, verdict)
