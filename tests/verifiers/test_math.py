"""The `math` verifier: statuses, reason codes, tolerance rules, the caller/sandbox split and the
cheap refusal of hostile answers."""

import pickle
from fractions import Fraction

import numpy as np
import pytest

from mmreward.errors import InvalidInputError
from mmreward.sandbox import Sandbox
from mmreward.verifiers import verify
from mmreward.verifiers.deferred import Deferred
from mmreward.verifiers.latex import normalize, parse_answer
from mmreward.verifiers.math import judge_parsed, verify_math
from mmreward.verifiers.verdict import Verdict


def judge(response, reference, **kwargs):
    outcome = verify_math(response, reference, **kwargs)
    return outcome.run_inline() if isinstance(outcome, Deferred) else outcome


@pytest.mark.parametrize(
    ("response", "reference", "correct", "reason"),
    [
        ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}", True, "same_text"),
        ("\\boxed{\\text{Yes}}", "yes", True, "same_text"),
        ("\\boxed{0.5}", "\\frac{1}{2}", True, "equal"),
        ("\\boxed{0.6}", "\\frac{1}{2}", False, "not_equal"),
        ("\\boxed{(1, 2)}", "1", False, "shape_mismatch"),
        ("\\boxed{\\text{No}}", "Yes", False, "text_mismatch"),
        ("\\boxed{9^{9^{9^9}}}", "3", False, "magnitude_mismatch"),
        ("\\boxed{\\sum_{k=1}^{3} k}", "6", True, "symbolic"),
        ("\\boxed{\\sum_{k=1}^{3} k}", "7", False, "symbolic"),
        ("\\boxed{@@}", "7", False, "unparsable_answer"),
    ],
)
def test_judged_reason_codes(response, reference, correct, reason):
    verdict = judge(response, reference)
    assert verdict.status == "ok"
    assert (verdict.correct, verdict.reason) == (correct, reason)
    assert verdict.reward == (1.0 if correct else 0.0)


@pytest.mark.parametrize(
    ("response", "reference", "status", "reason"),
    [
        ("I have no idea.", "3", "no_answer", "no_answer"),
        ("\\boxed{}", "3", "no_answer", "no_answer"),
        ("\\boxed{3}", None, "unparsable_reference", "unparsable_reference"),
        ("\\boxed{3}", {"a": 1}, "unparsable_reference", "unparsable_reference"),
        ("\\boxed{3}", "", "unparsable_reference", "unparsable_reference"),
        ("\\boxed{3}", "\\foo{", "unparsable_reference", "unparsable_reference"),
        ("\\boxed{3}", "1" * 5000, "unparsable_reference", "reference_too_long"),
        ("\\boxed{3}", "2^{2^{2^{99}}}", "unparsable_reference", "reference_too_large"),
        ("\\boxed{" + "1+" * 2500 + "1}", "3", "error", "answer_too_long"),
        ("\\boxed{" + "(" * 1000 + "1" + ")" * 1000 + "}", "3", "error", "answer_too_complex"),
        ("\\boxed{2^{2^{99}} - 2^{2^{99}}}", "3", "error", "answer_too_large"),
    ],
)
def test_failure_statuses(response, reference, status, reason):
    verdict = judge(response, reference)
    assert (verdict.status, verdict.reason) == (status, reason)
    assert verdict.correct is None
    assert verdict.reward == 0.0


def test_reference_precision_sets_the_tolerance():
    assert judge("\\boxed{2\\pi}", "6.28").correct is True  # |2pi - 6.28| < 0.005
    assert judge("\\boxed{6.3}", "6.28").correct is False
    assert judge("\\boxed{6.283}", "6.28").correct is True
    assert judge("\\boxed{\\pi}", "3.1416").correct is True
    assert judge("\\boxed{3.14}", "3.1416").correct is False  # less precise than the reference
    assert judge("\\boxed{1.5 \\times 10^{-3}}", "0.0015").correct is True
    assert judge("\\boxed{1.6e-3}", "1.5e-3").correct is False


