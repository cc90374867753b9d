import pytest
from answer_suite import FORMAT

from mmreward.errors import InvalidInputError
from mmreward.verifiers import verify


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in FORMAT])
def test_labelled_format_cases(case):
    verdict = verify("format", case.response, None, **case.params)
    assert (verdict.reward == 1.0) is case.correct, verdict
    assert verdict.status == "ok"


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        ("<think>x</think><answer>5</answer>!", "text after </answer>"),
        ("hi <think>x</think><answer>5</answer>", "text before <think>"),
        ("<think>x</think> so <answer>5</answer>", "text between </think> and <answer>"),
        ("<think>x</think><answer> </answer>", "empty <answer>"),
        ("<think>x</think><answer>5", "missing </answer>"),
        ("<think>x</think>", "missing <answer>"),
        ("<answer>5</answer>", "missing <think>"),
    ],
)
def test_think_answer_reasons(response, reason):
    verdict = verify("format", response, None, spec="think_answer")
    assert verdict.reason == reason


def test_the_answer_text_is_extracted():
    verdict = verify("format", "<think>x</think>\n<answer>\n  Paris \n</answer>\n", None)
    assert verdict.extracted == "Paris"
    assert verdict.details == {"spec": "think_answer"}


def test_boxed_content_is_extracted():
    verdict = verify("format", r"so $\boxed{\frac{1}{2}}$.", None, spec="boxed")
    assert verdict.extracted == r"\frac{1}{2}"


def test_reference_does_not_matter():
    response = "<think>x</think><answer>5</answer>"
    assert verify("format", response, "6").reward == verify("format", response, None).reward == 1.0


def test_unknown_spec_and_settings_are_input_errors():
    with pytest.raises(InvalidInputError, match="think_answer"):
        verify("format", "x", None, spec="xml")
    with pytest.raises(InvalidInputError):
        verify("format", "x", None, spec="boxed", strict=True)


def test_a_huge_response_is_checked_in_linear_time():
    body = "<think>" + "a{" * 500_000 + "</think>" + r"\boxed{" * 1000
    assert verify("format", body, None, spec="think_boxed").reward == 0.0