def test_exact_references_need_exact_answers():
    assert judge("\\boxed{\\frac{1}{2^{98}}}", "\\frac{1}{2^{99}}").correct is False
    assert judge("\\boxed{2^{-99}}", "\\frac{1}{2^{99}}").correct is True
    assert judge("\\boxed{0.3333}", "\\frac{1}{3}").correct is False
    assert judge("\\boxed{3.14}", "\\pi").correct is False
    assert judge("\\boxed{10^{-30}}", "0").correct is False
    big = "123456789012345678901234567890"
    assert judge(f"\\boxed{{{big[:-1]}1}}", big).correct is False


def test_units_and_percent_on_one_side():
    assert judge("\\boxed{50\\%}", "0.5").correct is True
    assert judge("\\boxed{50}", "50\\%").correct is True
    assert judge("\\boxed{50}", "0.5").correct is False
    assert judge("\\boxed{5 \\text{ cm}}", "5").correct is True
    assert judge("\\boxed{\\$1,234.50}", "1234.5").correct is True


def test_reference_types():
    assert judge("\\boxed{3}", 3).correct is True
    assert judge("\\boxed{0.1}", 0.1).correct is True
    assert judge("\\boxed{1e-9}", 1e-9).correct is True
    assert judge("\\boxed{2/3}", Fraction(2, 3)).correct is True
    assert judge("\\boxed{3, 1}", [1, 3]).correct is True
    assert judge("\\boxed{3}", True).status == "unparsable_reference"


def test_unknown_settings_are_an_input_error():
    with pytest.raises(InvalidInputError):
        verify_math("\\boxed{1}", "1", rounding=6)


def test_options_make_it_multiple_choice():
    verdict = judge("The answer is (B).", "B", options=["1", "2", "3"])
    assert verdict.correct is True
    assert verdict.details["delegated_to"] == "choice"


def test_plain_numbers_never_leave_the_caller():
    for response, reference in [
        ("\\boxed{0.5}", "\\frac{1}{2}"),
        ("#### 1,234", "1234"),
        ("\\boxed{\\{3, 1, 2\\}}", "\\{1, 2, 3\\}"),
        ("\\boxed{(1, \\frac{1}{2})}", "(1, 0.5)"),
        ("\\boxed{x = 5}", "5"),
        ("\\boxed{x > 3}", "(3, \\infty)"),
        ("\\boxed{2^{10}}", "1024"),
        ("\\boxed{5!}", "120"),
    ]:
        assert isinstance(verify_math(response, reference), Verdict), response


def test_symbolic_work_is_deferred_with_a_timeout_fallback():
    outcome = verify_math("So \\boxed{3!\\sqrt{2}}", "6\\sqrt{2}")  # a factorial: not cheap
    assert isinstance(outcome, Deferred)
    assert outcome.fallback is not None
    assert (outcome.fallback.status, outcome.fallback.extracted) == ("timeout", "3!\\sqrt{2}")
    assert pickle.loads(pickle.dumps(outcome)).run_inline().correct is True


@pytest.mark.parametrize(
    ("response", "reference", "correct"),
    [
        ("So \\boxed{2\\sqrt{2}}", "\\sqrt{8}", True),
        ("\\boxed{(x+5)(x+2)}", "x^2 + 7x + 10", True),
        ("\\boxed{(x+5)(x-2)}", "x^2 + 7x + 10", False),
        ("\\boxed{y = 1 + -2x}", "y = -2x + 1", True),
        ("\\boxed{3.14}", "\\frac{3\\pi}{3}", False),
        ("\\boxed{\\pi}", "3.14", True),
        ("\\boxed{\\frac{4\\pi}{3}}", "\\frac{3\\pi}{3}", False),
    ],
)
def test_a_small_comparison_is_judged_in_the_caller_as_the_sandbox_would(
    response, reference, correct
):
    """Few nodes and small numbers bound the numeric comparison to microseconds: it runs in
    the caller, with the verdict the sandbox job gives."""
    verdict = verify_math(response, reference)
    assert isinstance(verdict, Verdict)
    assert (verdict.correct, verdict.details["via"]) == (correct, "numeric")
    parsed = [parse_answer(normalize(t)) for t in (reference, verdict.extracted or "")]
    assert judge_parsed(*parsed, verdict.extracted or "", "boxed") == verdict


@pytest.mark.parametrize(
    "answer",
    [
        "\\sqrt{2} + " + " + ".join(f"{k}\\pi" for k in range(2, 26)),  # too many nodes
        "\\sqrt{2}^{65}",  # exponent above the bound
        "\\sqrt{2} + 12345678901234567",  # a number above the bound
        "\\sqrt{2} + x^{y}",  # a symbolic exponent
        "\\sqrt{2} \\cdot 3!",  # a factorial
    ],
)
def test_a_comparison_without_a_cost_bound_goes_to_the_sandbox(answer):
    assert isinstance(verify_math(f"\\boxed{{{answer}}}", "\\sqrt{3}"), Deferred)


@pytest.mark.parametrize(
    "response",
    [
        "\\boxed{2^{2^{2^{2^{99}}}}}",
        "\\boxed{9^{9^{9^9}}}",
        "\\boxed{(10^{1000000})!}",
        "\\boxed{" + "(" * 10_000 + "1" + ")" * 10_000 + "}",
        "\\boxed{" + "9" * 200_000 + "}",
        "\\boxed{10^{10^{10}} - 10^{10^{10}} + 1}",
        "\\boxed{__import__('os').system('touch /tmp/mmreward-pwned')}",
        "x" * (5 << 20) + " 7",
        "\\boxed{" * 100_000,
    ],
    ids=["tower", "nines", "factorial", "parens", "literal", "cancel", "import", "5MB", "boxes"],
)
def test_hostile_answers_are_refused_in_the_caller(response):
    """Each is answered before any sandbox work: refused, or a False that is certain."""
    verdict = verify_math(response, "3")
    assert isinstance(verdict, Verdict)
    assert verdict.correct is not True
    assert verdict.status in ("ok", "error", "no_answer")


@pytest.mark.slow
def test_deferred_jobs_run_in_a_real_sandbox():
    sandbox = Sandbox(workers=1, timeout_s=10.0)
    try:
        jobs = [
            # Integrals, sums and products need sympy's evaluation: never judged in the caller.
            verify_math("\\boxed{\\int_0^{3} x^2 dx}", "9"),
            verify_math("\\boxed{\\sum_{k=1}^{10} k^2}", "385"),
            verify_math("\\boxed{e^{i\\pi}}", "-1"),
            verify_math("\\boxed{\\prod_{k=1}^{5} k}", "121"),
        ]
        assert all(isinstance(job, Deferred) for job in jobs)
        verdicts = sandbox.run_many(jobs)  # type: ignore[arg-type]
    finally:
        sandbox.close()
    assert [v.correct for v in verdicts] == [True, True, True, False]


@pytest.mark.parametrize(
    ("answer", "reference", "correct"),
    [
        ("x", "|x|", False),  # equal for x > 0 only: a negative sample point tells them apart
        ("\\sqrt{x^2}", "x", False),
        ("\\sqrt{x^2}", "|x|", True),
        ("2\\ln x", "\\ln x^2", True),  # equal wherever both are real
        ("\\sqrt{xy}", "\\sqrt{x}\\sqrt{y}", True),
        ("\\sqrt{x-4}", "\\sqrt{x-3}", False),
        ("(a+b)^3", "a^3 + 3a^2b + 3ab^2 + b^3", True),
        ("(a+b)^3", "a^3 + 3a^2b + 3ab^2 - b^3", False),
    ],
)
def test_expressions_in_variables(answer, reference, correct):
    assert judge(f"\\boxed{{{answer}}}", reference).correct is correct


def test_details_say_where_the_answer_was_found_and_what_decided():
    cases = [
        ("#### 12", "12", "gsm8k", "text"),
        ("The answer is 0.5", "1/2", "answer_is", "exact"),
        ("\\boxed{2\\sqrt{2}}", "\\sqrt{8}", "boxed", "numeric"),
        ("<answer>\\sum_{k=1}^{3} k</answer>", "6", "answer_tag", "sympy"),
    ]
    for response, reference, marker, via in cases:
        details = judge(response, reference).details
        assert (details["marker"], details["via"]) == (marker, via), response


@pytest.mark.parametrize(
    ("answer", "reference"),
    [
        ("1 000 000", "1000000"),
        ("2 1/2", "2.5"),
        ("{5 \\choose 2}", "10"),
        ("\\frac{10!}{3!7!}", "120"),
        ("5 = x", "5"),
        ("[1, 2, 3]", "\\{3, 2, 1\\}"),
        ("[[1,2],[3,4]]", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}"),
        ("5 bananas", "5"),
        ("1.5×10^-3", "0.0015"),
        ("1.5E-3", "0.0015"),
        ("x=1 or x=2", "1, 2"),
        ("－3", "-3"),
        (
            "\\left[\\begin{array}{cc}1&0\\\\0&1\\end{array}\\right]",
            "\\begin{bmatrix}1&0\\\\0&1\\end{bmatrix}",
        ),
        ("\\langle 1, 2 \\rangle", "\\begin{pmatrix}1\\\\2\\end{pmatrix}"),
        ("\\{x \\mid x > 2\\}", "(2, \\infty)"),
        ("0.1\\overline{6}", "\\frac{1}{6}"),
        ("\\mathbb{R}", "(-\\infty, \\infty)"),
        ("x \\in [1, +\\infty)", "x \\ge 1"),
    ],
)
def test_notation_variants(answer, reference):
    assert judge(f"\\boxed{{{answer}}}", reference).correct is True


def test_large_sets_of_numbers_are_matched_by_sorting_in_the_caller():
    reference = "\\{" + ", ".join(str(i) for i in range(600)) + "\\}"
    shuffled = "\\{" + ", ".join(str(i) for i in reversed(range(600))) + "\\}"
    shifted = "\\{" + ", ".join(str(i + 1) for i in range(600)) + "\\}"
    assert verify_math(f"\\boxed{{{shuffled}}}", reference) == Verdict.judged(
        True, shuffled, "equal", marker="boxed", via="exact"
    )
    verdict = verify_math(f"\\boxed{{{shifted}}}", reference)
    assert isinstance(verdict, Verdict)
    assert verdict.correct is False
    radicals = [f"\\sqrt{{{i}}}" for i in range(2, 100)]
    answer = "\\{" + ", ".join(radicals) + "\\}"
    reference = "\\{" + ", ".join(reversed(radicals)) + "\\}"
    assert isinstance(verify_math(f"\\boxed{{{answer}}}", reference), Deferred)


@pytest.mark.parametrize(
    ("reference", "correct"),
    [(np.float64(5.0), True), (np.int64(5), True), (np.float32(2.5), False), (np.int32(6), False)],
)
def test_numpy_scalar_references_read_as_numbers(reference: object, correct: bool) -> None:
    verdict = verify("math", r"so \boxed{5}", reference)
    assert verdict.status == "ok"
    assert verdict.correct is correct


@pytest.mark.parametrize("verifier", ["math", "chart", "choice"])
@pytest.mark.parametrize("reference", [None, "", "  "])
def test_an_item_without_a_reference_says_the_reference_is_missing(verifier, reference):
    verdict = verify(verifier, "the answer is 5", reference, options=None)
    assert (verdict.status, verdict.reason) == ("unparsable_reference", "missing_reference")
    assert verdict.details["why"] == "the item has no reference to judge the answer against"
